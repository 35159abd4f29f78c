// A grade's tests that wait out a program's own time-out run in a second job
// beside the others (runner/job/lanes.ts): the same verdicts as one job
// running every test in turn, for a correct client, a client that hangs, one
// that fails to build, and a selection of tests.
import { describe, expect, it } from 'vitest';
import { gradeSubmission } from '../grader/grade.js';
import { planJob } from '../grader/plan.js';
import type { Report } from '../grader/report/model.js';
import { lanesApply, splitTests } from '../runner/job/lanes.js';
import { fixture, task, tempDir, writeFiles } from './helpers.js';

/** What a user reads of each test: the timings left out. */
function verdicts(r: Report) {
  return {
    result: r.result,
    score: r.score,
    build: r.build.ok,
    tests: r.tests.map((t) => ({ id: t.id, result: t.result, feedback: t.feedback, details: t.details })),
    causes: r.causes,
    not_run: r.not_run?.map((t) => t.id),
  };
}

function gradeWith(taskId: string, submission: string, lanes: number, testIds?: string[]): Promise<Report> {
  return gradeSubmission(task(taskId), submission, { seed: 1, sandbox: 'bwrap', lanes, ...(testIds ? { testIds } : {}) });
}

describe('lanes', () => {
  it('give the client tests that wait out a time-out a lane of their own, and split no task without one', () => {
    const client = planJob(task('calculator-client'), '/nonexistent', { seed: 1, sandbox: 'bwrap' }).plan;
    const groups = splitTests(client.tests, 2);
    expect(groups.map((g) => g.map((t) => t.id)).at(1)).toEqual(['no-answer']);
    expect(groups.flat().length).toBe(client.tests.length);
    // Each lane keeps the plan's order.
    const order = client.tests.map((t) => t.id);
    expect(groups[0]!.map((t) => t.id)).toEqual(order.filter((id) => id !== 'no-answer'));
    expect(lanesApply(client, 2)).toBe(true);
    expect(lanesApply(client, 1)).toBe(false);
    expect(lanesApply({ ...client, sandbox: 'none' }, 2)).toBe(false);
    for (const id of ['calculator-server', 'sockets-creating-a-socket', 'sockets-client-application']) {
      expect(lanesApply(planJob(task(id), '/nonexistent', { seed: 1, sandbox: 'bwrap' }).plan, 2), id).toBe(false);
    }
  });

  it('give the verdicts of one job for a correct client and for one that hangs without an answer', async () => {
    for (const name of ['correct-c', 'hangs-without-answer']) {
      const submission = fixture('calculator-client', name);
      const [two, one] = await Promise.all([gradeWith('calculator-client', submission, 2), gradeWith('calculator-client', submission, 1)]);
      expect(verdicts(two), name).toEqual(verdicts(one));
      expect(two.tests.length, name).toBe(task('calculator-client').tests.length);
    }
  });

  it('run nothing after a build that fails, and report every test as not run', async () => {
    const dir = writeFiles(tempDir(), { 'client.c': 'int main(void) { return missing(); }\n' });
    const r = await gradeWith('calculator-client', dir, 2);
    expect(r.build.ok).toBe(false);
    expect(r.tests).toEqual([]);
    expect(r.not_run?.length).toBe(task('calculator-client').tests.length);
  });

  it('run a selection with a waiting test in two lanes, and report only the selection', async () => {
    const submission = fixture('calculator-client', 'correct-c');
    const r = await gradeWith('calculator-client', submission, 2, ['no-answer', 'sum-int']);
    expect(r.tests.map((t) => [t.id, t.result])).toEqual([['sum-int', 'success'], ['no-answer', 'success']]);
  });
});
