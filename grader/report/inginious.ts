// What to tell INGInious, through the feedback commands of its containers:
// the result, the grade (0-100), and the feedback text in reStructuredText,
// one message per test appended to the task's feedback. Only the calls are
// decided here; runner/platforms/inginious.ts makes them.
import type { TestResult } from '../verdict.js';
import type { Report, TestReport } from './model.js';

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

/**
 * Text reStructuredText must show as written, inside a line: the characters
 * that open inline markup (emphasis, literals, roles, references,
 * substitutions) are escaped, so no student output or test name becomes markup.
 */
export function rstInline(s: string): string {
  return s.replace(/\s+/g, ' ').trim().replace(/[\\*`_|]/g, '\\$&');
}

/**
 * Several lines as a line block ("| " per line): its lines hold inline text
 * only, so nothing in them can start a list, a title or a directive.
 */
function rstLines(text: string, by: number): string {
  const pad = ' '.repeat(by);
  return text
    .trim()
    .split('\n')
    .map((l) => (l.trim() ? `${pad}| ${rstInline(l)}` : `${pad}|`))
    .join('\n');
}

function indent(text: string, by: number): string {
  const pad = ' '.repeat(by);
  return text
    .split('\n')
    .map((l) => (l.trim() ? pad + l : ''))
    .join('\n');
}

/** A literal block: shown verbatim, in a fixed-width font. */
function literal(text: string, by: number): string {
  return `${' '.repeat(by)}::\n\n${indent(text.replace(/\t/g, '    ').replace(/\s+$/, ''), by + 4)}\n`;
}

function header(r: Report): string {
  const passed = r.tests.filter((t) => t.passed).length;
  const parts = [`**Score: ${r.score}/100** (${r.result}: ${passed} of ${r.tests.length} tests passed)\n`];
  if (!r.build.ok) {
    const how = r.build.command ? `: ${rstInline(r.build.command)}` : '';
    parts.push(`**The build failed**${how}\n`);
    if (r.build.output) parts.push(literal(r.build.output, 0));
  }
  if (r.error) parts.push(`.. error::\n\n${rstLines(`The grader failed, not your submission: ${r.error}`, 3)}\n`);
  return parts.join('\n') + '\n';
}

function testMessage(t: TestReport): string {
  const mark = t.passed ? '**PASS**' : '**FAIL**';
  const verdict = t.passed || t.result === 'failed' ? '' : ` (${t.result})`;
  const parts = [`- ${mark} ${rstInline(t.name)} \`\`${t.id}\`\`${verdict}\n`];
  if (!t.passed && t.feedback) parts.push(`${rstLines(t.feedback, 2)}\n`);
  if (!t.passed && t.details) parts.push(literal(t.details, 2));
  return parts.join('\n') + '\n';
}

/** The INGInious calls for a report, in order; the report is already filtered by visibility. */
export function inginiousCalls(r: Report): FeedbackCall[] {
  const summary = { schema: r.schema, task: r.task, result: r.result, score: r.score, tests: Object.fromEntries(r.tests.map((t) => [t.id, t.result])) };
  // --message=...: a message starting with "-" must never be read as an option.
  return [
    ['feedback-result', RESULT[r.result]],
    ['feedback-grade', String(r.score)],
    ['feedback-msg', `--message=${header(r)}`],
    ...r.tests.map((t) => ['feedback-msg', '--append', `--message=${testMessage(t)}`]),
    ['feedback-custom', '--json', 'sockgrade', JSON.stringify(summary)],
  ];
}

function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The calls as a shell script: what would be run inside an INGInious container. */
export function formatInginious(r: Report): string {
  const lines = [
    '#!/bin/sh',
    `# INGInious feedback for ${r.task}: run inside an INGInious grading container to deliver it.`,
    'set -e',
    ...inginiousCalls(r).map((call) => call.map(shellWord).join(' ')),
  ];
  return lines.join('\n') + '\n';
}
