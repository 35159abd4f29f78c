// Where the job starts a sandbox's process (bwrap, or the bare program under
// --sandbox none/user): through its addon where it has one (spawnProcess in
// job-addon.c, which does not fork Node: a fork copies the page tables of the
// job's whole heap, ~10-15 ms of its main thread a start on a slow machine,
// twice a grade), else through Node's spawn. Either way the caller gets what
// it uses of Node's ChildProcess: the pid, the parent's ends of the pipes by
// descriptor, the 'exit' and 'error' events, kill(). Every process starts in
// a session of its own (Node's `detached`), so that its group can be stopped.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { findOnPath } from './on-path.js';
import { errnoName, waitStatusEnd } from './signals.js';

/** What the job's addon offers to start processes (job-addon.c). */
export interface ProcessStarter {
  /** Two connected AF_UNIX sockets, close-on-exec. */
  socketPair(seqpacket?: boolean): [number, number];
  /** Starts `file` (a path); descriptor i of the child is fds[i] (-1: /dev/null); onExit(waitStatus) once it is reaped. Throws (with `errno`) when it cannot start. */
  spawnProcess(file: string, argv: string[], env: string[], cwd: string | null, fds: number[], uid: number, gid: number, onExit: (status: number) => void): number;
}

/** What the runner uses of a started process, as Node's ChildProcess has it. */
export interface StartedProcess extends EventEmitter {
  readonly pid?: number | undefined;
  readonly stdio: readonly (Readable | Writable | null | undefined)[];
  readonly stderr: Readable | null;
  kill(signal?: NodeJS.Signals): boolean;
}

export type StdioEntry = 'ignore' | 'pipe' | number | { handed: string };

export interface StartOptions {
  cwd?: string;
  env: NodeJS.ProcessEnv;
  /**
   * Per descriptor: 'ignore' (/dev/null), 'pipe' (the parent's end in
   * stdio), a descriptor of ours the child gets, or `{ handed }`: text the
   * child finds there, then the end (no parent's end to keep: a stream per
   * descriptor costs ~0.2 ms of CPU a start on a slow machine).
   */
  stdio: readonly StdioEntry[];
  uid?: number;
  gid?: number;
}

/** Starts `file` with `args`, in a session of its own; through `starter` when there is one, else Node's spawn. */
export function startProcess(starter: ProcessStarter | null | undefined, file: string, args: readonly string[], opts: StartOptions): StartedProcess {
  if (!starter) {
    const child = spawn(file, args, {
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
      env: opts.env,
      stdio: opts.stdio.map((how) => (typeof how === 'object' ? 'pipe' : how)),
      detached: true,
      ...(opts.uid === undefined ? {} : { uid: opts.uid }),
      ...(opts.gid === undefined ? {} : { gid: opts.gid }),
    });
    opts.stdio.forEach((how, fd) => {
      const pipe = child.stdio[fd] as Writable | null;
      if (typeof how !== 'object' || !pipe) return;
      pipe.on('error', () => {}); // the child may be gone before it reads: nothing to tell
      pipe.end(how.handed);
    });
    return child;
  }
  return new AddonProcess(starter, file, args, opts);
}

/** `file` as exec would find it: through the PATH the child gets (else ours), when it has no slash. */
const found = new Map<string, string>();
function resolveFile(file: string, env: NodeJS.ProcessEnv): string {
  if (file.includes('/')) return file;
  const dirs = env.PATH ?? process.env.PATH ?? '/usr/bin:/bin';
  const key = `${dirs}\0${file}`;
  let hit = found.get(key);
  if (hit === undefined) {
    hit = findOnPath(file, dirs) ?? file; // not found: execve's ENOENT says so, as Node's spawn would
    found.set(key, hit);
  }
  return hit;
}

/**
 * A socket whose other end already holds `text`, then its end: what a child
 * is handed once (StdioEntry's `handed`). A socket's buffer takes far more
 * than such a text, so the write does not wait.
 */
export function handedSocket(sockets: Pick<ProcessStarter, 'socketPair'>, text: string): number {
  const [mine, theirs] = sockets.socketPair(false);
  try {
    if (text) writeSync(mine, text);
  } finally {
    closeSync(mine);
  }
  return theirs;
}

class AddonProcess extends EventEmitter implements StartedProcess {
  readonly pid: number | undefined;
  readonly stdio: (Socket | null)[] = [];
  private ended = false;

  constructor(starter: ProcessStarter, file: string, args: readonly string[], opts: StartOptions) {
    super();
    const fds: number[] = [];
    const theirs: number[] = [];
    opts.stdio.forEach((how, fd) => {
      if (typeof how === 'number') fds.push(how);
      else if (how === 'ignore') fds.push(-1);
      else if (typeof how === 'object') {
        const child = handedSocket(starter, how.handed);
        fds.push(child);
        theirs.push(child);
      } else {
        const [mine, child] = starter.socketPair(false);
        // As Node's pipes: stdin written, stdout and stderr read, the others both.
        this.stdio[fd] = new Socket({ fd: mine, readable: fd !== 0, writable: fd !== 1 && fd !== 2 });
        fds.push(child);
        theirs.push(child);
      }
      this.stdio[fd] ??= null;
    });
    const env = Object.entries(opts.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    let pid: number | undefined;
    try {
      pid = starter.spawnProcess(resolveFile(file, opts.env), [file, ...args], env, opts.cwd ?? null, fds, opts.uid ?? -1, opts.gid ?? -1, (status) => {
        this.ended = true;
        const end = status === -1 ? { exitCode: null, signalCode: null } : waitStatusEnd(status);
        this.emit('exit', end.exitCode, end.signalCode);
      });
    } catch (err) {
      // As Node's spawn: an 'error' event, after the caller has had the chance to listen, and no pid.
      const n = (err as { errno?: number }).errno ?? 0;
      const failure = Object.assign(new Error((err as Error).message), { errno: -n, code: errnoName(n), syscall: `spawn ${file}`, path: file });
      this.ended = true;
      for (const s of this.stdio) s?.destroy();
      process.nextTick(() => this.emit('error', failure));
    } finally {
      for (const fd of theirs) closeSync(fd);
    }
    this.pid = pid;
  }

  get stderr(): Readable | null {
    return this.stdio[2] ?? null;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    // Reaped only on the main thread, just before 'exit': until then the pid is still this process's.
    if (this.ended || this.pid === undefined) return false;
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}
