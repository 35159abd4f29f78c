// What a batch leaves for the teaching assistant besides the summary page:
// grades.csv (one row per student) and each student's report, in the
// existing report formats.
import { mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { cut } from '../excerpt.js';
import { FORMATS } from '../report/formats.js';
import type { Report } from '../report/model.js';
import { visibleText } from '../report/neutralise.js';
import { viewReport } from '../report/visibility.js';
import type { Task } from '../model/task.js';
import { writeFileAtomic } from './durable.js';
import type { GradeRecord } from './store.js';

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote, a line break or edge spaces. */
export function csvField(value: string | number): string {
  // A text starting like a formula (a student id "=HYPERLINK(...)") is kept as text in spreadsheets;
  // control characters (an id is a file name) are shown as escapes, as in every rendering.
  const text = typeof value === 'string' ? visibleText(value) : String(value);
  const s = typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${text}` : text;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const REASON_CHARS = 200;

/**
 * Why no test ran, in one line, or '' when tests ran: the rejection message
 * (archive rejected, nothing to build), the compiler's first error line, or
 * the grader's own failure. The full text stays in the student's report.
 */
export function failureReason(report: Report): string {
  const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);
  let reason = '';
  if (!report.build.ok) {
    const out = lines(report.build.output);
    if (report.build.command === undefined) reason = out[0] ?? 'the submission was rejected';
    else {
      // gcc says where first ("server.c: In function 'main':"), then what; the last line is our "failed with status N".
      const firstError = out.find((l) => /\berror\b/i.test(l) && !/^make(\[\d+\])?: \*\*\*/.test(l));
      reason = `build failed: ${firstError ?? out.at(-1) ?? 'no output'}`;
    }
  } else if (report.result === 'error') reason = lines(report.error ?? '')[0] ?? 'the grader failed on this submission';
  return cut(reason, REASON_CHARS, '…');
}

/**
 * id, score, result, then one column per test of the task: "pass", the
 * failing result (failed, timeout, crash...), or empty when the test did not
 * run (build failed, archive rejected); last, `reason`: why no test ran.
 */
export function gradesCsv(task: Task, records: GradeRecord[]): string {
  const header = ['id', 'score', 'result', ...task.tests.map((t) => t.id), 'reason'];
  const rows = records.map((r) => {
    const byTest = new Map(r.report.tests.map((t) => [t.id, t]));
    return [
      r.id,
      r.report.score,
      r.report.result,
      ...task.tests.map((t) => {
        const got = byTest.get(t.id);
        return got ? (got.passed ? 'pass' : got.result) : '';
      }),
      failureReason(r.report),
    ];
  });
  return [header, ...rows].map((row) => row.map(csvField).join(',') + '\r\n').join('');
}

// A file name is at most 255 bytes, and a student id can be that long already.
export function reportBaseName(id: string): string {
  if (Buffer.byteLength(id) <= 200) return id;
  const cut = Buffer.from(id).subarray(0, 180).toString('utf8').replace(/\uFFFD+$/, '');
  return `${cut}-${createHash('sha256').update(id).digest('hex').slice(0, 12)}`;
}

export function reportsDir(outDir: string): string {
  return path.join(outDir, 'reports');
}

/** Writes reports/<id>.json and reports/<id>.txt; the student's view unless `showAll`. */
export function writeStudentReports(outDir: string, record: GradeRecord, showAll: boolean): void {
  const dir = reportsDir(outDir);
  mkdirSync(dir, { recursive: true });
  const view = viewReport(record.report, { showAll });
  const base = path.join(dir, reportBaseName(record.id));
  writeFileAtomic(`${base}.json`, FORMATS.json!(view, { colour: false }));
  writeFileAtomic(`${base}.txt`, FORMATS.text!(view, { colour: false }));
}
