// The user backend (--sandbox user: the program as a separate user on this
// machine, under sg-remote) must give the verdicts bwrap gives. A function
// task's harness and the faults shim need their report channel (fds 5-7) and
// their LD_PRELOAD, which sg-remote used to withhold: every function task then
// failed with "the program ended before ... was called".
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWithExpect, listFixtures, loadFixtureExpect } from '../grader/fixtures.js';
import { gradeSubmission } from '../grader/grade.js';
import { FIXTURES, summary, task } from './helpers.js';

/** Fixtures whose verdicts rest on the harness, injected faults, or the shim's record of the socket calls. */
const GRADED: [string, string][] = [
  ['sockets-sending-strings', 'correct'],
  ['sockets-sending-strings', 'no-error-check'],
  ['sockets-client-application', 'leaks-socket-on-failure'],
  ['sockets-creating-a-socket', 'correct'],
];

/** A uid of this file's own: test/platforms.test.ts checks that nothing of 64999's outlives its grade, and may run beside this file. */
const UID = '64998';

// Only root can run the program as another user.
describe.skipIf(process.getuid?.() !== 0)('the user backend', () => {
  const before = process.env.SOCKGRADE_STUDENT_UID;
  beforeAll(() => void (process.env.SOCKGRADE_STUDENT_UID = UID));
  afterAll(() => {
    if (before === undefined) delete process.env.SOCKGRADE_STUDENT_UID;
    else process.env.SOCKGRADE_STUDENT_UID = before;
  });

  for (const [taskId, name] of GRADED) {
    it(`gives ${taskId}/${name} its declared outcome`, async () => {
      const f = listFixtures(FIXTURES, taskId).find((x) => x.name === name);
      expect(f, `${taskId}/${name}`).toBeDefined();
      const report = await gradeSubmission(task(taskId), f!.submission, { seed: 1, sandbox: 'user' });
      expect(report.sandbox).toBe('user');
      const diffs = compareWithExpect(report, loadFixtureExpect(f!.expectFile), task(taskId).tests.map((t) => t.id));
      expect(diffs, summary(report)).toEqual([]);
      expect(spawnSync('ps', ['-o', 'pid=,args=', '-u', UID], { encoding: 'utf8' }).stdout.trim(), 'left running').toBe('');
    });
  }
});
