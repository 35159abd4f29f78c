// The "user" backend, for containers that forbid namespaces and have no
// run_student (Gradescope's, as far as its documentation says): the program
// runs on the grading machine itself, as a separate unprivileged user that
// nothing else uses, under sg-remote (remote-launch.c): its limits, a control
// socket to stop it, and, as a child subreaper, every process the program
// leaves behind killed and reaped when it ends. Weaker than bwrap: no private
// network, no private view of the files (the task's hidden tests must be
// unreadable to that user: run_autograder sees to it).
import type { CommandPlan } from '../types.js';
import type { SandboxContext, SpawnSpec } from './command.js';
import { limitArgs } from './limit-args.js';

/** The uid student code runs as in the "user" backend: its own, shared with nothing else. */
export function separateUid(): number {
  const v = Number(process.env.SOCKGRADE_STUDENT_UID ?? 64999);
  return Number.isInteger(v) && v > 0 ? v : 64999;
}

export function separateUserCommand(ctx: SandboxContext, plan: CommandPlan, argv: string[], env: Record<string, string>): SpawnSpec {
  if (!ctx.remote) throw new Error('the user backend needs sg-remote, but the job has none');
  const id = String(ctx.dropToUid ?? separateUid());
  // sg-launch's limits minus its META_FD: sg-remote answers on its standard input (fd 3 here, moved by sh).
  const limits = limitArgs(plan);
  return {
    file: '/bin/sh',
    args: [
      '-c', 'exec "$@" 0<&3 3<&- 4>&-', 'sg-separate-user',
      'setpriv', '--reuid', id, '--regid', id, '--clear-groups', '--inh-caps=-all', '--no-new-privs', '--',
      ctx.remote.launcher, ...limits, '--', ...argv,
    ],
    cwd: ctx.workDir,
    env: { ...env, HOME: ctx.workDir },
    remote: true,
  };
}
