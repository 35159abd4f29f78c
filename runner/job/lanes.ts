// A test that waits out the program's own time-out (a client given no
// answer gives up after 2 s by itself) runs in a second job at once
// ("lane"), beside the other tests rather than after them: the wait uses no
// CPU, so it costs the grade only that job's start. Each job has its own
// network namespace: a test still runs alone with its program, on the task's
// own port, after the same build; nothing of one lane reaches the other. The
// first lane builds and keeps its built scratch folder; the next waits for
// that build, copies the folder and runs its tests without building. Tests
// that keep the CPU busy are not split: on a loaded or small machine they
// would only take turns.
import path from 'node:path';
import { makeScratchDir, makeWorkScratch, removeScratchDir } from '../scratch-dirs.js';
import { copyTree } from '../tree.js';
import type { BuildObservation, JobEvent, JobPlan, TestPlan } from '../types.js';
import { EarlyJob } from './job-process.js';
import { runJob, type RunJobOptions } from './run-job.js';

const waitsOut = (test: TestPlan): boolean => test.waitsOut === true;

/** The tests in lanes: every test that waits out a time-out in the lanes after the first (in turn), the others in the first; each in plan order. */
export function splitTests(tests: TestPlan[], lanes: number): TestPlan[][] {
  const waiting = tests.filter(waitsOut);
  if (lanes < 2 || !waiting.length) return [tests];
  const groups: TestPlan[][] = [tests.filter((t) => !waitsOut(t)), ...Array.from({ length: lanes - 1 }, () => [])];
  waiting.forEach((t, i) => groups[1 + (i % (lanes - 1))]!.push(t));
  return groups.filter((g) => g.length);
}

/** Whether `plan` runs in more than one lane: it has a test to wait out beside the others, and each job gets a network namespace of its own. */
export function lanesApply(plan: JobPlan, lanes: number): boolean {
  return plan.sandbox === 'bwrap' && splitTests(plan.tests, lanes).length > 1;
}


/** What the first lane's build gave the others: its observation, and its kept folder (null: they build for themselves). */
interface FirstBuild {
  build: BuildObservation | null;
  files: string | null;
}

/**
 * Runs `plan` as `lanes` jobs at once (lanesApply must hold); returns the
 * events as one job would: the first lane's ready, build and done, and every
 * test and failure of all lanes. Tests reach `onEvent` as each lane observes them.
 */
export async function runJobInLanes(plan: JobPlan, lanes: number, opts: RunJobOptions): Promise<JobEvent[]> {
  const [first, ...rest] = splitTests(plan.tests, lanes);
  // The lanes after the first start their jobs now: their start overlaps the build they wait for.
  const { early: firstEarly, ...job } = opts;
  const early = [firstEarly, ...rest.map(() => EarlyJob.start(plan.sandbox, opts.keeper))];
  const keepBase = plan.build ? makeScratchDir() : null;
  const keepIn = keepBase && path.join(keepBase, 'build');
  let settle!: (b: FirstBuild) => void;
  const built = new Promise<FirstBuild>((r) => (settle = r));
  const laneOpts = (i: number): RunJobOptions => ({ ...job, ...(early?.[i] ? { early: early[i] } : {}) });
  try {
    const lead = runJob({ ...plan, tests: first!, ...(keepIn ? { keepBuildIn: keepIn } : {}) }, {
      ...laneOpts(0),
      onEvent: (e) => {
        if (e.type === 'build') settle({ build: e.build, files: e.build.ok && e.kept ? keepIn : null });
        opts.onEvent?.(e);
      },
    }).finally(() => settle({ build: null, files: null }));
    const others = rest.map((tests, i) => followingLane(plan, tests, built, laneOpts(i + 1)));
    const [leadEvents, ...otherEvents] = await settledAll([lead, ...others]);
    return [...leadEvents!, ...otherEvents.flat()];
  } finally {
    if (keepBase) removeScratchDir(keepBase);
    await Promise.all(early.slice(1).map((e) => e?.stop()));
  }
}

/** Every promise settled, then the values; the first rejection is thrown only once all are done (no job is left running). */
async function settledAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * A lane after the first: once the first lane's build is known, its tests in
 * a scratch folder of its own (the kept build, or the submission to build
 * again); nothing when the build failed or never came (the first lane's
 * events say why, and its tests are reported as not run).
 */
async function followingLane(plan: JobPlan, tests: TestPlan[], built: Promise<FirstBuild>, opts: RunJobOptions): Promise<JobEvent[]> {
  const { build, files } = plan.build ? await built : { build: null, files: null };
  if (plan.build && !build?.ok) {
    await opts.early?.stop();
    return [];
  }
  const { base, workDir } = makeWorkScratch();
  try {
    copyTree(files ?? plan.workDir, workDir);
    const events = await runJob({ ...plan, workDir, tests, build: files ? null : plan.build }, opts);
    // The first lane's ready and build stand for the grade. A second build of the same files that fails where the
    // first did not leaves this lane's tests unrun: the grader's failure, said as such.
    const rebuilt = events.find((e) => e.type === 'build');
    const failed: JobEvent[] = rebuilt?.type === 'build' && !rebuilt.build.ok ? [{ type: 'fatal', message: 'the submission built once, then failed to build again for its second lane of tests' }] : [];
    return [...events.filter((e) => e.type === 'test' || e.type === 'fatal'), ...failed];
  } finally {
    removeScratchDir(base);
  }
}

