// Does a fixture get the outcome its expect.yaml declares, and the same one
// every time it is graded (--repeat)? Kattis' verifyproblem, for sockets.
import { expectDifferences, type ExpectDifference, type FixtureExpect } from '../fixtures.js';
import type { Report } from '../report/model.js';
import type { Graded } from './gradings.js';
import { excerpt } from '../excerpt.js';
import { keyLine } from './key-line.js';
import { check, type CheckOutcome, type Finding } from './model.js';
import { shown } from './well-formed.js';

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

/** The fixture being checked: its name, what its expect.yaml declares, and that file. */
export interface DeclaredFixture {
  name: string;
  expect: FixtureExpect;
  expectFile: string;
}

/** A finding about `key` of the expect.yaml (its line), or about the file as a whole. */
function finding(f: DeclaredFixture, kind: string, key: keyof FixtureExpect | null, message: string): Finding {
  return { kind, ...(key ? keyLine(f.expectFile, key) : { file: shown(f.expectFile), line: 1 }), message };
}

/** Each run's differences from expect.yaml, a difference several runs share said once, with why the unexpected failures failed. */
function differenceFindings(f: DeclaredFixture, reports: Report[], knownTests: string[]): { findings: Finding[]; details: string[] } {
  const findings: Finding[] = [];
  const details: string[] = [];
  const seen = new Set<string>();
  reports.forEach((report, i) => {
    const diffs = expectDifferences(report, f.expect, knownTests);
    if (!diffs.length) return;
    const key = diffs.map((d) => d.message).join('\n');
    if (seen.has(key)) return; // the same difference in several runs is said once
    seen.add(key);
    const prefix = reports.length > 1 ? `run ${i + 1}: ` : '';
    const feedbackInQuestion = diffs.some((d) => d.key === 'feedback_contains');
    findings.push(...diffs.map((d: ExpectDifference) => finding(f, d.key ?? 'outcome', d.key, `${prefix}${d.message}`)));
    details.push(...diffs.map((d) => `${prefix}${d.message}`), ...failureLines(report, f.expect, feedbackInQuestion).map((l) => `  ${l}`));
  });
  return { findings, details };
}

/** Tests whose result changed between runs: flaky, or a race the fixture declares (may_fail); each with its results run by run. */
function variations(f: DeclaredFixture, reports: Report[]): { flaky: [string, string[]][]; declaredRace: [string, string[]][] } {
  const varying = [...varyingTests(reports)];
  const mayVary = new Set(f.expect.may_fail);
  return { flaky: varying.filter(([id]) => !mayVary.has(id)), declaredRace: varying.filter(([id]) => mayVary.has(id)) };
}

/** Does the fixture get its declared outcome in every run? Its findings say what differs, each at its expect.yaml line. */
export function fixtureOutcomeCheck(f: DeclaredFixture, runs: Graded[], knownTests: string[]): CheckOutcome {
  const durationMs = runs.reduce((sum, r) => sum + r.durationMs, 0);
  const label = `fixture ${f.name}`;
  if (!runs.length) return check(label, 'fail', 'not graded');
  const notGraded = runs.find((r) => !r.report);
  if (notGraded) return check(label, 'fail', `could not be graded: ${notGraded.error}`, [], durationMs);
  const reports = runs.map((r) => r.report!);

  const differences = differenceFindings(f, reports, knownTests);
  const { flaky, declaredRace } = variations(f, reports);
  const findings = [
    ...differences.findings,
    ...flaky.map(([id, results]) => finding(f, 'flaky', 'may_fail', `flaky: ${id} got ${results.map((r, i) => `${r} (run ${i + 1})`).join(', ')}`)),
    ...declaredRace.map(([id, results]) => finding(f, 'varies', 'may_fail', `varies, allowed by may_fail: ${id} got ${results.join(', ')}`)),
  ];
  const details = [...differences.details, ...findings.slice(differences.findings.length).map((x) => x.message)];
  const outcome = (status: CheckOutcome['status'], summary: string): CheckOutcome => ({ ...check(label, status, summary, details, durationMs), findings });

  const first = reports[0]!;
  const got = `score ${first.score}, ${first.result}`;
  const runsNote = reports.length > 1 ? ` in all ${reports.length} runs` : '';
  if (differences.findings.length) return outcome('fail', `does not get its declared outcome (${got})`);
  if (flaky.length) return outcome('fail', `flaky: ${flaky.map(([id]) => id).join(', ')} changed between runs`);
  if (declaredRace.length) return outcome('warn', `${got}, as declared; may_fail tests varied between runs`);
  return outcome('ok', `${got}, as declared${runsNote}`);
}
