// One start of a server for several tests (TestPlan.shareStart): each test
// still gets its own peer sockets and its own observation, and plays its
// requests on the server started for the first. The server's state could
// then reach a test, so a test is kept only when it showed nothing a fresh
// start could show otherwise: every answer byte for byte its reference (an
// optional answer none, or the one a correct program may send instead), from
// where its request went, nothing more, and the server still serving
// (TestRun.servedAsReference). The first test of a start is on a fresh start
// anyway: when it shows anything else it ends as a test of its own would (its
// program stopped, its observation final). At a later test that does, the
// start ends and that test opens the next start, with the tests after it.
// When the start ends in a limit or a crash, none of its tests is kept: the
// ones answered as their reference before it went wrong (two or more) run
// again on a start of their own, and the rest from the test where it went
// wrong on, as at first (runner/job/main.ts); after a second such end, or
// with fewer answered, each runs alone, as every test did before. Starting a
// server costs a sandbox and a program start (~10 ms of CPU each); a correct
// server's 21 tests then need 4 starts rather than 21, one that crashes on
// one request 7, and one that answers every request wrong one per test.
import { ProgramRun } from '../process.js';
import type { ProcessObservation, TestObservation, TestPlan } from '../types.js';
import { TestRun, type Prestarted } from './run-test.js';
import type { SandboxContext } from '../sandbox/command.js';

/** The tests a shared start served (in order), and those left, on a next shared start (`restart`) or each on a start of its own. */
export interface SharedOutcome {
  served: TestObservation[];
  again: TestPlan[];
  restart: boolean;
  /**
   * Set when the start ended in a limit or a crash (not `restart`, nothing
   * served): how many of its first tests had been answered as their
   * reference. They may share a start of their own again.
   */
  answeredBefore?: number;
  /** The next start's sandbox, set up while this one ended (null: none was). */
  next: Prestarted;
}

/** Tests of one start: the same program, port and readiness (what a start depends on). */
function startKey(test: TestPlan): string {
  return JSON.stringify([test.program, test.port, test.ready, test.readyTimeoutMs]);
}

/**
 * The tests as the job runs them: each group of tests that may share a start
 * (same startKey) where its first member stands, every other test alone, in
 * plan order otherwise.
 */
export function startUnits(tests: TestPlan[]): TestPlan[][] {
  const units: TestPlan[][] = [];
  const groups = new Map<string, TestPlan[]>();
  for (const t of tests) {
    const key = t.shareStart ? startKey(t) : null;
    const group = key === null ? undefined : groups.get(key);
    if (group) group.push(t);
    else {
      const unit = [t];
      units.push(unit);
      if (key !== null) groups.set(key, unit);
    }
  }
  return units;
}

/** The start ended as the runner ended it, within every limit: nothing in it speaks against the tests it served. */
function endedCleanly(proc: ProcessObservation, test: TestPlan): boolean {
  return proc.stoppedBy === 'end-of-test' && !proc.leftover && !proc.execError && proc.launched && proc.peakProcesses < test.program.limits.processes;
}

/**
 * Plays `tests` on one start of their program (`prestarted`, set up for the
 * first); never throws. `setUpNext` sets up the sandbox of a next start, once
 * one is known to be needed, while this one ends.
 */
export async function runOnSharedStart(ctx: SandboxContext, tests: TestPlan[], prestarted: Prestarted, setUpNext: () => Prestarted): Promise<SharedOutcome> {
  const runs = [new TestRun(ctx, tests[0]!)];
  let program: ProgramRun | null = null;
  let kept = 0;
  let readyMs = 0;
  let failed = false;
  let next: Prestarted = null;
  const another = () => (next = tests.length > 1 ? setUpNext() : null);
  try {
    await runs[0]!.openPeer();
    program = runs[0]!.startProgram(prestarted);
    const ready = await runs[0]!.awaitReady(program);
    readyMs = runs[0]!.clock();
    if (ready !== 'ready') return await endAlone(runs[0]!, program, ready, readyMs, tests, another());
    for (let i = 0; i < tests.length; i++) {
      const run = runs[i] ?? new TestRun(ctx, tests[i]!);
      runs[i] = run;
      if (i > 0) {
        run.attach(program);
        await run.openPeer();
      }
      await run.playSteps(program, 'ready');
      const aliveAfterSteps = program.running;
      // Datagrams already on the peer's sockets (an answer to a datagram that needed none, sent
      // before the last answer) are dispatched by the end of this turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      run.claimAll();
      if (!run.servedAsReference(program)) {
        if (i === 0) return await endAlone(run, program, ready, readyMs, tests, another(), aliveAfterSteps);
        another();
        break;
      }
      run.settle();
      kept = i + 1;
    }
  } catch {
    // The runner's own failure: the tests run again alone, where it shows as theirs.
    failed = true;
  } finally {
    if (!program) await prestarted?.finish('end-of-test');
  }
  const proc = program ? await program.finish('end-of-test') : null;
  for (const run of runs) run.peer.close();
  if (failed || !proc || !endedCleanly(proc, tests[0]!)) return { served: [], again: tests, restart: false, answeredBefore: failed ? 0 : kept, next };
  return {
    served: runs.slice(0, kept).map((run, i) => run.sharedObservation(proc, i === 0 ? readyMs : 0)),
    again: tests.slice(kept),
    restart: true,
    next,
  };
}

/** The start's first test showed what a shared start cannot keep: it ends as runTest ends a test, and its observation is final. */
async function endAlone(run: TestRun, program: ProgramRun, ready: TestObservation['ready'], readyMs: number, tests: TestPlan[], next: Prestarted, alive?: boolean): Promise<SharedOutcome> {
  try {
    if (ready !== 'ready') await run.playSteps(program, ready);
    const aliveAfterSteps = alive ?? program.running;
    const proc = await run.endProgram(program);
    return { served: [run.observation({ ready, readyMs, aliveAfterSteps, proc })], again: tests.slice(1), restart: true, next };
  } catch (err) {
    return { served: [await run.failure(err)], again: tests.slice(1), restart: true, next };
  } finally {
    run.peer.close();
  }
}
