// What to tell INGInious, through the feedback commands of its containers:
// the result, the grade (0-100), and the feedback text in reStructuredText,
// one message per test appended to the task's feedback. INGInious renders it
// with raw HTML enabled: student text goes only in literal blocks and escaped
// inline text (neutralise.ts), never where it could become markup. Only the
// calls are decided here; runner/platforms/inginious.ts makes them.
import type { TestResult } from '../verdict/primitives.js';
import { gradedIn } from './backend.js';
import type { Report, TestReport } from './model.js';
import { jsonSafe, rstInline, rstLines, rstLiteral, visibleLine } from './neutralise.js';

/** One command line: the program, then its arguments. */
export type FeedbackCall = string[];

// feedback-result documents these five; INGInious itself has no "killed" or
// "error" a run script may set, so both show as a crash and the text says which.
const RESULT: Record<TestResult, string> = {
  success: 'success',
  failed: 'failed',
  timeout: 'timeout',
  overflow: 'overflow',
  crash: 'crash',
  killed: 'crash',
  error: 'crash',
};

function header(r: Report): string {
  const passed = r.tests.filter((t) => t.passed).length;
  const parts = [`**Score: ${r.score}/100** (${r.result}: ${passed} of ${r.tests.length} tests passed)\n`];
  if (!r.build.ok) {
    const how = r.build.command ? `: ${rstInline(r.build.command)}` : '';
    parts.push(`**The build failed**${how}\n`);
    const output = rstLiteral(r.build.output, 0);
    if (output) parts.push(output);
  }
  // Each test's message keeps its full feedback (a course may show them apart); the causes are said once here.
  for (const c of r.causes ?? []) parts.push(`**One mistake explains ${c.tests.length} failed tests** (${c.tests.map((id) => `\`\`${id}\`\``).join(', ')}): ${rstInline(c.message)}\n`);
  if (r.error) parts.push(`.. error::\n\n${rstLines(`The grader failed, not your submission: ${r.error}`, 3)}\n`);
  parts.push(`${gradedIn(r)}\n`);
  return parts.join('\n') + '\n';
}

/** A due date INGInious's hidden-until directive takes; anything else is refused. */
export const DUE_DATE = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/;

/**
 * Each tag of the task, set when one of its tests failed: the course's
 * statistics then count the misconceptions (byte order, error handling...).
 */
function tagCalls(r: Report): FeedbackCall[] {
  const failed = new Map<string, boolean>();
  for (const t of r.tests) for (const tag of t.tags) failed.set(tag, (failed.get(tag) ?? false) || !t.passed);
  return [...failed].map(([tag, value]) => ['tag-set', tag, value ? 'true' : 'false']);
}

function testMessage(t: TestReport): string {
  const mark = t.passed ? '**PASS**' : '**FAIL**';
  const verdict = t.passed || t.result === 'failed' ? '' : ` (${t.result})`;
  const parts = [`- ${mark} ${rstInline(t.name)} \`\`${t.id}\`\`${verdict}\n`];
  if (!t.passed && t.feedback) parts.push(`${rstLines(t.feedback, 2)}\n`);
  const details = t.passed || !t.details ? '' : rstLiteral(t.details, 2);
  if (details) parts.push(details);
  return parts.join('\n') + '\n';
}

/**
 * An after_due_date test when the due date is known: its full message goes
 * in INGInious's hidden-until directive, which shows it from that date on.
 */
function revealedAt(message: string, dueDate: string): string {
  return `.. hidden-until:: ${dueDate}\n\n${message.replace(/^(?=.)/gm, '    ')}`;
}

/**
 * The INGInious calls for a report, in order; the report is already filtered
 * by visibility. With `dueDate`, after_due_date tests are in full (the report
 * was viewed after the due date) and INGInious hides them until that date.
 */
export function inginiousCalls(r: Report, opts: { dueDate?: string } = {}): FeedbackCall[] {
  const summary = { schema: r.schema, task: r.task, result: r.result, score: r.score, sandbox: r.sandbox, tests: Object.fromEntries(r.tests.map((t) => [t.id, t.result])) };
  const message = (t: TestReport) =>
    opts.dueDate && t.visibility === 'after_due_date' ? revealedAt(testMessage(t), opts.dueDate) : testMessage(t);
  // --message=...: a message starting with "-" must never be read as an option.
  return [
    ['feedback-result', RESULT[r.result]],
    ['feedback-grade', String(r.score)],
    ['feedback-msg', `--message=${header(r)}`],
    ...r.tests.map((t) => ['feedback-msg', '--append', `--message=${message(t)}`]),
    ...tagCalls(r),
    ['feedback-custom', '--json', 'sockgrade', jsonSafe(JSON.stringify(summary))],
  ];
}

function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The calls as a shell script: what would be run inside an INGInious container. */
export function formatInginious(r: Report, opts: { dueDate?: string } = {}): string {
  const lines = [
    '#!/bin/sh',
    `# INGInious feedback for ${visibleLine(r.task)}: run inside an INGInious grading container to deliver it.`,
    'set -e',
    ...inginiousCalls(r, opts).map((call) => call.map(shellWord).join(' ')),
  ];
  return lines.join('\n') + '\n';
}
