// Grading one submission, in one direction: prepare the submission, plan the
// job, let the runner build and run it, decide each test's verdict, score,
// and assemble the report. This module never spawns: the runner does.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runJobReusingBuild, type BuildCache } from '../runner/job/build-cache.js';
import { EarlyJob, type JobKeeper } from '../runner/job/job-process.js';
import { lanesApply, runJobInLanes } from '../runner/job/lanes.js';
import { cannotStartMessage, missingProgramMessage, programProblem } from './startable.js';
import { SubmissionTooLargeError } from '../runner/errors.js';
import { showPath, type FsPath } from '../runner/names.js';
import { prepareSubmission, type Scratch } from '../runner/submission.js';
import type { BuildObservation, JobEvent, JobPlan, SandboxKind, TestObservation } from '../runner/types.js';
import { jobDeadlineMs, planJob, type PlannedJob } from './plan.js';
import { REPORT_SCHEMA, type Report, type TestReport } from './report/model.js';
import { computeScore, overallResult } from './score.js';
import type { Task } from './model/task.js';
import type { TraceOptions } from './trace/files.js';
import { decideVerdict } from './verdict/decide.js';
import { applyControls, withControls } from './verdict/controls.js';
import { causesOf, exchangeCauses } from './report/causes.js';
import type { CauseId } from './protocols/protocol.js';
import { missingVerdict, type TestVerdict } from './verdict/primitives.js';

export interface GradeOptions {
  seed: number;
  sandbox: SandboxKind;
  /** Grade only these tests (by id). */
  testIds?: string[];
  /** Called as each test's verdict is known (progress output). */
  onTest?: (test: TestReport) => void;
  /** Write each test's datagrams as a pcapng file (grader/trace/files.ts). */
  trace?: TraceOptions;
  /** Aborted: the job is killed at once (a batch stopped with Ctrl-C); the report is then of no use. */
  signal?: AbortSignal;
  /** A batch's builds: an identical submission's build is reused, not run again (runner/job/build-cache.ts). */
  buildCache?: BuildCache;
  /**
   * Run the tests that wait out a program's time-out beside the others, in up
   * to this many jobs at once, each in its own network namespace
   * (runner/job/lanes.ts). 1 (the default) in a batch, whose submissions
   * already fill those waits.
   */
  lanes?: number;
  /**
   * Let one server start serve the request/answer tests it answers exactly
   * (runner/job/shared-start.ts; default true). False, or
   * SOCKGRADE_SHARED_STARTS=0: every test on a start of its own.
   */
  shareStarts?: boolean;
  /**
   * Job processes kept from one grade to the next (a batch's, a check's):
   * each grade still has a network namespace of its own, without a Node
   * start per grade (runner/job/job-process.ts). The caller closes it.
   */
  jobs?: JobKeeper;
}

function sharesStarts(opts: GradeOptions): boolean {
  return opts.shareStarts ?? process.env.SOCKGRADE_SHARED_STARTS !== '0';
}

/**
 * How many jobs one grade of `sockgrade grade` or `check` may run at once
 * (GradeOptions.lanes): 2, the second for the tests that wait out a
 * time-out; SOCKGRADE_LANES=1 runs every test in one job, one after the other.
 */
export function gradeLanes(): number {
  return process.env.SOCKGRADE_LANES === '1' ? 1 : 2;
}

const BUILD_OUTPUT_CAP = 8000;

function buildOutput(b: BuildObservation): string {
  const p = b.process;
  let out = `${p.stdout}${p.stderr}`.trim();
  if (out.length > BUILD_OUTPUT_CAP) out = `${out.slice(0, BUILD_OUTPUT_CAP)}\n[... output cut at ${BUILD_OUTPUT_CAP} characters]`;
  if (!b.ok) {
    const why =
      p.execError ? `the build command could not start: ${p.execError}` :
      p.stoppedBy === 'wall-time' ? 'the build took too long and was stopped' :
      p.signal ? `the build was killed by ${p.signal}` : `the build failed with status ${p.exitCode}`;
    out = out ? `${out}\n${why}` : why;
  }
  return out;
}

function testReport(task: Task, id: string, verdict: TestVerdict, durationMs: number): TestReport {
  const test = task.tests.find((t) => t.id === id)!;
  return {
    id,
    name: test.name,
    tags: test.tags,
    weight: test.weight,
    passed: verdict.result === 'success',
    result: verdict.result,
    feedback: verdict.feedback,
    ...(verdict.details ? { details: verdict.details } : {}),
    visibility: test.visibility,
    duration_ms: Math.round(durationMs),
    file: test.file,
    line: test.line,
  };
}

/**
 * The most scratch space a submission may take: half of the task's
 * `limits.disk_mb`. The other half is the build's (objects, the program) and
 * the program's own files; a submission that leaves no room to build would
 * fail as a build error the student could not read as "too large".
 */
export function submissionBudgetBytes(task: Task): number {
  return Math.floor((task.scratchMb * 1024 * 1024) / 2);
}

/** A submission too large for the scratch space: the student's failure, graded, with the reason. */
function tooLargeReport(task: Task, base: ReportBase, message: string, ms: number): Report {
  return {
    ...base,
    result: 'failed',
    score: 0,
    build: { ok: false, output: `${message}; the task gives each submission ${task.scratchMb} MiB of scratch space (limits.disk_mb) and keeps half of it for the build` },
    tests: [],
    causes: [],
    duration_ms: Math.round(ms),
    timing: { setup_ms: 0, build_ms: 0, tests_ms: 0 },
  };
}

type ReportBase = Pick<Report, 'schema' | 'task' | 'submission' | 'seed' | 'sandbox'>;

/** The tests a submission that did not build or cannot run never reached: each is still listed (Gradescope shows it failed). */
function notRunEntries(task: Task, plan: JobPlan): NonNullable<Report['not_run']> {
  return plan.tests.map((p) => task.tests.find((t) => t.id === p.id)!).map((t) => ({ id: t.id, name: t.name, tags: t.tags, weight: t.weight, visibility: t.visibility }));
}

/**
 * The submission cannot run (no program, a script without its #! line...):
 * score 0, and the one message in build.output, where every format shows it
 * once, as for a build that fails.
 */
function cannotRunReport(base: ReportBase, message: string, started: number, notRun: NonNullable<Report['not_run']>, timing = { setup_ms: 0, build_ms: 0, tests_ms: 0 }, command?: string): Report {
  return {
    ...base,
    result: 'failed',
    score: 0,
    build: { ok: false, output: message, ...(command ? { command } : {}) },
    tests: [],
    causes: [],
    not_run: notRun,
    duration_ms: Math.round(performance.now() - started),
    timing,
  };
}

function reportBase(task: Task, submission: FsPath, opts: GradeOptions): ReportBase {
  return { schema: REPORT_SCHEMA, task: task.id, submission: showPath(submission), seed: opts.seed, sandbox: opts.sandbox };
}

/** With no build rule to run, a submission that cannot run at all gets one message saying what to do, not the same failure in every test. */
function cannotRunBeforeJob(task: Task, workDir: string, planned: PlannedJob): string | null {
  if (planned.buildRule) return null;
  return existsSync(path.join(workDir, task.program)) ? programProblem(workDir, task.program) : missingProgramMessage(task, workDir);
}

/** What the job reported, with each test's report made as soon as its observation came. */
interface JobOutcome {
  events: JobEvent[];
  tests: TestReport[];
  observed: Map<string, TestObservation>;
  /** The diagnosed mistake behind each failed test, when one was named (grader/report/causes.ts). */
  causeOf: Map<string, CauseId>;
}

/** Runs the job; each observed test gets its verdict (and trace) at once, for progress output. */
async function runAndJudge(task: Task, planned: PlannedJob, opts: GradeOptions, early: EarlyJob): Promise<JobOutcome> {
  const tests: TestReport[] = [];
  const observed = new Map<string, TestObservation>();
  const causeOf = new Map<string, CauseId>();
  // The trace writer (pcapng, the logger) is loaded only when a trace is asked for.
  const writeTrace = opts.trace ? (await import('./trace/files.js')).writeTrace : null;
  const onEvent = (e: JobEvent) => {
    if (e.type !== 'test') return;
    observed.set(e.test.id, e.test);
    const spec = task.tests.find((t) => t.id === e.test.id)!;
    const verdict = decideVerdict(task, spec, e.test, planned.contexts.get(spec.id) ?? []);
    if (verdict.cause) causeOf.set(spec.id, verdict.cause);
    const report = testReport(task, spec.id, verdict, e.test.durationMs);
    const p = e.test.process;
    report.usage = { cpu_ms: p.cpuMs === null ? null : Math.round(p.cpuMs), wall_ms: Math.round(p.wallMs), max_rss_kb: p.maxRssKb };
    const trace = opts.trace && writeTrace ? writeTrace(opts.trace, task.id, report, e.test) : null;
    if (trace) report.trace = trace;
    tests.push(report);
    opts.onTest?.(report);
  };
  const job = { deadlineMs: jobDeadlineMs(task, planned.plan), onEvent, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.jobs ? { keeper: opts.jobs } : {}) };
  // Never with a batch's build reuse; lanesApply says where each job can have a namespace of its own.
  const lanes = opts.buildCache ? 1 : (opts.lanes ?? 1);
  const events = lanesApply(planned.plan, lanes)
    ? await runJobInLanes(planned.plan, lanes, { ...job, early })
    : await runJobReusingBuild(opts.buildCache, planned.plan, { ...job, early });
  return { events, tests, observed, causeOf };
}

/** Tests the job never reported (it died or was stopped): the grader's fault, never the student's. Then all in plan order. */
function completeTests(task: Task, planned: PlannedJob, run: JobOutcome, fatal: JobEvent | undefined, buildOk: boolean): TestReport[] {
  const tests = [...run.tests];
  if (buildOk) {
    for (const t of planned.plan.tests) {
      if (!run.observed.has(t.id)) {
        const reason = fatal?.type === 'fatal' ? fatal.message : 'the grading job ended early';
        tests.push(testReport(task, t.id, missingVerdict(reason), 0));
      }
    }
  }
  const order = new Map(planned.plan.tests.map((t, i) => [t.id, i]));
  return tests.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
}

/** The report of a job that ran: its build, every test, the score and where the time went. */
/** `selected`: the tests asked for (--test); the controls planned with them are judged, not reported. */
function jobReport(task: Task, base: ReportBase, planned: PlannedJob, run: JobOutcome, started: number, selected?: string[]): Report {
  const ready = run.events.find((e) => e.type === 'ready');
  const buildEvent = run.events.find((e) => e.type === 'build');
  const fatal = run.events.find((e) => e.type === 'fatal');
  const build = buildEvent?.type === 'build' ? buildEvent.build : null;
  const buildOk = build ? build.ok : true;
  const tests = applyControls(task, completeTests(task, planned, run, fatal, buildOk), exchangeCauses(run.causeOf)).filter((t) => !selected || selected.includes(t.id));

  const timing = {
    setup_ms: ready?.type === 'ready' ? ready.setupMs : 0,
    build_ms: build?.durationMs ?? 0,
    tests_ms: Math.round([...run.observed.values()].reduce((sum, t) => sum + t.durationMs, 0)),
  };
  const cannotStart = buildOk ? cannotStartMessage(task, [...run.observed.values()]) : null;
  if (cannotStart && run.observed.size === planned.plan.tests.length) {
    return cannotRunReport(base, cannotStart, started, notRunEntries(task, planned.plan), timing, planned.buildRule?.run.join(' '));
  }
  const result = overallResult(tests, buildOk);
  const notRun = buildOk ? [] : notRunEntries(task, planned.plan);
  return {
    ...base,
    result,
    score: buildOk ? computeScore(tests) : 0,
    build: {
      ok: buildOk,
      output: build ? buildOutput(build) : '',
      ...(planned.buildRule ? { command: planned.buildRule.run.join(' ') } : {}),
    },
    tests,
    causes: causesOf(tests, run.causeOf),
    duration_ms: Math.round(performance.now() - started),
    timing,
    ...(notRun.length ? { not_run: notRun } : {}),
    ...(result === 'error' && fatal?.type === 'fatal' ? { error: fatal.message } : {}),
  };
}

/** Grades `submission` (a path; bytes when its name is not UTF-8). */
export async function gradeSubmission(task: Task, submission: FsPath, opts: GradeOptions): Promise<Report> {
  const started = performance.now();
  // The job's process starts first: its own start overlaps the copy and the planning (stopped below if unused).
  const early = EarlyJob.start(opts.sandbox, opts.jobs);
  try {
    return await prepareAndGrade(task, submission, opts, started, early);
  } finally {
    await early.stop();
  }
}

async function prepareAndGrade(task: Task, submission: FsPath, opts: GradeOptions, started: number, early: EarlyJob): Promise<Report> {
  const base = reportBase(task, submission, opts);
  let scratch: Scratch;
  try {
    scratch = await prepareSubmission(submission, task.program, { maxBytes: submissionBudgetBytes(task) });
  } catch (err) {
    if (err instanceof SubmissionTooLargeError) return tooLargeReport(task, base, err.message, performance.now() - started);
    throw err;
  }
  try {
    // A selection (--test) runs the controls its negative tests need too; only the selection is reported.
    const planned = planJob(task, scratch.workDir, { ...opts, shareStarts: sharesStarts(opts), ...(opts.testIds ? { testIds: withControls(task.tests, opts.testIds) } : {}) });
    const problem = cannotRunBeforeJob(task, scratch.workDir, planned);
    if (problem) return cannotRunReport(base, problem, started, notRunEntries(task, planned.plan));
    const run = await runAndJudge(task, planned, opts, early);
    return jobReport(task, base, planned, run, started, opts.testIds);
  } finally {
    scratch.cleanup();
  }
}
