// Gradescope's results.json (its autograder specification): a test per
// hidden test, worth its weight scaled so that the whole task is worth 100
// points, as sockgrade's own score. Gradescope enforces visibility itself,
// so each test carries Gradescope's visibility field. Its page shows the
// outputs as plain text ("text" format): student text is neutralised
// (neutralise.ts) so no control or bidi character acts on what is displayed.
import type { Visibility } from '../model/task.js';
import { gradedIn } from './backend.js';
import type { Report, TestReport } from './model.js';
import { jsonSafe, visibleLine, visibleText } from './neutralise.js';

export type GradescopeVisibility = 'hidden' | 'after_due_date' | 'after_published' | 'visible';

export interface GradescopeTest {
  name: string;
  score: number;
  max_score: number;
  status: 'passed' | 'failed';
  output: string;
  tags: string[];
  visibility: GradescopeVisibility;
  extra_data: { id: string; result: string; weight: number };
}

export interface GradescopeResults {
  score: number;
  execution_time: number;
  output: string;
  output_format: 'text';
  test_output_format: 'text';
  stdout_visibility: GradescopeVisibility;
  extra_data: { schema: string; task: string; result: string; seed: number; sandbox: string };
  tests: GradescopeTest[];
}

// Our "hidden" shows the name and verdict, so Gradescope shows the test (with
// no output); "after_due_date" is left to Gradescope, which knows the date.
const VISIBILITY: Record<Visibility, GradescopeVisibility> = {
  visible: 'visible',
  feedback: 'visible',
  hidden: 'visible',
  after_due_date: 'after_due_date',
};

/**
 * Each test's share of 100 points, in hundredths, summing to exactly 100:
 * rounded down, then the hundredths left over go to the largest remainders.
 */
export function pointsPerTest(weights: number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  if (total === 0) return weights.map(() => 0);
  const exact = weights.map((w) => (w / total) * 10000);
  const cents = exact.map(Math.floor);
  let left = 10000 - cents.reduce((s, c) => s + c, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    cents[i]! += 1;
  }
  return cents.map((c) => c / 100);
}

function testOutput(t: TestReport): string {
  const verdict = t.passed || t.result === 'failed' ? '' : `[${t.result}]`;
  return visibleText([verdict, t.feedback, t.details ?? ''].filter(Boolean).join('\n\n'));
}

function summary(r: Report, score: number, total: number): string {
  const passed = r.tests.filter((t) => t.passed).length;
  const lines = [`${r.task}: ${passed}/${total} tests passed, score ${score}/100 (${r.result})`, gradedIn(r)];
  // Gradescope shows each test on its own, so each keeps its full feedback; the causes are said once at the top.
  for (const c of r.causes ?? []) lines.push('', `One mistake explains ${c.tests.length} failed tests (${c.tests.join(', ')}):`, c.message);
  if (!r.build.ok) lines.push('', 'The build failed, so no test ran. The compiler said:', r.build.output);
  if (r.error) lines.push('', `The grader failed, not your submission: ${r.error}`);
  return visibleText(lines.join('\n'));
}

/** A test that never ran because the build failed: failed, worth its points, saying why. */
function notRunTest(t: NonNullable<Report['not_run']>[number], points: number): GradescopeTest {
  return {
    name: visibleLine(`${t.name} [${t.id}]`),
    score: 0,
    max_score: points,
    status: 'failed',
    output: 'Not run: the build failed (the compiler output is above).',
    tags: t.tags,
    visibility: VISIBILITY[t.visibility],
    extra_data: { id: t.id, result: 'failed', weight: t.weight },
  };
}

export function gradescopeResults(r: Report): GradescopeResults {
  const all = [...r.tests, ...(r.not_run ?? [])];
  const points = pointsPerTest(all.map((t) => t.weight));
  const tests: GradescopeTest[] = [
    ...r.tests.map((t, i) => ({
      name: visibleLine(`${t.name} [${t.id}]`),
      score: t.passed ? points[i]! : 0,
      max_score: points[i]!,
      status: t.passed ? ('passed' as const) : ('failed' as const),
      output: testOutput(t),
      tags: t.tags,
      visibility: VISIBILITY[t.visibility],
      extra_data: { id: t.id, result: t.result, weight: t.weight },
    })),
    ...(r.not_run ?? []).map((t, i) => notRunTest(t, points[r.tests.length + i]!)),
  ];
  // Gradescope shows the total and each test's points: they must agree to the hundredth.
  const score = tests.length ? Math.round(tests.reduce((s, t) => s + t.score * 100, 0)) / 100 : r.score;
  return {
    score,
    execution_time: Math.round(r.duration_ms / 1000),
    output: summary(r, score, all.length),
    // "text": compiler and student output must never be read as HTML.
    output_format: 'text',
    test_output_format: 'text',
    stdout_visibility: 'hidden',
    extra_data: { schema: r.schema, task: r.task, result: r.result, seed: r.seed, sandbox: r.sandbox },
    tests,
  };
}

export function formatGradescope(r: Report): string {
  return jsonSafe(JSON.stringify(gradescopeResults(r), null, 2)) + '\n';
}
