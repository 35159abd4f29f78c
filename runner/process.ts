// One run of an untrusted program: start it in the sandbox, capture its output
// (all read, part kept), enforce wall time, and report what happened. Stopping
// it kills the whole sandbox (bwrap's pid namespace), so nothing it started
// survives.
import { existsSync, readFileSync } from 'node:fs';
import { procStat } from './proc-stat.js';
import { signalName } from './signals.js';
import { startProcess, type StartedProcess, type StdioEntry } from './spawn.js';
import { waitProgramTime } from './program-time.js';
import { runnerQueuedMs, schedstatOf } from './run-queue.js';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { CapturedOutput } from './captured-output.js';
import { HARNESS_FD, needsReportChannel, REPORT_FD, ReportChannel, SHIM_FD } from './harness/channel.js';
import { GATE_FD, INFO_FD, META_FD, sandboxedCommand, sandboxInitPid, type SandboxContext } from './sandbox/command.js';
import type { KeptRun } from './sandbox/kept-sandbox.js';
import { RemoteControl, remoteOutcome } from './sandbox/remote-control.js';
import { OUTPUT_STOP_BYTES, type CommandPlan, type ProcessObservation } from './types.js';
import { deadline, waitUntil, withDeadline } from './wait.js';

const CLOCK_TICKS_PER_MS = 100 / 1000; // USER_HZ is 100 on Linux

type StopReason = NonNullable<ProcessObservation['stoppedBy']>;

interface LauncherMeta {
  exit?: number;
  signal?: number;
  cpu_ms?: number;
  maxrss_kb?: number;
  exec_error?: string;
}

/** Reads a pipe to its end into a string. */
function collect(stream: Readable | null | undefined): Promise<string> {
  return new Promise((resolve) => {
    if (!stream) return resolve('');
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (text += d));
    stream.on('end', () => resolve(text));
    stream.on('error', () => resolve(text));
  });
}

/** Children of a process, through /proc (no fresh /proc needed: these are our descendants). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function descendants(root: number): number[] {
  const out: number[] = [];
  const queue = [root];
  while (queue.length && out.length < 10_000) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...childrenOf(pid));
  }
  return out;
}

/** Gone, or a zombie: dead, waiting only for a reaper (here pid 1 may reap late). */
function processGone(pid: number): boolean {
  const stat = procStat(pid);
  return stat === null || stat.state === 'Z';
}

/** Peak resident memory (kB) of one process so far; 0 when it is gone. */
function peakRssKb(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function cpuTicks(pid: number): number {
  const stat = procStat(pid);
  return stat ? stat.utime + stat.stime : 0;
}

/**
 * One look at every process of the program: what their threads' schedstat
 * says (run-queue.ts): time on a CPU, time runnable (on a CPU, or waiting in
 * a run queue for one) and time queued. The kernel keeps these counts
 * itself, so no sample can be missed, and unlike CPU time the runnable time
 * does not shrink when other work shares the CPUs: a spinning program is
 * runnable all along, a blocked one not at all.
 */
interface TreeSample {
  processes: number;
  cpuMs: number;
  runnableMs: number;
  queuedMs: number;
}

function sampleTree(pids: number[]): TreeSample {
  // Where the kernel keeps schedstat, its time on a CPU is the CPU time (to the ns, not the tick): /proc/PID/stat is not read.
  if (!KERNEL_COUNTS_RUNNABLE) {
    const cpuMs = pids.reduce((sum, pid) => sum + cpuTicks(pid), 0) / CLOCK_TICKS_PER_MS;
    return { processes: pids.length, cpuMs, runnableMs: cpuMs, queuedMs: 0 };
  }
  let onCpuNs = 0;
  let queuedNs = 0;
  for (const pid of pids) {
    const sched = schedstatOf(pid);
    onCpuNs += sched.onCpuNs;
    queuedNs += sched.queuedNs;
  }
  return { processes: pids.length, cpuMs: onCpuNs / 1e6, runnableMs: (onCpuNs + queuedNs) / 1e6, queuedMs: queuedNs / 1e6 };
}

/** Kernels built without CONFIG_SCHED_INFO have no schedstat files. */
const KERNEL_COUNTS_RUNNABLE = existsSync('/proc/self/schedstat');

export class ProgramRun {
  /** The spawned sandbox (or bare program); null when the program runs in a kept sandbox (`kept`). */
  private readonly child: StartedProcess | null;
  private readonly kept: KeptRun | null;
  private startedAt = performance.now();
  private testStart: number;
  private readonly output: CapturedOutput;
  private stopReason: StopReason | null = null;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private exitedAt: number | null = null;
  private sandboxInit: number | null = null;
  private peakProcesses = 0;
  /** This turn's look at the program's tree (sample()). */
  private sampled: TreeSample | null = null;
  /** CPU ms sampled just before the runner killed the program (the launcher dies too, with no meta). */
  private cpuMsAtStop: number | null = null;
  /** Time the program was runnable, sampled there too: whether it was busy when it was stopped. */
  private runnableMsAtStop: number | null = null;
  /** Likewise its peak memory: a server killed at the end of a test has no meta record either. */
  private rssKbAtStop: number | null = null;
  private wallTimer: NodeJS.Timeout | undefined;
  private readonly wallMs: number;
  /** A pre-started program's gate (bwrap's --block-fd): its sandbox is set up, the program runs once go() writes here. */
  private gate: Writable | null;
  private readonly meta: Promise<string>;
  /** Resolves when the program's process is gone. */
  readonly exited: Promise<void>;
  private readonly outputDrained: Promise<unknown>;
  /** Fds 5-7 for the trusted code in the program (harness, faults shim), when the plan has any. */
  private readonly reportChannel: ReportChannel | null;
  /** Set when the program runs under sg-remote (inginious and user backends): its control socket (remote-control.ts). */
  private readonly remote: RemoteControl | null;

  /** Only bwrap can hold a started sandbox back until go(): elsewhere a program starts at once. */
  static canPrestart(ctx: SandboxContext): boolean {
    return ctx.kind === 'bwrap';
  }

  /**
   * `gated`: set the sandbox up now but start the program only at go(), so
   * that a job sets the next test's sandbox up while the current test runs.
   * The program's clocks (wall limit, wall time, exit time) start at go().
   * `fresh`: a sandbox of its own even where the grade keeps one (the build).
   */
  constructor(ctx: SandboxContext, plan: CommandPlan, testStart: number, opts: { gated?: boolean; fresh?: boolean } = {}) {
    this.testStart = testStart;
    const gated = opts.gated === true && ProgramRun.canPrestart(ctx);
    const channel = needsReportChannel(plan) ? new ReportChannel(plan) : null;
    const handed = channel?.handed() ?? {};
    let stdio: readonly unknown[];
    let remote = false;
    if (ctx.kept && !opts.fresh) {
      // A kept sandbox: the run's sockets now, the program at go() (or now).
      this.child = null;
      this.kept = ctx.kept.prepare(ctx, plan, handed);
      stdio = this.kept.stdio;
      this.gate = null;
      if (!gated) this.kept.send();
    } else {
      const spec = sandboxedCommand(ctx, plan, { gated });
      const report: StdioEntry[] = channel ? ['pipe', { handed: handed[SHIM_FD]! }, { handed: handed[HARNESS_FD]! }] : gated ? ['ignore', 'ignore', 'ignore'] : [];
      this.kept = null;
      // In a session of its own: stop() reaches everything in --sandbox none through its group.
      this.child = startProcess(ctx.starter, spec.file, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', ...report, ...(gated ? (['pipe'] as const) : [])],
        ...(spec.uid === undefined ? {} : { uid: spec.uid }),
        ...(spec.gid === undefined ? {} : { gid: spec.gid }),
      });
      stdio = this.child.stdio;
      remote = spec.remote === true;
      this.gate = gated ? ((stdio as (Writable | null)[])[GATE_FD] ?? null) : null;
      this.gate?.on('error', () => {}); // bwrap died before go(): its exit says why
    }
    const stdout = stdio[1] as Readable;
    const stderr = stdio[2] as Readable;
    // Debug output is normal: all of it is read, output_kb of it kept for the report. Only
    // output that would hurt the machine (a print in an endless loop) stops the program.
    this.output = new CapturedOutput(plan.limits.outputKb * 1024);
    const take = (which: 'stdout' | 'stderr') => (chunk: Buffer) => {
      this.output.add(which, chunk);
      if (this.output.total > OUTPUT_STOP_BYTES && this.stopReason === null) this.stop('output-limit');
    };
    stdout.on('data', take('stdout'));
    stderr.on('data', take('stderr'));
    const ended = (s: Readable) => new Promise((r) => { s.on('end', r); s.on('error', r); });
    const report = stdio[REPORT_FD] as Readable;
    channel?.read(report);
    this.reportChannel = channel;
    this.outputDrained = Promise.all([ended(stdout), ended(stderr), channel ? ended(report) : null]);
    this.meta = collect(stdio[META_FD] as Readable);
    this.remote = remote ? new RemoteControl(stdio[META_FD] as Socket) : null;
    if (this.child) {
      void collect(stdio[INFO_FD] as Readable).then((text) => (this.sandboxInit = sandboxInitPid(text)));
    }
    this.exited = this.kept ? this.watchKeptEnd(this.kept) : this.watchExit(this.child!);
    this.wallMs = plan.limits.wallSeconds * 1000;
    if (!this.gate && !this.kept?.waiting) this.startWallTimer();
  }

  /**
   * A kept sandbox's run is over when the launcher closes its record. When
   * the sandbox itself died (bwrap could not make it, or it was killed), the
   * run says so as a spawned sandbox would: bwrap's words on its stderr, and
   * killed when it had started.
   */
  private async watchKeptEnd(kept: KeptRun): Promise<void> {
    await kept.ended;
    this.exitedAt ??= performance.now();
    const sandbox = kept.sandbox;
    if (!sandbox.gone && (await this.meta) === '' && this.stopReason === null) await withDeadline(sandbox.ended, deadline(2000));
    if (sandbox.gone) {
      if (!(await this.meta).startsWith('{"started":1}')) this.output.add('stderr', Buffer.from(sandbox.stderr));
      this.exitInfo = { code: null, signal: 'SIGKILL' };
    } else {
      this.exitInfo = { code: null, signal: null };
    }
  }

  private watchExit(child: StartedProcess): Promise<void> {
    return new Promise((resolve) => {
      child.on('error', () => {
        this.exitInfo ??= { code: null, signal: null };
        resolve();
      });
      child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        this.exitedAt ??= performance.now();
        resolve();
      });
    });
  }

  private startWallTimer(): void {
    this.wallTimer = setTimeout(() => this.stop('wall-time'), this.wallMs);
    this.wallTimer.unref();
  }

  /** Lets a pre-started program run: from here on it is timed as if started now. */
  go(testStart: number): void {
    if (!this.gate && !this.kept?.waiting) return;
    this.testStart = testStart;
    this.startedAt = performance.now();
    if (this.gate) this.gate.end('g');
    else this.kept?.send();
    this.gate = null;
    this.startWallTimer();
  }

  /** For a program under sg-remote: resolves once sg-remote runs, its container up if any (else null). */
  get remoteStarted(): Promise<void> | null {
    return this.remote?.started ?? null;
  }

  /** Calls `listener` whenever the program's report channel carries something (none: never); returns what unsubscribes it. */
  onReport(listener: () => void): () => void {
    return this.reportChannel?.onData(listener) ?? (() => {});
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  /** The root of the program's process tree, as far as this job can see it. */
  private treeRoot(): number | null {
    if (this.kept) return this.kept.sandbox.launcherPid;
    if (this.sandboxInit !== null) return this.sandboxInit;
    return this.child?.pid ?? null;
  }

  /**
   * The processes whose time and memory are the program's: its whole tree,
   * its sandbox's own launcher included, as always; in a kept sandbox, the
   * tree under the launcher, whose own time adds up over every run.
   * `launcher`: whether the launcher is among them.
   */
  private programPids(): { pids: number[]; launcher: boolean } | null {
    const root = this.treeRoot();
    if (root === null) return null;
    const tree = descendants(root);
    return this.kept ? { pids: tree.slice(1), launcher: false } : { pids: tree, launcher: true };
  }

  /**
   * The program's tree, looked at once per turn of the event loop: the
   * figures a step takes together (CPU, runnable and queued time before a
   * wait) read /proc once, not once each.
   */
  private sample(): TreeSample | null {
    if (this.sampled) return this.sampled;
    const tree = this.programPids();
    if (tree === null) return null;
    const sample = sampleTree(tree.pids);
    this.peakProcesses = Math.max(this.peakProcesses, sample.processes - (tree.launcher ? 1 : 0)); // the launcher is not one of the program's processes
    this.sampled = sample;
    queueMicrotask(() => (this.sampled = null));
    return sample;
  }

  /** Samples the CPU time (ms) used so far by every process of the program. */
  cpuMs(): number | null {
    if (this.remote) {
      this.peakProcesses = Math.max(this.peakProcesses, this.remote.peakProcesses);
      return this.remote.cpuMs;
    }
    return this.sample()?.cpuMs ?? null;
  }

  /**
   * Milliseconds every process of the program has spent runnable so far (see
   * TreeSample): a window's share of it tells a busy program from an idle
   * one whatever the machine's load. Where the kernel does not count it
   * (sampleTree), or the program runs out of sight (sg-remote), CPU time
   * stands in (a lower bound, which load lowers further).
   */
  runnableMs(): number | null {
    // Under sg-remote the program's processes may be in another container: its CPU samples stand in.
    if (this.remote) return this.cpuMs();
    return this.sample()?.runnableMs ?? null;
  }

  /**
   * Run-queue time (ms) so far of the program's processes, and of this runner
   * (it reads the program's output: a program printing a lot waits for it):
   * how much a busy machine held the program back; runner/program-time.ts
   * gives that time back to each wait.
   */
  queuedMs(): { program: number; runner: number } {
    const program = this.remote ? 0 : (this.sample()?.queuedMs ?? 0);
    return { program, runner: runnerQueuedMs() };
  }

  /** The program's peak resident memory (kB) so far: the largest of its processes'; 0 when none is left. */
  peakMemoryKb(): number {
    const tree = this.programPids();
    return tree === null ? 0 : Math.max(0, ...tree.pids.map(peakRssKb));
  }

  /** Stops the program and everything it started. Only ever signals processes this run created. */
  stop(reason: StopReason): void {
    if (!this.running) return;
    this.stopReason ??= reason;
    this.cpuMsAtStop = this.cpuMs(); // last look at the tree before it goes
    this.runnableMsAtStop = this.runnableMs();
    this.rssKbAtStop = this.peakMemoryKb() || null;
    this.exitedAt ??= performance.now();
    if (this.kept) {
      this.kept.kill();
      return;
    }
    const child = this.child!;
    const pid = child.pid;
    if (pid === undefined) return;
    if (this.remote) {
      // run_student relays no signal, and a separate user's processes are not ours to
      // signal one by one: sg-remote stops the program when its socket closes.
      this.remote.stop(() => {
        try {
          if (this.running) process.kill(-pid, 'SIGKILL'); // run_student's group: ours, by its pid
        } catch {
          /* already gone */
        }
      });
      return;
    }
    try {
      process.kill(-pid, 'SIGKILL'); // its process group: bwrap, or the bare program
    } catch {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  /** Waits for the process to be gone, stopping it first if asked. */
  async finish(stopIfRunning: StopReason | null): Promise<ProcessObservation> {
    if (stopIfRunning && this.running) this.stop(stopIfRunning);
    await this.exited;
    clearTimeout(this.wallTimer);
    // Output still in the pipes when the process ended: drain it (bounded, a
    // leftover grandchild could hold the pipe open; in this runner's time: on a
    // busy machine it reads late, runner/program-time.ts).
    const drainer = { queuedMs: () => ({ program: 0, runner: runnerQueuedMs() }), running: true };
    await waitProgramTime(drainer, 500, (d) => withDeadline(this.outputDrained, d), (v) => v !== undefined);
    // bwrap's init dies with bwrap (--die-with-parent), and with it the whole pid namespace.
    const init = this.sandboxInit;
    let leftover = false;
    if (init !== null) {
      leftover = !(await waitUntil(() => processGone(init), deadline(2000)));
    }
    const { meta, launched } = await this.readMeta();
    const { exitCode, signal } = this.exitStatus(meta);
    return {
      exitCode,
      signal,
      stoppedBy: this.stopReason,
      execError: meta.exec_error ?? null,
      stdout: this.output.text('stdout'),
      stderr: this.output.text('stderr'),
      outputTruncated: this.output.dropped > 0,
      wallMs: Math.round(((this.exitedAt ?? performance.now()) - this.startedAt) * 10) / 10,
      cpuMs: meta.cpu_ms ?? this.cpuMsAtStop,
      runnableMs: this.runnableMsAtStop,
      maxRssKb: meta.maxrss_kb ?? this.rssKbAtStop,
      launched,
      peakProcesses: this.peakProcesses,
      leftover,
      exitedAtMs: this.exitedAt === null ? null : Math.round(this.exitedAt - this.testStart),
      ...(this.reportChannel ? { report: this.reportChannel.observation() } : {}),
      ...(this.remote ? remoteOutcome(meta, launched, this.exitInfo?.code ?? null) : {}),
    };
  }

  /** The launcher's record: a "started" line before the program runs, then one line when it ends. */
  private async readMeta(): Promise<{ meta: LauncherMeta; launched: boolean }> {
    const metaText = this.remote ? ((await withDeadline(this.meta, deadline(2000))) ?? '') : await this.meta;
    const metaLines = metaText.trim().split('\n');
    const launched = metaLines[0] === '{"started":1}';
    try {
      return { meta: metaLines.length > 1 ? JSON.parse(metaLines[metaLines.length - 1]!) : {}, launched };
    } catch {
      return { meta: {}, launched };
    }
  }

  /** The launcher's word first; without it, our own kill, then what the spawned process's exit said. */
  private exitStatus(meta: LauncherMeta): { exitCode: number | null; signal: string | null } {
    if (meta.signal !== undefined) return { exitCode: null, signal: signalName(meta.signal) ?? `signal ${meta.signal}` };
    if (meta.exit !== undefined) return { exitCode: meta.exit, signal: null };
    if (this.stopReason !== null) return { exitCode: null, signal: 'SIGKILL' };
    if (this.exitInfo?.signal) return { exitCode: null, signal: this.exitInfo.signal };
    return { exitCode: this.exitInfo?.code ?? null, signal: null };
  }
}
