// Turns "run this argv with these limits" into the command line that runs it
// inside the student sandbox (bubblewrap), or bare for --sandbox none.
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { needsReportChannel } from '../harness/channel.js';
import type { CommandPlan, SandboxKind } from '../types.js';
import { runStudentCommand } from './run-student.js';
import { separateUserCommand } from './separate-user.js';

/** Where the submission's scratch folder appears inside the sandbox. */
export const SANDBOX_HOME = '/home/student';
/** Where the launcher appears inside the sandbox. */
const LAUNCHER_IN_SANDBOX = '/run/sockgrade/launch';
/** File descriptors the launcher and bwrap report on (see process.ts). */
export const META_FD = 3;
export const INFO_FD = 4;

/** uid/gid the student runs as, inside its user namespace. */
const SANDBOX_UID = 1000;

export interface SandboxContext {
  kind: SandboxKind;
  /** Host path of the scratch folder. */
  workDir: string;
  /** Host path of the compiled launcher. */
  launcher: string;
  /**
   * When the grader runs as real root, the student must not map to kernel uid 0
   * (root ignores RLIMIT_NPROC): drop to this unprivileged uid before bwrap.
   */
  dropToUid: number | null;
  /** Host path of the job's compiled harness (function tasks), run by CommandPlan.viaHarness. */
  harness?: string | null;
  /** Host path of the compiled faults shim, preloaded by CommandPlan.calls. */
  faultsShim?: string | null;
  /** The inginious and user backends: sg-remote (remote-launch.c), and run_student for inginious. */
  remote?: { launcher: string; runStudent: string | null } | null;
}

function nativePart(path: string | null | undefined, what: string): string {
  if (!path) throw new Error(`the plan needs the ${what}, but the job has none`);
  return path;
}

export interface SpawnSpec {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** The program runs where the grader cannot signal it: fd 3 is sg-remote's control socket (run-student.ts). */
  remote?: boolean;
}

const BASE_ENV: Record<string, string> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
};

/** /bin, /lib, ... are links into /usr on merged-/usr systems, folders elsewhere. */
function rootLinks(): string[] {
  const out: string[] = [];
  for (const dir of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    if (!existsSync(dir)) continue;
    const st = lstatSync(dir);
    if (st.isSymbolicLink()) out.push('--symlink', readlinkSync(dir), dir);
    else out.push('--ro-bind', dir, dir);
  }
  return out;
}

export function limitArgs(plan: CommandPlan): string[] {
  const l = plan.limits;
  return [
    String(Math.max(1, Math.ceil(l.cpuSeconds))),
    String(l.memoryMb * 1024 * 1024),
    String(l.processes + 1), // the launcher itself runs as the same user and counts too
    String(l.fileSizeMb * 1024 * 1024),
    String(l.openFiles),
  ];
}

export function sandboxedCommand(ctx: SandboxContext, plan: CommandPlan): SpawnSpec {
  const env: Record<string, string> = { ...BASE_ENV, ...plan.env };
  const argv = plan.viaHarness ? [nativePart(ctx.harness, 'harness'), ...plan.argv] : plan.argv;
  const preload = [...(plan.preload ?? []), ...(plan.calls ? [nativePart(ctx.faultsShim, 'faults shim')] : [])];
  // sg-launch hands it on as LD_PRELOAD to the program only: a shim must not run inside the launcher.
  if (preload.length) env.SG_LD_PRELOAD = preload.join(':');
  // The launcher keeps fds 5-7 open for the program only when they carry the report channel.
  if (needsReportChannel(plan)) env.SG_REPORT_CHANNEL = '1';

  if (ctx.kind === 'inginious') return runStudentCommand(ctx, plan, argv, env);
  if (ctx.kind === 'user') return separateUserCommand(ctx, plan, argv, env);
  if (ctx.kind === 'none') {
    return {
      file: ctx.launcher,
      args: [String(META_FD), ...limitArgs(plan), '--', ...argv],
      cwd: ctx.workDir,
      env: { ...env, HOME: ctx.workDir },
    };
  }

  const bwrap = [
    '--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_UID), '--hostname', 'sandbox',
    '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
    // The launcher is pid 1 (no bwrap reaper): the student sees no process but
    // its own and the launcher (whose environment is its own), cannot kill the
    // launcher (pid 1 ignores signals it has no handler for), and when the
    // launcher exits the namespace goes with everything in it.
    '--as-pid-1',
    '--clearenv',
    '--ro-bind', '/usr', '/usr', ...rootLinks(),
    '--dev', '/dev', '--proc', '/proc',
    // --dev's own tmpfs has no size: a program could fill the machine's memory through /dev/shm.
    '--size', String(16 * 1024 * 1024), '--tmpfs', '/dev/shm',
    '--size', String(64 * 1024 * 1024), '--tmpfs', '/tmp',
    '--dir', '/run/sockgrade',
    '--ro-bind', ctx.launcher, LAUNCHER_IN_SANDBOX,
    '--bind', ctx.workDir, SANDBOX_HOME, '--chdir', SANDBOX_HOME,
  ];
  const shown = [...preload, ...(plan.readOnlyFiles ?? []), ...(plan.viaHarness ? [argv[0]!] : [])];
  for (const file of shown) bwrap.push('--ro-bind', file, file);
  // Everything but /tmp and the scratch folder read-only, the root's own tmpfs included.
  bwrap.push('--remount-ro', '/');
  for (const [k, v] of Object.entries({ ...env, HOME: SANDBOX_HOME })) bwrap.push('--setenv', k, v);
  bwrap.push('--info-fd', String(INFO_FD), '--', LAUNCHER_IN_SANDBOX, String(META_FD), ...limitArgs(plan), '--', ...argv);

  if (ctx.dropToUid !== null) {
    const id = String(ctx.dropToUid);
    return {
      file: 'setpriv',
      args: ['--reuid', id, '--regid', id, '--clear-groups', '--no-new-privs', '--', 'bwrap', ...bwrap],
      cwd: '/',
      env: BASE_ENV,
    };
  }
  return { file: 'bwrap', args: bwrap, cwd: '/', env: BASE_ENV };
}
