// JUnit XML, the report CI servers read (Jenkins, GitLab, GitHub test
// reporters): one testsuite per task, one testcase per hidden test.
import type { Report, TestReport } from './model.js';
import { xmlAttr, xmlText } from './neutralise.js';


function attrs(pairs: Record<string, string | number>): string {
  return Object.entries(pairs)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

interface Case {
  name: string;
  /** Where the test is defined (tests.yaml and line): CI reporters annotate that line. */
  file?: string;
  line?: number;
  ms: number;
  outcome: { kind: 'failure' | 'error'; type: string; message: string; body: string } | null;
  out?: string;
}

function testCase(t: TestReport): Case {
  const where = t.file !== undefined && t.line !== undefined ? { file: t.file, line: t.line } : {};
  if (t.passed) return { name: `${t.id}: ${t.name}`, ...where, ms: t.duration_ms, outcome: null, ...(t.details ? { out: t.details } : {}) };
  // A hidden test has no feedback left: its name and verdict are the whole text (reporters skip an empty one).
  const verdict = `${t.name}: ${t.result === 'failed' ? 'test failed' : t.result}`;
  const message = t.feedback || verdict;
  return {
    name: `${t.id}: ${t.name}`,
    ...where,
    ms: t.duration_ms,
    outcome: { kind: t.result === 'error' ? 'error' : 'failure', type: t.result, message, body: t.feedback || verdict },
    ...(t.details ? { out: t.details } : {}),
  };
}

/** The cases: the tests, or the build when there was nothing to test. */
function cases(r: Report): Case[] {
  const list = r.tests.map(testCase);
  if (!r.build.ok) {
    list.unshift({
      name: 'build',
      ms: r.timing.build_ms,
      outcome: { kind: 'failure', type: 'build', message: 'the build failed', body: r.build.output },
    });
  } else if (r.tests.length === 0 && r.result === 'error') {
    const message = r.error ?? 'the grader ran no test';
    list.push({ name: 'grader', ms: 0, outcome: { kind: 'error', type: 'error', message, body: message } });
  }
  return list;
}

export function formatJunit(r: Report): string {
  const list = cases(r);
  const failures = list.filter((c) => c.outcome?.kind === 'failure').length;
  const errors = list.filter((c) => c.outcome?.kind === 'error').length;
  const counts = { tests: list.length, failures, errors, time: seconds(r.duration_ms) };
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites${attrs({ name: 'sockgrade', ...counts })}>`);
  lines.push(`  <testsuite${attrs({ name: r.task, ...counts, skipped: 0 })}>`);
  lines.push('    <properties>');
  const props = { score: r.score, result: r.result, seed: r.seed, sandbox: r.sandbox, submission: r.submission };
  for (const [name, value] of Object.entries(props)) lines.push(`      <property${attrs({ name, value })}/>`);
  // CI reporters show tests one by one: each keeps its full feedback; the causes are said once more here.
  for (const c of r.causes ?? []) lines.push(`      <property${attrs({ name: `cause:${c.id}`, value: `${c.message} (tests: ${c.tests.join(', ')})` })}/>`);
  lines.push('    </properties>');
  for (const c of list) {
    const where: Record<string, string | number> = c.file !== undefined && c.line !== undefined ? { file: c.file, line: c.line } : {};
    const open = `    <testcase${attrs({ classname: r.task, name: c.name, ...where, time: seconds(c.ms) })}`;
    if (!c.outcome && c.out === undefined) {
      lines.push(`${open}/>`);
      continue;
    }
    lines.push(`${open}>`);
    if (c.outcome) {
      const { kind, type, message, body } = c.outcome;
      lines.push(`      <${kind}${attrs({ message, type })}>${xmlText(body)}</${kind}>`);
    }
    // Inputs and bytes: present only when the test is visible (see visibility.ts).
    if (c.out !== undefined) lines.push(`      <system-out>${xmlText(c.out)}</system-out>`);
    lines.push('    </testcase>');
  }
  if (r.error) lines.push(`    <system-err>${xmlText(r.error)}</system-err>`);
  lines.push('  </testsuite>');
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}
