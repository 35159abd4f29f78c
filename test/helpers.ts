// Shared by the tests: grade real submissions with the real sandbox.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gradeSubmission } from '../grader/grade.js';
import type { Report } from '../grader/report/model.js';
import { loadTask, type Task } from '../grader/task/load.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TASKS = path.join(ROOT, 'tasks');
export const FIXTURES = path.join(ROOT, 'fixtures');

const tasks = new Map<string, Task>();
export function task(id: string): Task {
  let t = tasks.get(id);
  if (!t) {
    t = loadTask(path.join(TASKS, id));
    tasks.set(id, t);
  }
  return t;
}

export function fixture(taskId: string, name: string): string {
  return path.join(FIXTURES, taskId, name, 'submission');
}

export function grade(taskId: string, submission: string, testIds?: string[]): Promise<Report> {
  return gradeSubmission(task(taskId), submission, { seed: 1, sandbox: 'bwrap', ...(testIds ? { testIds } : {}) });
}

/** One line per failing test, for assertion messages. */
export function summary(r: Report): string {
  return `${r.result} ${r.score}\n${r.tests.filter((t) => !t.passed).map((t) => `  ${t.id} [${t.result}] ${t.feedback}`).join('\n')}\n${r.build.ok ? '' : r.build.output}`;
}
