// Every fixture of every task, graded for real in the sandbox, must get the
// outcome its expect.yaml declares; graded as a batch grades, one job process
// serving grade after grade (JobKeeper), so the verdicts a batch gives are
// the ones checked here (sockgrade grade's, one job per grade, are checked by
// the other test files).
import { afterAll, describe, expect, it } from 'vitest';
import { compareWithExpect, listFixtures, loadFixtureExpect } from '../grader/fixtures.js';
import { gradeSubmission } from '../grader/grade.js';
import { listTaskIds } from '../grader/task/load.js';
import { JobKeeper } from '../runner/job/job-process.js';
import { FIXTURES, TASKS, summary, task } from './helpers.js';

const jobs = new JobKeeper();
afterAll(() => jobs.close());

for (const taskId of listTaskIds(TASKS)) {
  describe(`fixtures of ${taskId}`, () => {
    for (const f of listFixtures(FIXTURES, taskId)) {
      it(`${f.name} gets its declared outcome`, async () => {
        const declared = loadFixtureExpect(f.expectFile);
        const report = await gradeSubmission(task(taskId), f.submission, { seed: 1, sandbox: 'bwrap', jobs });
        const diffs = compareWithExpect(report, declared, task(taskId).tests.map((t) => t.id));
        expect(diffs, summary(report)).toEqual([]);
      });
    }
  });
}
