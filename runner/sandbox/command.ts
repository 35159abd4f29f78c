// Turns "run this argv with these limits" into the command line that runs it
// inside the student sandbox (bubblewrap), or bare for --sandbox none.
import { existsSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { needsReportChannel } from '../harness/channel.js';
import { packageRoot } from '../paths.js';
import type { ProcessStarter } from '../spawn.js';
import type { CommandPlan, SandboxKind } from '../types.js';
import type { KeptSandboxes } from './kept-sandbox.js';
import { limitArgs } from './limit-args.js';
import { runStudentCommand } from './run-student.js';
import { separateUserCommand } from './separate-user.js';

/** Where the submission's scratch folder appears inside the sandbox. */
export const SANDBOX_HOME = '/home/student';
/** Where the launcher appears inside the sandbox. */
const LAUNCHER_IN_SANDBOX = '/run/sockgrade/launch';
/** Where the host files a command shows the sandbox (shim, harness, prelude) appear in it. */
const SHOWN_IN_SANDBOX = '/run/sockgrade/files';
/** File descriptors the launcher and bwrap report on (see process.ts). */
export const META_FD = 3;
export const INFO_FD = 4;
/** The pid of the sandbox's pid 1 (the launcher) as the job sees it, from what bwrap writes on INFO_FD; null until it says. */
export function sandboxInitPid(info: string): number | null {
  const m = /"child-pid"\s*:\s*(\d+)/.exec(info);
  return m ? Number(m[1]) : null;
}
/** bwrap blocks on this fd, sandbox set up, until the runner writes to it (runner/process.ts: a pre-started program). */
export const GATE_FD = 8;
/** A kept sandbox's launcher reads its runs on this fd (kept-sandbox.ts). */
export const CONTROL_FD = 3;

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
  /** sockgrade's own /etc files; the checkout's when absent. */
  etcFiles?: SandboxEtcFiles;
  /** The job's prepared /etc (etc-view.ts), shown with one bind; absent: one bind per entry. */
  etcDir?: string | null;
  /** The grade's kept sandboxes, where its tests' programs run one after another (kept-sandbox.ts); absent: a sandbox per start. */
  kept?: KeptSandboxes | null;
  /** Starts the sandboxes' processes without forking the job (its addon, runner/spawn.ts); absent: Node's spawn. */
  starter?: ProcessStarter | null;
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
  /** Ids the process runs as, set by spawn before exec (asUnprivilegedUser); absent: the grader's own. */
  uid?: number;
  gid?: number;
}

const BASE_ENV: Record<string, string> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
};

let rootLinksRead: string[] | null = null;

/** /bin, /lib, ... are links into /usr on merged-/usr systems, folders elsewhere; read once a process, as the host's /etc is (every run of a grade asks). */
function rootLinks(): string[] {
  if (rootLinksRead) return rootLinksRead;
  const out: string[] = [];
  for (const dir of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    if (!existsSync(dir)) continue;
    const st = lstatSync(dir);
    if (st.isSymbolicLink()) out.push('--symlink', readlinkSync(dir), dir);
    else out.push('--ro-bind', dir, dir);
  }
  rootLinksRead = out;
  return out;
}

/**
 * What of the machine's /etc the system's programs need to run, shown read-only
 * when present: the alternatives links (/usr/bin/cc, c++, awk, java are links
 * into /etc/alternatives on Debian), the dynamic linker's cache and search
 * path, the time zone, the protocol, service and address-selection tables, and
 * the configuration Perl, Python and Java read at start. Nothing private: no
 * user database, no keys or certificates, no host names of the machine.
 */
const HOST_ETC = [
  'alternatives', 'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'localtime', 'timezone',
  'services', 'protocols', 'rpc', 'gai.conf', 'host.conf', 'os-release', 'debian_version', 'perl',
];
/** Folders matched by name: one per installed version (java-17-openjdk, python3.11, ...). */
const HOST_ETC_FAMILIES = /^(java(-[\w.-]+)?|python3[\w.]*)$/;
/**
 * Shown in place of the machine's own (runner/sandbox/etc/): a user database
 * naming only the sandbox user, root and nobody; a hosts file where localhost
 * is 127.0.0.1 and ::1; a name-service switch that asks no host service.
 */
export const SANDBOX_ETC = ['passwd', 'group', 'hosts', 'nsswitch.conf'] as const;
export const SANDBOX_ETC_DIR = path.join(packageRoot, 'runner', 'sandbox', 'etc');
/** Host paths of sockgrade's own /etc files, by name: in SANDBOX_ETC_DIR, or copies the sandbox's uid can read. */
export type SandboxEtcFiles = Record<(typeof SANDBOX_ETC)[number], string>;

/** One entry of the sandbox's /etc: a host file or folder shown read-only, or a symbolic link. */
export interface EtcEntry {
  kind: 'bind' | 'link';
  /** The host path bound, or the link's target. */
  source: string;
  /** Its name in /etc. */
  name: string;
}

let hostEntries: EtcEntry[] | null = null;

/** Every entry of the sandbox's /etc: the machine's part (computed once per process), then sockgrade's own files. */
export function etcEntries(own: SandboxEtcFiles | undefined): EtcEntry[] {
  return [
    ...hostEtcEntries(),
    ...SANDBOX_ETC.map((name): EtcEntry => ({ kind: 'bind', source: own?.[name] ?? path.join(SANDBOX_ETC_DIR, name), name })),
  ];
}

/**
 * The bwrap arguments that make the sandbox's /etc: the job's prepared view
 * (runner/sandbox/etc-view.ts) in one bind when it has one, else one argument
 * per entry (the same files, more mounts at every sandbox start).
 */
export function etcView(own: SandboxEtcFiles | undefined, preparedDir?: string | null): string[] {
  if (preparedDir) return ['--ro-bind', preparedDir, '/etc'];
  return etcEntries(own).flatMap((e) => (e.kind === 'link' ? ['--symlink', e.source, `/etc/${e.name}`] : ['--ro-bind', e.source, `/etc/${e.name}`]));
}

function hostEtcEntries(): EtcEntry[] {
  if (hostEntries) return hostEntries;
  const out: EtcEntry[] = [];
  let names: string[] = [];
  try {
    names = readdirSync('/etc');
  } catch {
    /* no /etc to show: the sandbox still gets its own files */
  }
  const wanted = new Set(HOST_ETC);
  for (const name of names.sort()) {
    if (!wanted.has(name) && !HOST_ETC_FAMILIES.test(name)) continue;
    const host = `/etc/${name}`;
    // A link stays a link (/etc/localtime -> /usr/share/zoneinfo/...): its target is in the sandbox already, or nowhere.
    if (lstatSync(host).isSymbolicLink()) out.push({ kind: 'link', source: readlinkSync(host), name });
    else out.push({ kind: 'bind', source: host, name });
  }
  // df, mount and friends read the mount table through /etc/mtab.
  out.push({ kind: 'link', source: '../proc/self/mounts', name: 'mtab' });
  hostEntries = out;
  return out;
}

/** `gated`: bwrap makes the sandbox, then waits for a byte on GATE_FD before it starts the launcher (the next test's sandbox, made ahead). */
export function sandboxedCommand(ctx: SandboxContext, plan: CommandPlan, opts: { gated?: boolean } = {}): SpawnSpec {
  const { argv, preload } = programParts(ctx, plan);
  const env = programEnv(plan, preload);

  if (ctx.kind === 'inginious') return runStudentCommand(ctx, plan, argv, env);
  if (ctx.kind === 'user') return separateUserCommand(ctx, plan, argv, env);
  if (ctx.kind === 'none') return bareCommand(ctx, plan, argv, env);

  const run = bwrapRun(ctx, plan);
  const bwrap = [
    ...namespaceArgs(),
    ...run.filesystem,
    ...launcherArgs(plan, run.argv, run.env, opts.gated ?? false),
  ];
  return asUnprivilegedUser(ctx, { file: 'bwrap', args: bwrap, cwd: '/', env: BASE_ENV });
}

/** The program's argv (behind the harness for a function task) and what is preloaded into it, as host paths. */
function programParts(ctx: SandboxContext, plan: CommandPlan): { argv: string[]; preload: string[] } {
  return {
    argv: plan.viaHarness ? [nativePart(ctx.harness, 'harness'), ...plan.argv] : plan.argv,
    preload: [...(plan.preload ?? []), ...(plan.calls ? [nativePart(ctx.faultsShim, 'faults shim')] : [])],
  };
}

/** One program in a bwrap sandbox: what the sandbox shows, and the argv and environment as the sandbox names things. */
function bwrapRun(ctx: SandboxContext, plan: CommandPlan): { filesystem: string[]; argv: string[]; env: Record<string, string> } {
  const { argv, preload } = programParts(ctx, plan);
  // Each host file the sandbox is shown (the shim, the harness, a task's prelude) at a path of
  // the sandbox's own: where sockgrade is installed (/home/..., /work/...) is none of the program's business.
  const shown = shownFiles(plan, argv, preload);
  const inside = (a: string) => shown.get(a) ?? a;
  return { filesystem: filesystemArgs(ctx, shown), argv: argv.map(inside), env: programEnv(plan, preload.map(inside)) };
}

/**
 * A run in a kept sandbox (kept-sandbox.ts): the sandbox it needs (runs
 * whose sandboxes would be made alike share one, by `key`), and what the
 * launcher's --serve mode is sent for it: the limits, whether it carries the
 * report channel, the argv, and the environment in the order bwrap would set it.
 */
export interface KeptRunSpec {
  key: string;
  sandbox: SpawnSpec;
  limits: string[];
  report: boolean;
  argv: string[];
  env: string[];
}

export function keptRunSpec(ctx: SandboxContext, plan: CommandPlan): KeptRunSpec {
  const run = bwrapRun(ctx, plan);
  // The launcher is told of the report channel in the run's message, not in the program's environment.
  const env: Record<string, string> = { ...run.env, HOME: SANDBOX_HOME };
  delete env.SG_REPORT_CHANNEL;
  const launcherEnv = Object.entries(BASE_ENV).flatMap(([k, v]) => ['--setenv', k, v]);
  const bwrap = [...namespaceArgs(), ...run.filesystem, ...launcherEnv, '--info-fd', String(INFO_FD), '--', LAUNCHER_IN_SANDBOX, '--serve', String(CONTROL_FD)];
  return {
    key: JSON.stringify(run.filesystem),
    sandbox: asUnprivilegedUser(ctx, { file: 'bwrap', args: bwrap, cwd: '/', env: BASE_ENV }),
    limits: limitArgs(plan),
    report: needsReportChannel(plan),
    argv: run.argv,
    env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
  };
}

/** The environment the program gets, on top of the base one. */
function programEnv(plan: CommandPlan, preload: string[]): Record<string, string> {
  const env: Record<string, string> = { ...BASE_ENV, ...plan.env };
  // sg-launch hands it on as LD_PRELOAD to the program only: a shim must not run inside the launcher.
  if (preload.length) env.SG_LD_PRELOAD = preload.join(':');
  // The launcher keeps fds 5-7 open for the program only when they carry the report channel.
  if (needsReportChannel(plan)) env.SG_REPORT_CHANNEL = '1';
  return env;
}

/** --sandbox none: the launcher alone, in the scratch folder. */
function bareCommand(ctx: SandboxContext, plan: CommandPlan, argv: string[], env: Record<string, string>): SpawnSpec {
  return {
    file: ctx.launcher,
    args: [String(META_FD), ...limitArgs(plan), '--', ...argv],
    cwd: ctx.workDir,
    env: { ...env, HOME: ctx.workDir },
  };
}

/** New namespaces, the student's ids, no capabilities. */
function namespaceArgs(): string[] {
  return [
    '--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_UID), '--hostname', 'sandbox',
    '--die-with-parent', '--new-session', '--cap-drop', 'ALL',
    // The launcher is pid 1 (no bwrap reaper): the student sees no process but
    // its own and the launcher (whose environment is its own), cannot kill the
    // launcher (pid 1 ignores signals it has no handler for), and when the
    // launcher exits the namespace goes with everything in it.
    '--as-pid-1',
    '--clearenv',
  ];
}

/** Where each host file the command shows the sandbox appears in it: /run/sockgrade/files/N-NAME. */
function shownFiles(plan: CommandPlan, argv: string[], preload: string[]): Map<string, string> {
  const files = [...preload, ...(plan.readOnlyFiles ?? []), ...(plan.viaHarness ? [argv[0]!] : [])];
  return new Map([...new Set(files)].map((f, i) => [f, `${SHOWN_IN_SANDBOX}/${i}-${path.basename(f)}`]));
}

/** What the student sees: the system read-only, the sandbox's /etc, sized tmpfs, the scratch folder writable. */
function filesystemArgs(ctx: SandboxContext, shown: Map<string, string>): string[] {
  const args = [
    '--ro-bind', '/usr', '/usr', ...rootLinks(), ...etcView(ctx.etcFiles, ctx.etcDir),
    '--dev', '/dev', '--proc', '/proc',
    ...tmpfsLimitArgs(),
    '--dir', '/run/sockgrade',
    '--ro-bind', ctx.launcher, LAUNCHER_IN_SANDBOX,
    '--bind', ctx.workDir, SANDBOX_HOME, '--chdir', SANDBOX_HOME,
  ];
  for (const [file, at] of shown) args.push('--ro-bind', file, at);
  // Everything but /tmp and the scratch folder read-only, the root's own tmpfs included.
  args.push('--remount-ro', '/');
  return args;
}

/** The writable in-memory folders, each with a size cap. */
function tmpfsLimitArgs(): string[] {
  return [
    // --dev's own tmpfs has no size: a program could fill the machine's memory through /dev/shm.
    '--size', String(16 * 1024 * 1024), '--tmpfs', '/dev/shm',
    '--size', String(64 * 1024 * 1024), '--tmpfs', '/tmp',
  ];
}

/** The program's environment, then the launcher (pid 1) with the plan's limits and the argv. */
function launcherArgs(plan: CommandPlan, argv: string[], env: Record<string, string>, gated: boolean): string[] {
  const args: string[] = [];
  for (const [k, v] of Object.entries({ ...env, HOME: SANDBOX_HOME })) args.push('--setenv', k, v);
  if (gated) args.push('--block-fd', String(GATE_FD));
  args.push('--info-fd', String(INFO_FD), '--', LAUNCHER_IN_SANDBOX, String(META_FD), ...limitArgs(plan), '--', ...argv);
  return args;
}

/**
 * As real root, bwrap itself runs as `dropToUid` (see SandboxContext.dropToUid):
 * spawn sets the ids in the child before exec (setgroups to none, setgid,
 * setuid: every root capability goes with uid 0), as `setpriv --reuid
 * --regid --clear-groups` would, one exec less per sandbox. No new privileges
 * is set by bwrap itself, and again by the launcher.
 */
function asUnprivilegedUser(ctx: SandboxContext, spec: SpawnSpec): SpawnSpec {
  if (ctx.dropToUid === null) return spec;
  return { ...spec, uid: ctx.dropToUid, gid: ctx.dropToUid };
}
