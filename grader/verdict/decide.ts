// Where a test's verdict is decided: the one entry point. What the grader
// itself failed at is judged here, for every kind of task; the rest is the
// task's kind's (grader/kinds/program/verdict.ts, grader/kinds/function/verdict.ts).
import type { TestObservation } from '../../runner/types.js';
import { kindOf } from '../kinds/index.js';
import type { StepContext } from '../model/step-context.js';
import type { Task, TestSpec } from '../model/task.js';
import type { TestVerdict } from './primitives.js';

export function decideVerdict(task: Task, test: TestSpec, obs: TestObservation, contexts: StepContext[]): TestVerdict {
  if (obs.internalError) return { result: 'error', feedback: `the grader failed on this test (not your fault): ${obs.internalError}` };
  if (obs.process.leftover) return { result: 'error', feedback: 'the grader could not clean up the program\'s processes (not your fault)' };
  return kindOf(task).decideVerdict(task, test, obs, contexts);
}
