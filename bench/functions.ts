// The function-task figure: each sockets-* task grades its correct sample
// whole in 0.25 s or less, beside gcc alone building the student's file as
// the task does (a shared library with the prelude).
import path from 'node:path';
import { listTaskIds, loadTask } from '../grader/task/load.js';
import { packageRoot } from '../runner/paths.js';
import { floorsBesideTarget, gradeRuns } from './grade-runs.js';
import type { Section } from './bench.js';
import { cpu, median, medMin, ratio, secs } from './stats.js';

// 9: each is ~0.2 s, and a median of 5 moved by 10-20% from one run of the bench to the next.
const RUNS = 9;
const TARGET_S = 0.25;

export async function benchFunctions(): Promise<Section> {
  const tasksDir = path.join(packageRoot, 'tasks');
  const lines: [string, string][] = [];
  for (const id of listTaskIds(tasksDir)) {
    const task = loadTask(path.join(tasksDir, id));
    if (!task.function) continue;
    const source = path.join(packageRoot, 'fixtures', id, 'correct', 'submission.c');
    const gcc = ['-O2', '-Wall', '-fPIC', '-shared', '-Wl,--no-undefined', '-U_FORTIFY_SOURCE', '-include', task.function.preludePath, source];
    const r = await gradeRuns(id, source, gcc, RUNS, { score: 100, tests: task.tests.length });
    const g = median(r.wall);
    lines.push([
      id,
      `${medMin(r.wall)} = ${ratio(g, median(r.floors.gcc))} gcc (${secs(median(r.floors.gcc))}), ${ratio(g, median(r.floors.node))} node -e 0 (${secs(median(r.floors.node))}); ` +
        `CPU ${cpu(median(r.cpu))}; ${task.tests.length} tests ${secs(median(r.reports.map((x) => x.timing.tests_ms / 1000)))}`,
    ]);
    lines.push(['  floors in series', floorsBesideTarget(r, TARGET_S)]);
  }
  return {
    title: `functions: grade each sockets-* task's fixtures/<task>/correct/submission.c, ${RUNS} runs each (target: ${secs(TARGET_S)} each)`,
    lines,
  };
}
