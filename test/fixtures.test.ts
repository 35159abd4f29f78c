// Every fixture of every task, graded for real in the sandbox, must get the
// outcome its expect.yaml declares.
import { describe, expect, it } from 'vitest';
import { compareWithExpect, listFixtures, loadFixtureExpect } from '../grader/fixtures.js';
import { listTaskIds } from '../grader/task/load.js';
import { FIXTURES, TASKS, grade, summary, task } from './helpers.js';

for (const taskId of listTaskIds(TASKS)) {
  describe(`fixtures of ${taskId}`, () => {
    for (const f of listFixtures(FIXTURES, taskId)) {
      it(`${f.name} gets its declared outcome`, async () => {
        const declared = loadFixtureExpect(f.expectFile);
        const report = await grade(taskId, f.submission);
        const diffs = compareWithExpect(report, declared, task(taskId).tests.map((t) => t.id));
        expect(diffs, summary(report)).toEqual([]);
      });
    }
  });
}
