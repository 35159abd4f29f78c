// A kept sandbox: one bwrap sandbox in which a grade's tests start their
// programs one after another. Making a sandbox (its namespaces, a dozen
// mounts, their teardown) costs ~5 ms of CPU per start, more than the
// program's own fork and exec; a server that fails every test is started
// once per test. The launcher is the sandbox's pid 1 in its --serve mode
// (launcher.c): each run is one message on a control socket, with the
// run's own sockets for stdout, stderr, the launcher's record and the report
// channel attached (SCM_RIGHTS, sent by the job's addon). When a program
// ends, or is stopped, pid 1 kills every other process of the sandbox,
// reaps them and empties /tmp and /dev/shm before it closes the run's record:
// the next run starts with nothing of the last but the scratch folder, which
// every start of a grade shares anyway.
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { CONTROL_FD, INFO_FD, META_FD, keptRunSpec, sandboxInitPid, type KeptRunSpec, type SandboxContext } from './command.js';
import { HARNESS_FD, REPORT_FD, SHIM_FD } from '../harness/channel.js';
import { handedSocket, startProcess, type ProcessStarter, type StartedProcess } from '../spawn.js';
import type { CommandPlan } from '../types.js';
import { deadline, withDeadline } from '../wait.js';

/** What only the job's addon can do (job-addon.c): make socket pairs as descriptors, send descriptors. */
export interface SocketMaker {
  socketPair(seqpacket?: boolean): [number, number];
  sendWithFds(fd: number, data: Buffer, fds: number[]): void;
}

/** What a dead sandbox's bwrap said, kept for the run it failed (bwrap's own errors are a line or two). */
const STDERR_KEPT_BYTES = 4096;

/** The kept sandboxes of one grade, one per filesystem its programs need (the same for all of a task's tests). */
export class KeptSandboxes {
  private readonly byKey = new Map<string, KeptSandbox>();

  constructor(private readonly sockets: SocketMaker) {}

  /** A run of `plan` in its kept sandbox, made now if there is none yet (or the last one ended); `handed`: the report channel's fds 6 and 7 (channel.ts). */
  prepare(ctx: SandboxContext, plan: CommandPlan, handed: Record<number, string>): KeptRun {
    const spec = keptRunSpec(ctx, plan);
    let sandbox = this.byKey.get(spec.key);
    if (!sandbox || sandbox.gone) {
      void sandbox?.close(); // a sandbox that died: its control socket is ours to close
      sandbox = new KeptSandbox(spec, this.sockets, ctx.starter);
      this.byKey.set(spec.key, sandbox);
    }
    return new KeptRun(sandbox, spec, this.sockets, handed);
  }

  /** Ends every sandbox (their launchers end at their control socket's end) and waits until they are gone. */
  async close(): Promise<void> {
    const all = [...this.byKey.values()];
    this.byKey.clear();
    await Promise.all(all.map((s) => s.close()));
  }
}

export class KeptSandbox {
  private readonly child: StartedProcess;
  private control: number | null;
  /** The launcher's pid as the job sees it: the root of every run's process tree. */
  launcherPid: number | null = null;
  gone = false;
  stderr = '';
  readonly ended: Promise<void>;
  private runs = 0;

  constructor(spec: KeptRunSpec, sockets: SocketMaker, starter: ProcessStarter | null | undefined) {
    const [mine, theirs] = sockets.socketPair(true);
    this.control = mine;
    const { file, args, cwd, env, uid, gid } = spec.sandbox;
    this.child = startProcess(starter, file, args, {
      cwd,
      env,
      stdio: ['ignore', 'ignore', 'pipe', theirs, 'pipe'],
      ...(uid === undefined ? {} : { uid }),
      ...(gid === undefined ? {} : { gid }),
    });
    closeSync(theirs);
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (d: string) => {
      if (this.stderr.length < STDERR_KEPT_BYTES) this.stderr += d.slice(0, STDERR_KEPT_BYTES - this.stderr.length);
    });
    const info = this.child.stdio[INFO_FD] as Socket;
    let infoText = '';
    info.setEncoding('utf8');
    info.on('data', (d: string) => {
      infoText += d;
      this.launcherPid ??= sandboxInitPid(infoText);
    });
    const stderrEnded = new Promise((r) => this.child.stderr!.once('close', r));
    this.ended = new Promise((resolve) => {
      const end = () => {
        this.gone = true;
        void withDeadline(stderrEnded, deadline(500)).then(() => resolve());
      };
      this.child.once('exit', end);
      this.child.once('error', end);
    });
  }

  /** The control socket to send on; null once the sandbox is gone or closed. */
  get controlFd(): number | null {
    return this.gone ? null : this.control;
  }

  newRunId(): string {
    return String(++this.runs);
  }

  async close(): Promise<void> {
    if (this.control !== null) closeSync(this.control);
    this.control = null;
    if (await withDeadline(this.ended, deadline(2000)) !== undefined) return;
    try {
      process.kill(-this.child.pid!, 'SIGKILL'); // bwrap's group, ours; its pid 1 dies with it (--die-with-parent)
    } catch {
      /* already gone */
    }
    await this.ended;
  }
}

/**
 * One program's run in a kept sandbox. Its sockets exist from the start, so
 * a ProgramRun reads them as it would a spawned process's pipes (`stdio`, by
 * descriptor); the program starts at send().
 */
export class KeptRun {
  readonly stdio: (Socket | null)[] = [];
  /** The launcher's ends of the run's sockets, until they are sent. */
  private theirs: number[] = [];
  private sent = false;
  private id = '';
  /** Resolves when the run is over: the launcher closed its record, every process of the run gone. */
  readonly ended: Promise<void>;

  constructor(
    readonly sandbox: KeptSandbox,
    private readonly spec: KeptRunSpec,
    private readonly sockets: SocketMaker,
    handed: Record<number, string>,
  ) {
    // In the order the launcher takes them: the record, stdout, stderr, then the report channel's three,
    // the last two handed their text now (no stream of ours: spawn.ts, handedSocket).
    for (const fd of [META_FD, 1, 2, ...(spec.report ? [REPORT_FD] : [])]) {
      const [mine, theirs] = sockets.socketPair(false);
      this.stdio[fd] = new Socket({ fd: mine, readable: true, writable: false });
      this.theirs.push(theirs);
    }
    if (spec.report) for (const fd of [SHIM_FD, HARNESS_FD]) this.theirs.push(handedSocket(sockets, handed[fd] ?? ''));
    const meta = this.stdio[META_FD]!;
    this.ended = new Promise((resolve) => meta.once('close', () => resolve()));
  }

  /** Not sent yet: the program waits for send(). */
  get waiting(): boolean {
    return !this.sent;
  }

  /** Starts the program; where the sandbox is gone, the run ends at once, never started (its record is empty). */
  send(): void {
    if (this.sent) return;
    this.sent = true;
    const control = this.sandbox.controlFd;
    const id = (this.id = this.sandbox.newRunId());
    if (control !== null) {
      const words = ['R', id, ...this.spec.limits, this.spec.report ? '1' : '0', String(this.spec.argv.length), ...this.spec.argv, ...this.spec.env];
      try {
        this.sockets.sendWithFds(control, Buffer.from(words.map((w) => `${w}\0`).join('')), this.theirs);
      } catch {
        /* the sandbox is gone: the run's record ends empty when its descriptors close below */
      }
    }
    this.closeTheirs();
  }

  /** Stops the run: the launcher kills every process of it. A run never sent just ends. */
  kill(): void {
    if (!this.sent) {
      this.sent = true;
      this.closeTheirs();
      return;
    }
    const control = this.sandbox.controlFd;
    if (control === null) return;
    try {
      this.sockets.sendWithFds(control, Buffer.from(`K\0${this.id}\0`), []);
    } catch {
      /* the sandbox is gone, and the run with it */
    }
  }

  private closeTheirs(): void {
    for (const fd of this.theirs) closeSync(fd);
    this.theirs = [];
  }
}
