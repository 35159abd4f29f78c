// The client figure: a correct calculator client in C graded whole (target:
// 2.3 s; the protocol makes one test wait 2 s for a client that gets no
// answer, and nothing else should add to it).
import path from 'node:path';
import { loadTask } from '../grader/task/load.js';
import { packageRoot } from '../runner/paths.js';
import { gradeLines, gradeRuns } from './grade-runs.js';
import type { Section } from './bench.js';
import { median, secs } from './stats.js';

const RUNS = 5;
const NO_ANSWER_WAIT_S = 2;

export async function benchClient(): Promise<Section> {
  const source = path.join(packageRoot, 'fixtures', 'calculator-client', 'correct-c', 'submission', 'client.c');
  const r = await gradeRuns('calculator-client', source, ['-O2', '-Wall', source], RUNS, { score: 100, tests: loadTask(path.join(packageRoot, 'tasks', 'calculator-client')).tests.length });
  const beyond = r.wall.map((w) => w - NO_ANSWER_WAIT_S);
  const noAnswer = r.reports.map((x) => (x.tests.find((t) => t.id === 'no-answer')?.duration_ms ?? 0) / 1000);
  return {
    title: `client: grade calculator-client fixtures/calculator-client/correct-c/submission/client.c, ${RUNS} runs`,
    lines: [
      ...gradeLines(r, '(target: 2.3 s)', 2.3, NO_ANSWER_WAIT_S),
      ['    of which the no-answer test', `${secs(median(noAnswer))} (the protocol's own ${NO_ANSWER_WAIT_S} s wait)`],
      [`beyond the ${NO_ANSWER_WAIT_S} s wait`, `${secs(median(beyond))} (target: 0.3 s)`],
    ],
  };
}
