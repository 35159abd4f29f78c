// One test, inside the job's network namespace: start the program, wait until
// it is ready, play the steps through the peer, stop it, and write down what
// happened. Never decides whether that was right.
import { Peer, type Mailbox } from '../peer.js';
import { ProgramRun } from '../process.js';
import { waitProgramTime } from '../program-time.js';
import { udp4PortBound, udp6PortBound } from '../readiness.js';
import type { SandboxContext } from '../sandbox/command.js';
import type { StepObservation, TestObservation, TestPlan } from '../types.js';
import { deadline, waitUntil, withDeadline } from '../wait.js';

/** How long INGInious may take to start a student container. */
const REMOTE_START_MS = 60_000;

export async function runTest(ctx: SandboxContext, test: TestPlan): Promise<TestObservation> {
  const t0 = performance.now();
  const startedAt = Date.now();
  const clock = () => Math.round((performance.now() - t0) * 10) / 10;
  const peer = new Peer(clock);
  const steps: StepObservation[] = [];
  const stepStarts: number[] = [];
  let run: ProgramRun | null = null;
  try {
    for (const port of test.occupy) await peer.occupy(port);
    if (test.listen) await peer.listen(test.port);

    run = new ProgramRun(ctx, test.program, t0);
    const program = run;
    const gone = program.exited;

    // A student container takes a while to start: the program's time to get ready counts from then.
    if (program.remoteStarted) await withDeadline(Promise.race([program.remoteStarted, gone]), deadline(REMOTE_START_MS));
    let ready: TestObservation['ready'] = 'not-required';
    if (test.ready === 'port') {
      // Every wait below is in the program's time: a busy machine does not shorten it (program-time.ts).
      const bound = await waitProgramTime(program, test.readyTimeoutMs, (d) => waitUntil(() => udp6PortBound(test.port), d, { stop: () => !program.running }), (b) => b);
      if (bound) ready = 'ready';
      else if (!program.running) ready = 'exited';
      else ready = udp4PortBound(test.port) ? 'ipv4-only' : 'not-ready';
    }
    const readyMs = clock();

    // Per peer socket, the last step that sent from it: any datagram that
    // socket receives later, and that no step waited for, belongs to that step
    // (a second answer to one request, or the answer to a fire-and-forget send).
    const lastSendOn = new Map<Mailbox, number>();
    const claimExtras = (box: Mailbox) => {
      const obs = steps[lastSendOn.get(box) ?? -1];
      if (obs?.kind !== 'send') return;
      obs.replies.push(...box.drain());
      const strays = box.drainStrays();
      if (strays.length) obs.strays = [...(obs.strays ?? []), ...strays];
    };
    // Once the program fails to answer, the rest of the test cannot pass: do
    // not make a broken submission wait out every later step's timeout too.
    let silent = false;
    for (const step of test.steps) {
      stepStarts.push(clock());
      // A program that already exited may still have left datagrams for a receive step.
      const skip = silent || (ready !== 'ready' && ready !== 'not-required') || (!program.running && step.kind !== 'receive');
      if (skip) {
        steps.push(notRun(step.kind));
        continue;
      }
      const started = performance.now();
      const waited = () => Math.round(performance.now() - started);
      if (step.kind === 'send') {
        claimExtras(await peer.socket(step.socket));
        const box = await peer.send(step.socket, step.datagram, test.port);
        lastSendOn.set(box, steps.length);
        if (step.await === 'none') {
          steps.push({ kind: 'send', outcome: 'sent', replies: [], cpuMsWhileWaiting: null, runnableMsWhileWaiting: null, waitedMs: 0 });
          continue;
        }
        const cpuBefore = program.cpuMs();
        const runnableBefore = program.runnableMs();
        const reply = await waitProgramTime(program, step.timeoutMs, (d) => box.next(d, gone), (r) => r !== null);
        const cpuAfter = program.cpuMs();
        const runnableAfter = program.runnableMs();
        silent = reply === null;
        const strays = box.drainStrays();
        steps.push({
          kind: 'send',
          outcome: reply ? 'replied' : program.running ? 'no-reply' : 'program-exited',
          replies: reply ? [reply] : [],
          ...(strays.length ? { strays } : {}),
          cpuMsWhileWaiting: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null,
          // A process that ended meanwhile takes its count with it: never below 0.
          runnableMsWhileWaiting: runnableBefore !== null && runnableAfter !== null ? Math.max(0, runnableAfter - runnableBefore) : null,
          waitedMs: waited(),
        });
      } else if (step.kind === 'receive') {
        const box = peer.listening;
        const got = box ? await waitProgramTime(program, step.timeoutMs, (d) => box.next(d, gone), (r) => r !== null) : null;
        if (got && step.reply !== null) await peer.reply(got, step.reply);
        silent = got === null;
        steps.push({
          kind: 'receive',
          outcome: got ? 'received' : program.running ? 'nothing' : 'program-exited',
          datagram: got,
          waitedMs: waited(),
        });
      } else {
        await waitProgramTime(program, step.timeoutMs, (d) => withDeadline(gone, d), () => false);
        steps.push({ kind: 'wait-exit', outcome: program.running ? 'still-running' : 'exited', waitedMs: waited() });
      }
    }
    const aliveAfterSteps = program.running;

    if (test.end === 'exit') {
      // A program that must send nothing has failed as soon as it sends: no use waiting for its exit.
      const sent = test.stopOnDatagram && peer.listening ? peer.listening.pending() : null;
      const ended = sent ? Promise.race([gone, sent.then(() => 'sent' as const)]) : gone;
      await waitProgramTime(program, test.exitTimeoutMs, (d) => withDeadline(ended, d), (v) => v === 'sent');
    }
    const proc = await program.finish('end-of-test');

    // Whatever reached the peer's sockets by now: replies to fire-and-forget
    // sends, answers read after the program's end was seen, extra answers.
    for (const box of lastSendOn.keys()) claimExtras(box);
    let exitedDuringStep: number | null = null;
    if (proc.exitedAtMs !== null && !aliveAfterSteps) {
      for (let i = 0; i < stepStarts.length; i++) if (stepStarts[i]! <= proc.exitedAtMs) exitedDuringStep = i;
    }
    return {
      id: test.id,
      ready,
      readyMs,
      steps,
      exitedDuringStep,
      aliveAfterSteps,
      unclaimedDatagrams: peer.listening?.drain() ?? [],
      process: proc,
      durationMs: clock(),
      startedAt,
      traffic: peer.traffic,
      internalError: null,
    };
  } catch (err) {
    const proc = run ? await run.finish('end-of-test') : null;
    return {
      id: test.id,
      ready: 'not-ready',
      readyMs: 0,
      steps,
      exitedDuringStep: null,
      aliveAfterSteps: false,
      unclaimedDatagrams: [],
      process: proc ?? emptyProcess(),
      durationMs: clock(),
      internalError: err instanceof Error ? err.message : String(err),
    };
  } finally {
    peer.close();
  }
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
