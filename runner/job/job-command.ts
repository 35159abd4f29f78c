// A grading job's command line and environment, composed in one place. The
// CLI composes it for every job (jobCommand, job-process.ts); bin/sockgrade.js
// composes it once more, from the reaper it finds among the built helpers, to
// start the job of `sockgrade grade` before the CLI itself has loaded
// (startJobAhead): a job's own start (~40 ms: its reaper, a Node
// start) is then no longer behind the CLI's. The CLI takes that process only
// when the command line it composes itself is the same, else kills it
// (JobAhead), so a guess made from the helpers' folders never decides which
// job runs. Small modules only: bin/sockgrade.js loads this before the CLI.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import path from 'node:path';
import { freshBundle } from '../bundles.js';
import { distRunnerDir } from '../paths.js';
import { procStat } from '../proc-stat.js';
import { waitStatusEnd } from '../signals.js';
import { deadline, waitUntil } from '../wait.js';
import { helperDirs } from '../sandbox/native-cache.js';
import { isRoot } from '../sandbox/probe.js';
import { OWN_NAMESPACES } from './own-namespaces-flag.js';

/** The file the job starts from: its bundle while that is fresh (runner/bundles.ts), else its entry module. */
export function jobEntry(): string {
  return freshBundle('job') ?? path.join(distRunnerDir, 'job', 'start.js');
}

/** What a job in namespaces of its own needs on its command line. */
export interface OwnNamespaces {
  /** pid 1 of its pid namespace (runner/job/reaper.c). */
  reaper: string;
  /** The grading process, whose death before the reaper's death signal was set the reaper checks for. */
  gradingPid: number;
}

/** The job's command line, program first: in a fresh network, mount and pid namespace when `own` is given. */
export function jobArgv(entry: string, own: OwnNamespaces | null): string[] {
  // The job dies with the grading process, however it dies (see parent.ts):
  // the reaper's death signals for itself and pid 1 of the job's own pid
  // namespace, whose end takes everything in the namespace with it; setpriv's
  // for a job started without namespaces. Not root: the namespaces come with
  // a user namespace of their own.
  return own
    ? [own.reaper, ...(isRoot() ? [] : ['--map-root-user']), '--grading-process', String(own.gradingPid), '--', process.execPath, entry, OWN_NAMESPACES]
    : ['setpriv', '--pdeathsig', 'KILL', '--', process.execPath, entry];
}

/**
 * The job's environment: the grading process's, without NODE_EXTRA_CA_CERTS.
 * Node reads and parses that certificate file as it starts, before any code
 * runs (~40 ms for a distribution's 220 KB bundle, two thirds of a bare
 * `node -e 0`); a job makes no TLS connection, so it would only delay it.
 */
function jobEnvironment(): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _unused, ...env } = process.env;
  return env;
}

/** What a grade uses of its job's process: a child Node started, or one the shell line started (AdoptedJob). */
export interface JobChild {
  readonly pid?: number | undefined;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal?: NodeJS.Signals | number): boolean;
  on(event: 'exit' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
  once(event: 'exit' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
  /** A child Node did not spawn (AdoptedJob) is reaped through `reap` (the job's addon: waitpid) once it ends. */
  reapWith?(reap: (pid: number) => number | null): void;
}

/** The job's process, started as `argv` (jobArgv), its standard streams piped; it waits for its spec on stdin. */
export function startJobProcess(argv: string[]): JobChild {
  const [program, ...args] = argv;
  const child = spawn(program!, args, { stdio: ['pipe', 'pipe', 'pipe'], env: jobEnvironment() });
  child.stdin.on('error', () => {}); // a job that died before reading its spec: its exit status says why
  return child;
}

/** The value `grade` would take for --sandbox (its last), read off the raw command line; undefined when not given. */
function sandboxArgument(args: string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length && args[i] !== '--'; i++) {
    const a = args[i]!;
    if (a === '--sandbox') value = args[++i];
    else if (a.startsWith('--sandbox=')) value = a.slice('--sandbox='.length);
  }
  return value;
}

/**
 * The reaper compileReaper would give, most likely: the newest built one in
 * the first helpers' folder that has any (native-cache.ts's order). Only a
 * guess: the CLI takes the job started with it only when compileReaper agrees.
 */
function builtReaper(): string | null {
  for (const { dir } of helperDirs()) {
    let real: string;
    let names: string[];
    try {
      real = realpathSync(dir);
      names = readdirSync(real).filter((name) => /^reaper-[0-9a-f]{16}$/.test(name));
    } catch {
      continue;
    }
    const newest = names.map((name) => path.join(real, name)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    if (newest) return newest;
  }
  return null;
}

/**
 * `sockgrade grade`'s job, started before the CLI loads, as the CLI would
 * start it with the bwrap sandbox; null for any other command, for --help,
 * for a sandbox other than bwrap or auto, or before any reaper is built
 * (the CLI then starts its job itself, as it always could).
 */
export function startJobAhead(cliArgv: string[]): JobAhead | null {
  const [command, ...args] = cliArgv;
  if (command !== 'grade') return null;
  const options = args.slice(0, args.includes('--') ? args.indexOf('--') : undefined);
  if (options.includes('--help') || options.includes('-h')) return null;
  const sandbox = sandboxArgument(args) ?? process.env.SOCKGRADE_SANDBOX ?? 'auto';
  if (sandbox !== 'auto' && sandbox !== 'bwrap') return null;
  try {
    const reaper = builtReaper();
    if (!reaper) return null;
    const argv = jobArgv(jobEntry(), { reaper, gradingPid: process.pid });
    const child = startJobProcess(argv);
    child.on('error', () => {}); // the reaper gone meanwhile: never taken (no pid), and the CLI starts its own
    return new JobAhead(argv, child, 'bin/sockgrade.js');
  } catch {
    return null;
  }
}

/**
 * The job the shell line of bin/sockgrade.js started before Node did
 * (`sg-reaper --ahead-of-cli`, runner/job/reaper.c), when it did: the
 * variables that say so are removed, so that nothing this process starts
 * inherits them.
 */
export function adoptJobAhead(): JobAhead | null {
  const said = process.env.SOCKGRADE_JOB_AHEAD;
  const argv = process.env.SOCKGRADE_JOB_AHEAD_ARGV;
  delete process.env.SOCKGRADE_JOB_AHEAD;
  delete process.env.SOCKGRADE_JOB_AHEAD_ARGV;
  const numbers = (said ?? '').split(' ').map(Number);
  if (!argv || numbers.length !== 4 || !numbers.every((n) => Number.isInteger(n) && n > 0)) return null;
  const [pid, stdin, stdout, stderr] = numbers as [number, number, number, number];
  // Only a child of this very process: variables left in an environment by anyone else name nothing to take or kill.
  if (procStat(pid)?.ppid !== process.pid) return null;
  try {
    return new JobAhead(argv.split('\n'), new AdoptedJob(pid, stdin, stdout, stderr), 'shell line');
  } catch {
    return null;
  }
}

/**
 * A job this process did not spawn but is the parent of (sg-reaper forked
 * it, then became this process), read as a spawned child is: its standard
 * streams from the socket pairs' descriptors, its end when both its output
 * streams have closed. Node reaps only the children it spawned: the CLI that
 * takes this one hands it the job's addon (reapWith), whose waitpid() gives
 * its status and counts its CPU time in the CLI's children, as a spawned
 * job's is; without it, its status is read from /proc once it is a zombie,
 * and it is reaped when the CLI ends. Its end is seen as its output ends:
 * whoever takes it reads both streams (jobProcess does); once it is killed,
 * what nobody reads is drained.
 */
class AdoptedJob extends EventEmitter {
  readonly stdin: Socket;
  readonly stdout: Socket;
  readonly stderr: Socket;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  private ended = false;
  private reap: ((pid: number) => number | null) | null = null;

  constructor(readonly pid: number, stdin: number, stdout: number, stderr: number) {
    super();
    this.stdin = new Socket({ fd: stdin, readable: false, writable: true });
    this.stdout = new Socket({ fd: stdout, readable: true, writable: false });
    this.stderr = new Socket({ fd: stderr, readable: true, writable: false });
    this.stdin.on('error', () => {}); // a job that died before reading its spec: its status says why
    let open = 2;
    const closed = () => {
      if (--open === 0) void this.end();
    };
    this.stdout.once('close', closed);
    this.stderr.once('close', closed);
  }

  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    if (this.ended) return false;
    for (const stream of [this.stdout, this.stderr]) if (!stream.readableFlowing) stream.resume();
    try {
      process.kill(this.pid, signal); // our own child, unreaped: its pid is not anyone else's
      return true;
    } catch {
      return false;
    }
  }

  reapWith(reap: (pid: number) => number | null): void {
    this.reap = reap;
  }

  /** Its status once the kernel has it (the streams close as it exits, a moment before), then 'exit' and 'close'. */
  private async end(): Promise<void> {
    let status: number | null = null;
    const ended = (): boolean => {
      if (this.reap) {
        try {
          status = this.reap(this.pid);
          return status !== null;
        } catch {
          this.reap = null; // not ours to wait for after all: read as a zombie, below
        }
      }
      const stat = procStat(this.pid);
      status = stat?.state === 'Z' ? stat.exitStatus : null;
      return status !== null;
    };
    // Within microseconds as a rule; the deadline is for a machine that deschedules it for seconds meanwhile.
    await waitUntil(ended, deadline(10_000), { intervalMs: 1 });
    this.ended = true;
    const last = status as number | null; // set by ended(), which the wait calls
    if (last !== null) ({ exitCode: this.exitCode, signalCode: this.signalCode } = waitStatusEnd(last));
    this.emit('exit', this.exitCode, this.signalCode);
    this.emit('close', this.exitCode, this.signalCode);
  }
}

/** Until the process has exited (and, through its reaper, everything in its namespace). */
export function exited(child: JobChild): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('close', () => resolve()));
}

/** A job started before the CLI loaded (by the shell line of bin/sockgrade.js, or by its Node code): the CLI takes it (take) or kills it (discard), once. */
export class JobAhead {
  private settled = false;
  /** Whether the CLI took it (for the debug log: a job started twice costs a Node start). */
  taken = false;

  constructor(
    private readonly argv: string[],
    readonly child: JobChild,
    /** Who started it: the shell line (through the reaper, before Node) or bin/sockgrade.js (before the CLI loaded). */
    readonly startedBy: 'shell line' | 'bin/sockgrade.js',
  ) {}

  /** The process, when it was started as `argv` and still runs; otherwise null, once it is killed and gone. */
  async take(argv: string[]): Promise<JobChild | null> {
    if (this.settled) return null;
    const { child } = this;
    const same = this.argv.length === argv.length && this.argv.every((a, i) => a === argv[i]);
    if (!same || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
      await this.discard();
      return null;
    }
    this.settled = true;
    this.taken = true;
    return child;
  }

  /** Kills it unless taken (a usage error, another sandbox, another command line), and waits until it is gone. */
  async discard(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    if (this.child.pid === undefined) return; // never started
    this.child.kill('SIGKILL'); // our own child, by its pid; pid 1's death signal and the namespace's end take the rest
    await exited(this.child);
  }
}
