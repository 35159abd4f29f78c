// The first speed figure: a correct calculator-server in C graded,
// whole process from the shell, beside gcc alone on the same file (target:
// a median of 0.35 s, 4× gcc), with the same tests and verdicts.
import path from 'node:path';
import { loadTask } from '../grader/task/load.js';
import { packageRoot } from '../runner/paths.js';
import { gradeLines, gradeRuns } from './grade-runs.js';
import type { Section } from './bench.js';

const RUNS = 7;

export async function benchServer(): Promise<Section> {
  const source = path.join(packageRoot, 'fixtures', 'calculator-server', 'correct-c-plain', 'submission', 'server.c');
  // The task's own build line (tasks/calculator-server/task.yaml) is the compiler floor.
  const r = await gradeRuns('calculator-server', source, ['-O2', '-Wall', source], RUNS, { score: 100, tests: loadTask(path.join(packageRoot, 'tasks', 'calculator-server')).tests.length });
  return {
    title: `server: grade calculator-server fixtures/calculator-server/correct-c-plain/submission/server.c, ${RUNS} runs`,
    lines: gradeLines(r, '(target: 0.35 s, 4× gcc)', 0.35),
  };
}
