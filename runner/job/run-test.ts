// One test, inside the job's network namespace: start the program, wait until
// it is ready, play the steps through the peer, stop it, and write down what
// happened. Never decides whether that was right.
import { Peer, type Mailbox } from '../peer.js';
import { ProgramRun } from '../process.js';
import { waitProgramTime } from '../program-time.js';
import { udp4PortBound, udp6PortBound } from '../readiness.js';
import type { SandboxContext } from '../sandbox/command.js';
import type { ProcessObservation, StepObservation, StepPlan, StrayDatagram, TestObservation, TestPlan } from '../types.js';
import { deadline, waitUntil, withDeadline } from '../wait.js';

/** How long INGInious may take to start a student container. */
const REMOTE_START_MS = 60_000;
/** A reply within this long needs no look at the program's CPU (playSend). */
const QUICK_REPLY_MS = 3;

/** The datagrams a step's socket got from elsewhere than where its request went, when there are any. */
function strays(box: Mailbox): { strays?: StrayDatagram[] } {
  const got = box.drainStrays();
  return got.length ? { strays: got } : {};
}

/** A program set up ahead for its test (ProgramRun's `gated`), or null to start it when the test starts. */
export type Prestarted = ProgramRun | null;

/**
 * Runs one test: its peer sockets, the program, the steps, the end; never
 * throws. `started` is called once the program has been started, while it
 * gets ready: work that must not delay the program goes there.
 */
export async function runTest(ctx: SandboxContext, test: TestPlan, prestarted: Prestarted = null, started?: () => void): Promise<TestObservation> {
  const run = new TestRun(ctx, test);
  try {
    await run.openPeer();
    const program = run.startProgram(prestarted);
    started?.();
    const ready = await run.awaitReady(program);
    const readyMs = run.clock();
    await run.playSteps(program, ready);
    const aliveAfterSteps = program.running;
    const proc = await run.endProgram(program);
    return run.observation({ ready, readyMs, aliveAfterSteps, proc });
  } catch (err) {
    if (!run.program) await prestarted?.finish('end-of-test'); // set up, never started: no process to report
    return run.failure(err);
  } finally {
    run.peer.close();
  }
}

/** The state of one test while it runs; each method is one step of runTest (or of a shared start's test, shared-start.ts). */
export class TestRun {
  private readonly t0 = performance.now();
  private readonly startedAt = Date.now();
  readonly clock = () => Math.round((performance.now() - this.t0) * 10) / 10;
  readonly peer = new Peer(this.clock);
  private readonly steps: StepObservation[] = [];
  private readonly stepStarts: number[] = [];
  /**
   * Per peer socket, the last step that sent from it: any datagram that
   * socket receives later, and that no step waited for, belongs to that step
   * (a second answer to one request, or the answer to a fire-and-forget send).
   */
  private readonly lastSendOn = new Map<Mailbox, number>();
  /** Once the program fails to answer, the rest of the test cannot pass: later steps are not run. */
  private silent = false;
  /** Where a test served by a shared start ended (settle()). */
  private settledMs: number | null = null;
  program: ProgramRun | null = null;

  constructor(
    private readonly ctx: SandboxContext,
    private readonly test: TestPlan,
  ) {}

  /** The peer's sockets that must exist before the program starts: taken ports, the client's listener. */
  async openPeer(): Promise<void> {
    for (const port of this.test.occupy) await this.peer.occupy(port);
    if (this.test.listen) await this.peer.listen(this.test.port);
  }

  /** A program already serving, started for another test (shared-start.ts): this test plays its steps on it. */
  attach(program: ProgramRun): void {
    this.program = program;
  }

  startProgram(prestarted: Prestarted): ProgramRun {
    const program = prestarted ?? new ProgramRun(this.ctx, this.test.program, this.t0);
    program.go(this.t0);
    this.program = program;
    return program;
  }

  async awaitReady(program: ProgramRun): Promise<TestObservation['ready']> {
    const { test } = this;
    // A student container takes a while to start: the program's time to get ready counts from then.
    if (program.remoteStarted) await withDeadline(Promise.race([program.remoteStarted, program.exited]), deadline(REMOTE_START_MS));
    if (test.ready !== 'port') return 'not-required';
    // Every wait of a test is in the program's time: a busy machine does not shorten it (program-time.ts).
    // A function's bind is reported on its report channel (faults.c) as it returns: the port is looked for then, not at the next poll.
    const bound = await waitProgramTime(program, test.readyTimeoutMs, (d) => waitUntil(() => udp6PortBound(test.port), d, { stop: () => !program.running, wake: (poke) => program.onReport(poke) }), (b) => b);
    if (bound) return 'ready';
    if (!program.running) return 'exited';
    return udp4PortBound(test.port) ? 'ipv4-only' : 'not-ready';
  }

  private claimExtras(box: Mailbox): void {
    const obs = this.steps[this.lastSendOn.get(box) ?? -1];
    if (obs?.kind !== 'send') return;
    obs.replies.push(...box.drain());
    const strays = box.drainStrays();
    if (strays.length) obs.strays = [...(obs.strays ?? []), ...strays];
  }

  async playSteps(program: ProgramRun, ready: TestObservation['ready']): Promise<void> {
    for (const step of this.test.steps) {
      this.stepStarts.push(this.clock());
      // A program that already exited may still have left datagrams for a receive step.
      const skip = this.silent || (ready !== 'ready' && ready !== 'not-required') || (!program.running && step.kind !== 'receive');
      if (skip) this.steps.push(notRun(step.kind));
      else if (step.kind === 'send') this.steps.push(await this.playSend(program, step));
      else if (step.kind === 'receive') this.steps.push(await this.playReceive(program, step));
      else this.steps.push(await playWaitExit(program, step));
    }
  }

  private async playSend(program: ProgramRun, step: Extract<StepPlan, { kind: 'send' }>): Promise<StepObservation> {
    const started = performance.now();
    this.claimExtras(await this.peer.socket(step.socket));
    const box = await this.peer.send(step.socket, step.datagram, this.test.port);
    this.lastSendOn.set(box, this.steps.length);
    if (step.await === 'none') {
      return { kind: 'send', outcome: 'sent', replies: [], cpuMsWhileWaiting: null, runnableMsWhileWaiting: null, waitedMs: 0 };
    }
    // Most answers come within a few milliseconds, and only a step left unanswered is judged on
    // the program's CPU (grader/verdict/busy.ts): the program's tree is read from /proc only once
    // that first wait is over, and the CPU window starts there (a few ms of a wait of ~1 s).
    const quick = await box.next(deadline(QUICK_REPLY_MS), program.exited);
    if (quick) return { kind: 'send', outcome: 'replied', replies: [quick], ...strays(box), cpuMsWhileWaiting: null, runnableMsWhileWaiting: null, waitedMs: Math.round(performance.now() - started) };
    const cpuBefore = program.cpuMs();
    const runnableBefore = program.runnableMs();
    const reply = await waitProgramTime(program, Math.max(0, step.timeoutMs - QUICK_REPLY_MS), (d) => box.next(d, program.exited), (r) => r !== null, true);
    const cpuAfter = program.cpuMs();
    const runnableAfter = program.runnableMs();
    this.silent = reply === null;
    return {
      kind: 'send',
      outcome: reply ? 'replied' : program.running ? 'no-reply' : 'program-exited',
      replies: reply ? [reply] : [],
      ...strays(box),
      cpuMsWhileWaiting: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null,
      // A process that ended meanwhile takes its count with it: never below 0.
      runnableMsWhileWaiting: runnableBefore !== null && runnableAfter !== null ? Math.max(0, runnableAfter - runnableBefore) : null,
      waitedMs: Math.round(performance.now() - started),
    };
  }

  private async playReceive(program: ProgramRun, step: Extract<StepPlan, { kind: 'receive' }>): Promise<StepObservation> {
    const started = performance.now();
    const box = this.peer.listening;
    const got = box ? await waitProgramTime(program, step.timeoutMs, (d) => box.next(d, program.exited), (r) => r !== null, true) : null;
    if (got && step.reply !== null) await this.peer.reply(got, step.reply);
    this.silent = got === null;
    return {
      kind: 'receive',
      outcome: got ? 'received' : program.running ? 'nothing' : 'program-exited',
      datagram: got,
      waitedMs: Math.round(performance.now() - started),
    };
  }

  /** Lets the program finish ('exit') or stops it ('kill'), then collects what reached the peer meanwhile. */
  async endProgram(program: ProgramRun): Promise<ProcessObservation> {
    const { test } = this;
    if (test.end === 'exit') {
      // A program that must send nothing has failed as soon as it sends: no use waiting for its exit.
      const sent = test.stopOnDatagram && this.peer.listening ? this.peer.listening.pending() : null;
      const ended = sent ? Promise.race([program.exited, sent.then(() => 'sent' as const)]) : program.exited;
      await waitProgramTime(program, test.exitTimeoutMs, (d) => withDeadline(ended, d), (v) => v === 'sent');
    }
    const proc = await program.finish('end-of-test');
    this.claimAll();
    return proc;
  }

  /**
   * Whatever reached the peer's sockets by now, each to the step that last
   * sent from its socket: replies to fire-and-forget sends, answers read after
   * the program's end was seen, extra answers.
   */
  claimAll(): void {
    for (const box of this.lastSendOn.keys()) this.claimExtras(box);
  }

  /**
   * Every step got the answer its plan names as the reference, alone and from
   * where its request went, a datagram sent for no answer got none, nothing
   * else reached the peer, and the program still runs: a program started for
   * another test served this one as a fresh one would be seen to
   * (shared-start.ts). A fact about bytes, not a verdict.
   */
  servedAsReference(program: ProgramRun): boolean {
    const asPlanned = this.test.steps.every((plan, i) => {
      const s = this.steps[i];
      if (plan.kind !== 'send' || s?.kind !== 'send' || s.strays?.length) return false;
      if (plan.await === 'none') return s.outcome === 'sent' && (s.replies.length === 0 || (plan.reference !== undefined && s.replies.length === 1 && s.replies[0]!.hex === plan.reference));
      return plan.reference !== undefined && s.outcome === 'replied' && s.replies.length === 1 && s.replies[0]!.hex === plan.reference;
    });
    return asPlanned && this.steps.length === this.test.steps.length && !this.peer.listening && program.running;
  }

  /** The test's own part of a shared start is over: its duration ends here, not when the start ends. */
  settle(): void {
    this.settledMs = this.clock();
  }

  /** This test's observation when a shared start served it: `proc` is that start's end, seen once all its tests were played. */
  sharedObservation(proc: ProcessObservation, readyMs: number): TestObservation {
    return this.observation({ ready: 'ready', readyMs, aliveAfterSteps: true, proc });
  }

  observation(r: { ready: TestObservation['ready']; readyMs: number; aliveAfterSteps: boolean; proc: ProcessObservation }): TestObservation {
    let exitedDuringStep: number | null = null;
    if (r.proc.exitedAtMs !== null && !r.aliveAfterSteps) {
      for (let i = 0; i < this.stepStarts.length; i++) if (this.stepStarts[i]! <= r.proc.exitedAtMs) exitedDuringStep = i;
    }
    return {
      id: this.test.id,
      ready: r.ready,
      readyMs: r.readyMs,
      steps: this.steps,
      exitedDuringStep,
      aliveAfterSteps: r.aliveAfterSteps,
      unclaimedDatagrams: this.peer.listening?.drain() ?? [],
      process: r.proc,
      durationMs: this.settledMs ?? this.clock(),
      startedAt: this.startedAt,
      traffic: this.peer.traffic,
      internalError: null,
    };
  }

  /** The runner itself failed mid-test: say so, with whatever the program did. */
  async failure(err: unknown): Promise<TestObservation> {
    const proc = this.program ? await this.program.finish('end-of-test') : null;
    return {
      id: this.test.id,
      ready: 'not-ready',
      readyMs: 0,
      steps: this.steps,
      exitedDuringStep: null,
      aliveAfterSteps: false,
      unclaimedDatagrams: [],
      process: proc ?? emptyProcess(),
      durationMs: this.clock(),
      internalError: err instanceof Error ? err.message : String(err),
    };
  }
}

async function playWaitExit(program: ProgramRun, step: Extract<StepPlan, { kind: 'wait-exit' }>): Promise<StepObservation> {
  const started = performance.now();
  await waitProgramTime(program, step.timeoutMs, (d) => withDeadline(program.exited, d), () => false);
  return { kind: 'wait-exit', outcome: program.running ? 'still-running' : 'exited', waitedMs: Math.round(performance.now() - started) };
}

function notRun(kind: TestPlan['steps'][number]['kind']): StepObservation {
  if (kind === 'send') return { kind, outcome: 'not-run', replies: [], cpuMsWhileWaiting: null, runnableMsWhileWaiting: null, waitedMs: 0 };
  if (kind === 'receive') return { kind, outcome: 'not-run', datagram: null, waitedMs: 0 };
  return { kind, outcome: 'not-run', waitedMs: 0 };
}

export function emptyProcess(): TestObservation['process'] {
  return {
    exitCode: null,
    signal: null,
    stoppedBy: null,
    execError: null,
    stdout: '',
    stderr: '',
    outputTruncated: false,
    wallMs: 0,
    cpuMs: null,
    runnableMs: null,
    maxRssKb: null,
    peakProcesses: 0,
    launched: false,
    leftover: false,
    exitedAtMs: null,
  };
}
