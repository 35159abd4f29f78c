// The fast verdict lane's one door into the grader: every import of grader
// verdict code the lane needs is here, so moving that code means editing this
// file only. A case is one recorded TestObservation with the task, test and
// seed it was graded with; the step contexts (the requests the peer sent) are
// rebuilt by planning that one test with the same seed, as grading does.
import path from 'node:path';
import { packageRoot } from '../../runner/paths.js';
import type { TestObservation } from '../../runner/types.js';
import { planJob } from '../../grader/plan.js';
import type { Task } from '../../grader/model/task.js';
import { loadTask } from '../../grader/task/load.js';
import { decideVerdict } from '../../grader/verdict/decide.js';

/** The checkout (also when the recorder runs compiled, from dist/). */
export const ROOT = packageRoot;

/** observation.json: what the grader's verdict function receives for one test. */
export interface VerdictCase {
  task: string;
  test: string;
  seed: number;
  /** Where it was recorded (fixtures/<task>/<name>), or how it was derived. */
  source: string;
  observation: TestObservation;
}

/** expected.json: the verdict the case must get. */
export interface Verdict {
  result: string;
  feedback: string;
  details?: string;
}

const tasks = new Map<string, Task>();
export function taskById(id: string): Task {
  let t = tasks.get(id);
  if (!t) {
    t = loadTask(path.join(ROOT, 'tasks', id));
    tasks.set(id, t);
  }
  return t;
}

/** The job plan of the given tests, as grading plans it (the recorder runs it). */
export function planTests(taskId: string, workDir: string, seed: number, testIds?: string[]) {
  return planJob(taskById(taskId), workDir, { seed, sandbox: 'bwrap', ...(testIds ? { testIds } : {}) });
}

export function decide(c: VerdictCase): Verdict {
  const task = taskById(c.task);
  const test = task.tests.find((t) => t.id === c.test);
  if (!test) throw new Error(`${c.source}: task ${c.task} has no test '${c.test}'; re-record the case (npm run record-verdicts)`);
  // The workDir only picks a build rule, which contexts do not depend on.
  const contexts = planTests(c.task, path.join(ROOT, 'tasks', c.task), c.seed, [c.test]).contexts.get(c.test) ?? [];
  const v = decideVerdict(task, test, c.observation, contexts);
  return { result: v.result, feedback: v.feedback, ...(v.details !== undefined ? { details: v.details } : {}) };
}

/** Upper bound of a job's run time, as grading sets it (the recorder runs jobs). */
export { jobDeadlineMs } from '../../grader/plan.js';

/**
 * A submission grading never runs (a script without #! line, no program):
 * grading reports it once, before any test, so the recorder skips it.
 */
export { programProblem } from '../../grader/startable.js';
