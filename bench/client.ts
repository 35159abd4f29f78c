// Issue 3's speed target: a correct calculator client graded whole in under
// 3 s, most of it the one deliberate no-answer test (the client's own 2 s).
import path from 'node:path';
import { gradeSubmission } from '../grader/grade.js';
import { loadTask } from '../grader/task/load.js';
import { packageRoot } from '../runner/paths.js';
import { median } from './stats.js';

const RUNS = 5;

export async function benchClient(): Promise<Record<string, number>> {
  const task = loadTask(path.join(packageRoot, 'tasks', 'calculator-client'));
  const submission = path.join(packageRoot, 'fixtures', 'calculator-client', 'correct-c', 'submission');
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await gradeSubmission(task, submission, { seed: 1, sandbox: 'bwrap' });
    if (r.score !== 100) throw new Error(`bench: the correct client scored ${r.score}`);
    runs.push(r);
  }
  const noAnswer = runs.map((r) => r.tests.find((t) => t.id === 'no-answer')?.duration_ms ?? 0);
  return {
    'whole grade, median ms': median(runs.map((r) => r.duration_ms)),
    '  build ms': median(runs.map((r) => r.timing.build_ms)),
    [`  tests ms (${runs[0]!.tests.length} tests)`]: median(runs.map((r) => r.timing.tests_ms)),
    '  of which no-answer ms': median(noAnswer),
  };
}
