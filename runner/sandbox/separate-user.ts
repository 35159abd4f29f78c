// The "user" backend, for containers that forbid namespaces and have no
// run_student (Gradescope's, by default): the program runs on the grading
// machine itself, as a separate unprivileged user, under sg-launch's limits.
// Weaker than bwrap: no private network, no private view of the files (the
// task's hidden tests must be unreadable to that user: run_autograder sees to
// it), and a process that escapes its process group outlives the test.
import { META_FD, limitArgs, type SandboxContext, type SpawnSpec } from './command.js';
import type { CommandPlan } from '../types.js';

/** The uid student code runs as in the "user" backend: its own, shared with nothing else. */
export function separateUid(): number {
  const v = Number(process.env.SOCKGRADE_STUDENT_UID ?? 64999);
  return Number.isInteger(v) && v > 0 ? v : 64999;
}

export function separateUserCommand(ctx: SandboxContext, plan: CommandPlan, argv: string[], env: Record<string, string>): SpawnSpec {
  const id = String(ctx.dropToUid ?? separateUid());
  return {
    file: 'setpriv',
    args: ['--reuid', id, '--regid', id, '--clear-groups', '--inh-caps=-all', '--no-new-privs', '--', ctx.launcher, String(META_FD), ...limitArgs(plan), '--', ...argv],
    cwd: ctx.workDir,
    env: { ...env, HOME: ctx.workDir },
  };
}
