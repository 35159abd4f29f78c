// Grading a folder of submissions: N students at once (each
// gradeSubmission is its own sandboxed job, in its own network namespace),
// each grade on disk the moment it is known, only what has no valid grade
// yet. A student whose submission breaks the grader gets an `error` result;
// the batch goes on. Only a machine that cannot grade at all stops it, or
// the user (Ctrl-C: `signal`): then what was graded is written out as usual
// and a rerun resumes with the rest.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { SandboxUnavailableError, SubmissionError } from '../../runner/errors.js';
import { showPath } from '../../runner/names.js';
import type { SandboxKind } from '../../runner/types.js';
import { gradeSubmission } from '../grade.js';
import { log } from '../log.js';
import { REPORT_SCHEMA, type Report } from '../report/model.js';
import type { Task } from '../model/task.js';
import { writeFileAtomic } from './durable.js';
import { gradesCsv, reportBaseName, writeStudentReports } from './gradebook.js';
import { submissionHash, taskHash } from './hash.js';
import { makeProgress, type ProgressCounts, type ProgressMode } from './progress.js';
import { BatchStore, type GradeRecord } from './store.js';
import { listStudents, type StudentEntry } from './submissions.js';
import { summaryHtml } from './summary-page.js';
import { inPool } from '../pool.js';
import { BuildCache } from '../../runner/job/build-cache.js';
import { JobKeeper } from '../../runner/job/job-process.js';

export interface BatchOptions {
  task: Task;
  /** The submissions folder. */
  dir: string;
  /** The output folder (created, or resumed). */
  out: string;
  jobs: number;
  /** Grade every student again, even those with a valid grade. */
  regrade: boolean;
  seed: number;
  sandbox: SandboxKind;
  /** Reports show every test in full (staff view) rather than the students' view. */
  showAll: boolean;
  progress: ProgressMode;
  /** Aborted (Ctrl-C): start no one else, stop the running jobs, write out what was graded. */
  signal?: AbortSignal;
}

export interface BatchSummary {
  students: number;
  gradedNow: number;
  alreadyGraded: number;
  notPassing: number;
  errors: number;
  wallMs: number;
  /** Stopped by `signal` before every student was graded. */
  interrupted: boolean;
  /** Students still without a valid grade (graded by a rerun). */
  remaining: number;
}

function emptyReport(task: Task, submission: string, opts: BatchOptions, ms: number): Omit<Report, 'result' | 'build'> {
  return { schema: REPORT_SCHEMA, task: task.id, submission, score: 0, tests: [], duration_ms: Math.round(ms), seed: opts.seed, sandbox: opts.sandbox, timing: { setup_ms: 0, build_ms: 0, tests_ms: 0 } };
}

/** The submission itself is unusable (archive rejected, unreadable): the student's result, "failed". */
function rejectedReport(task: Task, submission: string, opts: BatchOptions, ms: number, message: string): Report {
  return { ...emptyReport(task, submission, opts, ms), result: 'failed', build: { ok: false, output: message } };
}

/** The grader failed on this submission: never the student's fault. */
function errorReport(task: Task, submission: string, opts: BatchOptions, ms: number, message: string): Report {
  return { ...emptyReport(task, submission, opts, ms), result: 'error', build: { ok: true, output: '' }, error: `the grader failed on this submission: ${message}` };
}

/** OUT/traces/<student>/: the student's datagrams, one pcapng file per test they may see (grader/trace/files.ts). */
export function tracesDir(out: string, id: string): string {
  return path.join(out, 'traces', reportBaseName(id));
}

async function gradeStudent(task: Task, s: StudentEntry, opts: BatchOptions, state: BatchState): Promise<Report> {
  const started = performance.now();
  const traces = tracesDir(opts.out, s.id);
  // The traces of an earlier grading go: what is left must be this grading's.
  rmSync(traces, { recursive: true, force: true });
  try {
    return await gradeSubmission(task, s.path, {
      seed: opts.seed,
      sandbox: opts.sandbox,
      trace: { dir: traces, view: { showAll: opts.showAll } },
      ...(opts.signal ? { signal: opts.signal } : {}),
      buildCache: state.builds,
      jobs: state.jobs,
    });
  } catch (err) {
    if (err instanceof SandboxUnavailableError) throw err;
    const ms = performance.now() - started;
    const shown = showPath(s.path);
    if (err instanceof SubmissionError) return rejectedReport(task, shown, opts, ms, err.message);
    log.error({ err, student: s.id }, 'the grader failed on a submission');
    return errorReport(task, shown, opts, ms, (err as Error).message ?? String(err));
  }
}

function safeHash(s: StudentEntry): string {
  try {
    return submissionHash(s.path);
  } catch (err) {
    // Unreadable now: graded (and reported as such) once; a fixed entry hashes differently and is graded again.
    return `unreadable: ${(err as Error).message}`;
  }
}


/** Which students need grading, and the grades already valid: a grade holds while the submission, the task and the seed are those it was computed from. */
class BatchState {
  readonly currentTask: string;
  readonly hashes: Map<string, string>;
  readonly todo: StudentEntry[];
  readonly counts: ProgressCounts;
  readonly alreadyGraded: number;
  /** Identical submissions are built once (removed when the batch ends). */
  readonly builds = new BuildCache();
  /** Job processes kept from one student to the next (each student still in a network namespace of their own). */
  readonly jobs = new JobKeeper();

  constructor(
    readonly opts: BatchOptions,
    readonly students: StudentEntry[],
    readonly store: BatchStore,
  ) {
    this.currentTask = taskHash(opts.task);
    this.hashes = new Map(students.map((s) => [s.id, safeHash(s)]));
    // An `error` grade is the grader's failure, never the student's: it stays in
    // the gradebook until a restart grades that student again.
    const settled = (r: GradeRecord | undefined) => this.valid(r) && r.report.result !== 'error';
    this.todo = opts.regrade ? students : students.filter((s) => !settled(store.records.get(s.id)));
    this.counts = { done: students.length - this.todo.length, total: students.length, gradedNow: 0, notPassing: 0, errors: 0 };
    const pending = new Set(this.todo.map((s) => s.id));
    for (const r of this.current()) {
      if (pending.has(r.id)) continue;
      this.count(r);
    }
    this.alreadyGraded = this.counts.done;
  }

  valid(r: GradeRecord | undefined): r is GradeRecord {
    return r !== undefined && r.submissionHash === this.hashes.get(r.id) && r.taskHash === this.currentTask && r.seed === this.opts.seed;
  }

  /** The valid grade of every current student who has one (students gone from the folder are left out). */
  current(): GradeRecord[] {
    return this.students.map((s) => this.store.records.get(s.id)).filter((r): r is GradeRecord => this.valid(r));
  }

  count(r: GradeRecord): void {
    if (r.report.result !== 'success') this.counts.notPassing++;
    if (r.report.result === 'error') this.counts.errors++;
  }

  writeCsv(): void {
    writeFileAtomic(path.join(this.opts.out, 'grades.csv'), gradesCsv(this.opts.task, this.current()));
  }
}

const stopped = (opts: BatchOptions) => opts.signal?.aborted === true;

/** Grades one student and records the grade (reports first: a stored grade always has its reports). Throws only when the machine cannot grade. */
async function gradeAndRecord(state: BatchState, s: StudentEntry, progress: ReturnType<typeof makeProgress>): Promise<void> {
  const { opts, counts } = state;
  if (stopped(opts)) return;
  const t0 = performance.now();
  progress.begin(s.id);
  let report: Report;
  try {
    report = await gradeStudent(opts.task, s, opts, state);
  } catch (err) {
    if (stopped(opts)) return; // a job killed before it was ready looks like a broken sandbox: it is not
    throw err;
  }
  // Its job was stopped half-way: no grade (the rerun grades this student).
  if (stopped(opts)) return;
  let record: GradeRecord = { id: s.id, entry: s.entry, submissionHash: state.hashes.get(s.id)!, taskHash: state.currentTask, seed: opts.seed, gradedAt: new Date().toISOString(), report };
  try {
    writeStudentReports(opts.out, record, opts.showAll);
  } catch (err) {
    log.error({ err, student: s.id }, 'cannot write the reports of a student');
    record = { ...record, report: errorReport(opts.task, showPath(s.path), opts, performance.now() - t0, `cannot write its reports: ${(err as Error).message}`) };
  }
  state.store.append(record);
  counts.done++;
  counts.gradedNow++;
  state.count(record);
  log.info({ student: s.id, score: record.report.score, result: record.report.result }, 'graded');
  progress.graded(s.id, record.report.score, record.report.result, performance.now() - t0, counts);
  state.writeCsv();
}

/** Grades the students to do, opts.jobs at once; the machine's failure, if it stopped the pool, is returned. */
async function gradeTodo(state: BatchState): Promise<SandboxUnavailableError | null> {
  const { opts, counts } = state;
  const progress = makeProgress(opts.progress);
  progress.start(counts);
  const onAbort = () => progress.note(`stopping: writing the grades of the ${counts.gradedNow} student(s) graded so far...`);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await inPool(state.todo, opts.jobs, (s) => gradeAndRecord(state, s, progress));
    return null;
  } catch (err) {
    return err as SandboxUnavailableError;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    progress.stop();
  }
}

/** Every output made again from the stored grades: a run killed half-way leaves nothing stale behind. */
function writeOutputs(state: BatchState): GradeRecord[] {
  const { opts } = state;
  const records = state.current();
  for (const r of records) {
    try {
      writeStudentReports(opts.out, r, opts.showAll);
    } catch (err) {
      log.error({ err, student: r.id }, 'cannot write the reports of a student');
    }
  }
  state.writeCsv();
  writeFileAtomic(path.join(opts.out, 'summary.html'), summaryHtml(opts.task, records));
  return records;
}

export async function runBatch(opts: BatchOptions): Promise<BatchSummary> {
  const started = performance.now();
  const { task } = opts;
  const students = listStudents(opts.dir, [opts.out]);
  const store = BatchStore.open(opts.out, task.id);
  let state: BatchState | undefined;
  try {
    state = new BatchState(opts, students, store);
    log.info({ task: task.id, students: students.length, todo: state.todo.length, jobs: opts.jobs }, 'batch starts');
    const machineFailure = await gradeTodo(state);
    if (!machineFailure) store.compact();
    const records = writeOutputs(state);
    if (machineFailure) throw machineFailure;
    const { counts } = state;
    return {
      students: students.length,
      gradedNow: counts.gradedNow,
      alreadyGraded: state.alreadyGraded,
      notPassing: counts.notPassing,
      errors: counts.errors,
      wallMs: Math.round(performance.now() - started),
      interrupted: stopped(opts),
      remaining: students.length - records.filter((r) => r.report.result !== 'error').length,
    };
  } finally {
    state?.builds.dispose();
    await state?.jobs.close();
    store.close();
  }
}
