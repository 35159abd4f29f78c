// Issue 4's speed target: each function task grades its correct sample
// submission in under 1 s whole, compiling included. Median of 3 gradings
// (wall ms, as the report counts them) per task id.
import path from 'node:path';
import { gradeSubmission } from '../grader/grade.js';
import { listTaskIds, loadTask } from '../grader/task/load.js';
import { packageRoot } from '../runner/paths.js';
import { median } from './stats.js';

const RUNS = 3;

export async function benchFunctions(): Promise<Record<string, number>> {
  const tasksDir = path.join(packageRoot, 'tasks');
  const rows: Record<string, number> = {};
  for (const id of listTaskIds(tasksDir)) {
    const task = loadTask(path.join(tasksDir, id));
    if (!task.function) continue;
    const submission = path.join(packageRoot, 'fixtures', id, 'correct', 'submission.c');
    const runs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await gradeSubmission(task, submission, { seed: 1, sandbox: 'bwrap' });
      if (r.score !== 100) throw new Error(`bench: the correct submission of ${id} scored ${r.score} (${r.result})`);
      runs.push(r.duration_ms);
    }
    rows[id] = median(runs);
  }
  return rows;
}
