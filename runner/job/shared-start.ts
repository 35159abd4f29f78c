// One start of a server for several tests (TestPlan.shareStart): each test
// still gets its own peer sockets and its own observation, and plays its
// requests on the server started for the first. The server's state could
// then reach a test, so a test is kept only when it showed nothing a fresh
// start could show otherwise: every answer byte for byte its reference, from
// where its request went, nothing more, and the server still serving
// (TestRun.servedAsReference). At the first test that shows anything else,
// the shared start ends and that test and every later one of the group run
// again, each on a start of its own, as every test did before; so does the
// whole group if the start ends in a limit. Starting a server costs a
// sandbox and a program start (~10 ms of CPU each); a correct server's 21
// tests then need 4 starts rather than 21.
import { ProgramRun } from '../process.js';
import type { ProcessObservation, TestObservation, TestPlan } from '../types.js';
import { TestRun, type Prestarted } from './run-test.js';
import type { SandboxContext } from '../sandbox/command.js';

/** The tests a shared start served (in order), and those to run again on starts of their own. */
export interface SharedOutcome {
  served: TestObservation[];
  again: TestPlan[];
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

/** Plays `tests` on one start of their program (`prestarted`, set up for the first); never throws. */
export async function runOnSharedStart(ctx: SandboxContext, tests: TestPlan[], prestarted: Prestarted): Promise<SharedOutcome> {
  const runs = [new TestRun(ctx, tests[0]!)];
  let program: ProgramRun | null = null;
  let kept = 0;
  let readyMs = 0;
  try {
    await runs[0]!.openPeer();
    program = runs[0]!.startProgram(prestarted);
    const ready = await runs[0]!.awaitReady(program);
    readyMs = runs[0]!.clock();
    for (let i = 0; ready === 'ready' && i < tests.length; i++) {
      const run = runs[i] ?? new TestRun(ctx, tests[i]!);
      runs[i] = run;
      if (i > 0) {
        run.attach(program);
        await run.openPeer();
      }
      await run.playSteps(program, 'ready');
      // Datagrams already on the peer's sockets (an answer to a datagram that needed none, sent
      // before the last answer) are dispatched by the end of this turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve));
      run.claimAll();
      run.settle();
      if (!run.servedAsReference(program)) break;
      kept = i + 1;
    }
  } catch {
    // The runner's own failure: the tests not kept run again, where it shows as theirs.
  } finally {
    if (!program) await prestarted?.finish('end-of-test');
  }
  const proc = program ? await program.finish('end-of-test') : null;
  for (const run of runs) run.peer.close();
  if (!proc || !endedCleanly(proc, tests[0]!)) kept = 0;
  return {
    served: runs.slice(0, kept).map((run, i) => run.sharedObservation(proc!, i === 0 ? readyMs : 0)),
    again: tests.slice(kept),
  };
}
