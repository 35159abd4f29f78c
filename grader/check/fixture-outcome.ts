// Does a fixture get the outcome its expect.yaml declares, and the same one
// every time it is graded (--repeat)? Kattis' verifyproblem, for sockets.
import { compareWithExpect, type FixtureExpect } from '../fixtures.js';
import type { Report } from '../report/model.js';
import type { Graded } from './gradings.js';
import { check, type CheckOutcome } from './model.js';
import { excerpt } from '../excerpt.js';

/** Per test id, its result; '(build failed)' when nothing ran. The part of a report that must not vary. */
export function outcomeOf(report: Report): Map<string, string> {
  const out = new Map<string, string>();
  if (!report.build.ok) out.set('(build)', 'failed');
  for (const t of report.tests) out.set(t.id, t.result);
  return out;
}

/** Tests whose result is not the same in every report, with their results run by run. */
export function varyingTests(reports: Report[]): Map<string, string[]> {
  const outcomes = reports.map(outcomeOf);
  const ids = new Set(outcomes.flatMap((o) => [...o.keys()]));
  const varying = new Map<string, string[]>();
  for (const id of ids) {
    const results = outcomes.map((o) => o.get(id) ?? '(not run)');
    if (new Set(results).size > 1) varying.set(id, results);
  }
  return varying;
}

/**
 * Why each unexpected failure failed (a score mismatch alone does not say what
 * to fix); every failure's feedback when the feedback itself is in question.
 */
function failureLines(report: Report, expect: FixtureExpect, all: boolean): string[] {
  const declared = new Set(all ? [] : [...(expect.fails ?? []), ...expect.may_fail]);
  const lines: string[] = [];
  if (!report.build.ok) lines.push(`build failed: ${excerpt(report.build.output, 400)}`);
  for (const t of report.tests) {
    if (!t.passed && !declared.has(t.id)) lines.push(`${t.id} [${t.result}]: ${excerpt(t.feedback)}`);
  }
  return lines;
}

export function fixtureOutcomeCheck(name: string, expect: FixtureExpect, runs: Graded[], knownTests: string[]): CheckOutcome {
  const durationMs = runs.reduce((sum, r) => sum + r.durationMs, 0);
  const label = `fixture ${name}`;
  if (!runs.length) return check(label, 'fail', 'not graded');
  const notGraded = runs.find((r) => !r.report);
  if (notGraded) return check(label, 'fail', `could not be graded: ${notGraded.error}`, [], durationMs);
  const reports = runs.map((r) => r.report!);

  const details: string[] = [];
  const seen = new Set<string>();
  reports.forEach((report, i) => {
    const diffs = compareWithExpect(report, expect, knownTests);
    if (!diffs.length) return;
    const key = diffs.join('\n');
    if (seen.has(key)) return; // the same difference in several runs is said once
    seen.add(key);
    const prefix = reports.length > 1 ? `run ${i + 1}: ` : '';
    const feedbackInQuestion = diffs.some((d) => d.startsWith("no failing test's feedback contains"));
    details.push(...diffs.map((d) => `${prefix}${d}`), ...failureLines(report, expect, feedbackInQuestion).map((l) => `  ${l}`));
  });

  const varying = varyingTests(reports);
  const mayVary = new Set(expect.may_fail);
  const flaky = [...varying].filter(([id]) => !mayVary.has(id));
  const declaredRace = [...varying].filter(([id]) => mayVary.has(id));
  for (const [id, results] of flaky) details.push(`flaky: ${id} got ${results.map((r, i) => `${r} (run ${i + 1})`).join(', ')}`);
  for (const [id, results] of declaredRace) details.push(`varies, allowed by may_fail: ${id} got ${results.join(', ')}`);

  const first = reports[0]!;
  const got = `score ${first.score}, ${first.result}`;
  const runsNote = reports.length > 1 ? ` in all ${reports.length} runs` : '';
  if (seen.size) return check(label, 'fail', `does not get its declared outcome (${got})`, details, durationMs);
  if (flaky.length) return check(label, 'fail', `flaky: ${flaky.map(([id]) => id).join(', ')} changed between runs`, details, durationMs);
  if (declaredRace.length) return check(label, 'warn', `${got}, as declared; may_fail tests varied between runs`, details, durationMs);
  return check(label, 'ok', `${got}, as declared${runsNote}`, details, durationMs);
}
