// Sample submissions with declared outcomes (fixtures/<task>/<name>/), in the
// way of Kattis' accepted/wrong_answer folders: each holds a `submission`
// (folder, file or archive) and an expect.yaml saying what it must get.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Report } from './report/model.js';
import { TaskError, YamlFile, type Problem } from './task/yaml-file.js';

const RESULTS = ['success', 'failed', 'timeout', 'crash', 'overflow', 'killed', 'error'] as const;

export const fixtureExpectSchema = z
  .object({
    /** The exact score it must get. */
    score: z.number().min(0).max(100).optional(),
    /** Tests it must fail; every other test must pass, except those in may_fail. */
    fails: z.array(z.string()).optional(),
    may_fail: z.array(z.string()).default([]),
    result: z.enum(RESULTS).optional(),
    /** Text(s) that must appear in the feedback of some failing test. */
    feedback_contains: z.union([z.string(), z.array(z.string())]).optional(),
  })
  .strict()
  .refine((e) => e.score !== undefined || e.fails !== undefined || e.result !== undefined, {
    message: 'say at least one of score, fails or result',
  });
export type FixtureExpect = z.infer<typeof fixtureExpectSchema>;

export interface Fixture {
  task: string;
  name: string;
  dir: string;
  /** The submission entry: `submission/`, `submission.c`, `submission.zip`, ... */
  submission: string;
  expectFile: string;
}

export function listFixtures(fixturesDir: string, taskId: string): Fixture[] {
  const root = path.join(fixturesDir, taskId);
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => statSync(path.join(root, name)).isDirectory())
    .sort()
    .map((name) => {
      const dir = path.join(root, name);
      const entry = readdirSync(dir).find((f) => f === 'submission' || f.startsWith('submission.'));
      return { task: taskId, name, dir, submission: path.join(dir, entry ?? 'submission'), expectFile: path.join(dir, 'expect.yaml') };
    });
}

/** expect.yaml as `sockgrade check` reads it: every problem with its position, test ids checked against the task's. */
export function readFixtureExpect(file: string, knownTests: string[] | null): { expect: FixtureExpect | null; problems: Problem[] } {
  const y = YamlFile.read(file);
  const data = y.ok ? y.validate(fixtureExpectSchema, y.data()) : null;
  if (data && knownTests) {
    for (const key of ['fails', 'may_fail'] as const) {
      (data[key] ?? []).forEach((id, i) => {
        if (!knownTests.includes(id)) y.problem([key, i], `${key}: the task has no test '${id}'; check its spelling against the task's test ids`);
        else if (key === 'may_fail' && data.fails?.includes(id)) y.problem([key, i], `may_fail: '${id}' is also in fails; keep it in one of them`);
      });
    }
  }
  return { expect: y.problems.length ? null : data, problems: y.problems };
}

/** expect.yaml, or a TaskError listing what is wrong with it. */
export function loadFixtureExpect(file: string, knownTests: string[] | null = null): FixtureExpect {
  const read = readFixtureExpect(file, knownTests);
  if (!read.expect) throw new TaskError(read.problems);
  return read.expect;
}

/** Declared to pass everything: such fixtures prove the tests can be passed, and measure the limits' margins. */
export function isCorrectFixture(expect: FixtureExpect): boolean {
  return expect.score === 100 || expect.result === 'success';
}

/** One way a report differs from its expect.yaml: the key it is about (null: none in particular), and the line that says it. */
export interface ExpectDifference {
  key: keyof FixtureExpect | null;
  message: string;
}

/** Every way the report differs from what the fixture declares; empty when it agrees. */
export function expectDifferences(report: Report, expect: FixtureExpect, knownTests: string[]): ExpectDifference[] {
  const diffs: ExpectDifference[] = [];
  const failing = report.tests.filter((t) => !t.passed).map((t) => t.id);
  if (expect.score !== undefined && report.score !== expect.score) {
    diffs.push({ key: 'score', message: `score ${report.score}, expected ${expect.score}` });
  }
  if (expect.result !== undefined && report.result !== expect.result) {
    diffs.push({ key: 'result', message: `result ${report.result}, expected ${expect.result}` });
  }
  for (const id of [...(expect.fails ?? []), ...expect.may_fail]) {
    if (!knownTests.includes(id)) diffs.push({ key: null, message: `expect.yaml names test '${id}', which the task does not have` });
  }
  if (expect.fails !== undefined) {
    const mustFail = new Set(expect.fails);
    const mayFail = new Set(expect.may_fail);
    const passedButMustFail = expect.fails.filter((id) => report.tests.some((t) => t.id === id && t.passed));
    const failedButMustPass = failing.filter((id) => !mustFail.has(id) && !mayFail.has(id));
    if (passedButMustFail.length) diffs.push({ key: 'fails', message: `passed ${passedButMustFail.join(', ')}, which it must fail` });
    if (failedButMustPass.length) diffs.push({ key: 'fails', message: `failed ${failedButMustPass.join(', ')}, which it must pass` });
  }
  const wanted = expect.feedback_contains === undefined ? [] : [expect.feedback_contains].flat();
  // A submission that cannot build or run says so once, in build.output.
  const feedback = [...report.tests.filter((t) => !t.passed).map((t) => t.feedback), ...(report.build.ok ? [] : [report.build.output])].join('\n');
  for (const text of wanted) {
    if (!feedback.includes(text)) diffs.push({ key: 'feedback_contains', message: `no failing test's feedback contains "${text}"` });
  }
  if (report.result === 'error' && expect.result !== 'error') diffs.push({ key: null, message: `grader error: ${report.error ?? 'see the tests'}` });
  return diffs;
}

/** expectDifferences, as the lines that say them. */
export function compareWithExpect(report: Report, expect: FixtureExpect, knownTests: string[]): string[] {
  return expectDifferences(report, expect, knownTests).map((d) => d.message);
}
