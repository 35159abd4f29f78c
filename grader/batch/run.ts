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

async function gradeStudent(task: Task, s: StudentEntry, opts: BatchOptions): Promise<Report> {
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


export async function runBatch(opts: BatchOptions): Promise<BatchSummary> {
  const started = performance.now();
  const { task } = opts;
  const students = listStudents(opts.dir, [opts.out]);
  const store = BatchStore.open(opts.out, task.id);
  try {
    const currentTask = taskHash(task);
    const hashes = new Map(students.map((s) => [s.id, safeHash(s)]));
    // A grade holds while the submission, the task and the seed are those it was computed from.
    const valid = (r: GradeRecord | undefined): r is GradeRecord =>
      r !== undefined && r.submissionHash === hashes.get(r.id) && r.taskHash === currentTask && r.seed === opts.seed;
    // An `error` grade is the grader's failure, never the student's: it stays in
    // the gradebook until a restart grades that student again.
    const settled = (r: GradeRecord | undefined) => valid(r) && r.report.result !== 'error';
    const todo = opts.regrade ? students : students.filter((s) => !settled(store.records.get(s.id)));
    /** The valid grade of every current student who has one (students gone from the folder are left out). */
    const current = () => students.map((s) => store.records.get(s.id)).filter(valid);

    const counts: ProgressCounts = { done: students.length - todo.length, total: students.length, gradedNow: 0, notPassing: 0, errors: 0 };
    const pending = new Set(todo.map((s) => s.id));
    for (const r of current()) {
      if (pending.has(r.id)) continue;
      if (r.report.result !== 'success') counts.notPassing++;
      if (r.report.result === 'error') counts.errors++;
    }
    const alreadyGraded = counts.done;
    log.info({ task: task.id, students: students.length, todo: todo.length, jobs: opts.jobs }, 'batch starts');

    const progress = makeProgress(opts.progress);
    progress.start(counts);
    let machineFailure: SandboxUnavailableError | null = null;
    const csvFile = path.join(opts.out, 'grades.csv');
    const writeCsv = () => writeFileAtomic(csvFile, gradesCsv(task, current()));

    const stopped = () => opts.signal?.aborted === true;
    const gradeAndRecord = async (s: StudentEntry) => {
      if (stopped()) return;
      const t0 = performance.now();
      progress.begin(s.id);
      // Throws only when the machine cannot grade: the pool then starts no one else.
      let report: Report;
      try {
        report = await gradeStudent(task, s, opts);
      } catch (err) {
        if (stopped()) return; // a job killed before it was ready looks like a broken sandbox: it is not
        throw err;
      }
      // Its job was stopped half-way: no grade (the rerun grades this student).
      if (stopped()) return;
      let record: GradeRecord = { id: s.id, entry: s.entry, submissionHash: hashes.get(s.id)!, taskHash: currentTask, seed: opts.seed, gradedAt: new Date().toISOString(), report };
      try {
        // Reports first: a stored grade always has its reports.
        writeStudentReports(opts.out, record, opts.showAll);
      } catch (err) {
        log.error({ err, student: s.id }, 'cannot write the reports of a student');
        record = { ...record, report: errorReport(task, showPath(s.path), opts, performance.now() - t0, `cannot write its reports: ${(err as Error).message}`) };
      }
      store.append(record);
      counts.done++;
      counts.gradedNow++;
      if (record.report.result !== 'success') counts.notPassing++;
      if (record.report.result === 'error') counts.errors++;
      log.info({ student: s.id, score: record.report.score, result: record.report.result }, 'graded');
      progress.graded(s.id, record.report.score, record.report.result, performance.now() - t0, counts);
      writeCsv();
    };
    const onAbort = () => progress.note(`stopping: writing the grades of the ${counts.gradedNow} student(s) graded so far...`);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await inPool(todo, opts.jobs, gradeAndRecord);
    } catch (err) {
      machineFailure = err as SandboxUnavailableError;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      progress.stop();
    }

    if (!machineFailure) store.compact();
    // Every output is made again from the stored grades: a run killed half-way leaves nothing stale behind.
    const records = current();
    for (const r of records) {
      try {
        writeStudentReports(opts.out, r, opts.showAll);
      } catch (err) {
        log.error({ err, student: r.id }, 'cannot write the reports of a student');
      }
    }
    writeCsv();
    writeFileAtomic(path.join(opts.out, 'summary.html'), summaryHtml(task, records));
    if (machineFailure) throw machineFailure;
    return {
      students: students.length,
      gradedNow: counts.gradedNow,
      alreadyGraded,
      notPassing: counts.notPassing,
      errors: counts.errors,
      wallMs: Math.round(performance.now() - started),
      interrupted: stopped(),
      remaining: students.length - records.filter((r) => r.report.result !== 'error').length,
    };
  } finally {
    store.close();
  }
}
