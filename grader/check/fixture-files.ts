// The fixture folders of a task, before anything is graded: each needs a
// submission and a valid expect.yaml whose test ids the task has. A fixture
// that fails here is reported and never graded.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { listFixtures, readFixtureExpect, type Fixture, type FixtureExpect } from '../fixtures.js';
import { formatProblem } from '../task/yaml-file.js';
import { shown } from './well-formed.js';

export interface InspectedFixture {
  fixture: Fixture;
  /** null: not gradable, see problems. */
  expect: FixtureExpect | null;
  problems: string[];
  /** Where its first problem is, else its expect.yaml (what a check of it points at). */
  location: { file: string; line: number };
}

export function inspectFixtures(fixturesRoot: string, taskId: string, knownTests: string[] | null): InspectedFixture[] {
  return listFixtures(fixturesRoot, taskId).map((fixture) => {
    const problems: string[] = [];
    const location = { file: shown(fixture.expectFile), line: 1 };
    if (!existsSync(fixture.submission)) {
      problems.push(`${shown(fixture.dir)}: no submission; add the sample as submission/ (a folder), submission.c, submission.zip...`);
    }
    if (!existsSync(fixture.expectFile)) {
      problems.push(`${shown(fixture.dir)}: no expect.yaml; add one declaring at least one of score, fails or result`);
      return { fixture, expect: null, problems, location };
    }
    const read = readFixtureExpect(fixture.expectFile, knownTests);
    problems.push(...read.problems.map(formatProblem));
    const first = read.problems[0];
    return { fixture, expect: problems.length ? null : read.expect, problems, location: first ? { file: first.file, line: first.line } : location };
  });
}

/** Folders of the fixtures root that name no task: their fixtures would never run. */
export function fixtureFoldersWithoutTask(fixturesRoot: string, taskIds: string[]): string[] {
  if (!existsSync(fixturesRoot)) return [];
  return readdirSync(fixturesRoot)
    .filter((name) => !name.startsWith('.') && !taskIds.includes(name))
    .map((name) => path.join(fixturesRoot, name))
    .filter((dir) => statSync(dir).isDirectory())
    .sort();
}
