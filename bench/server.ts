// Issue 2's speed targets: a correct calculator-server graded whole in under
// 0.5 s on 2 cores; sandbox overhead under 20 ms per program start.
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gradeSubmission } from '../grader/grade.js';
import { loadTask } from '../grader/task/load.js';
import { runJob } from '../runner/job/run-job.js';
import { packageRoot } from '../runner/paths.js';
import type { JobPlan, SandboxKind, TestPlan } from '../runner/types.js';
import { median } from './stats.js';

const RUNS = 7;

async function gradeTimes(sandbox: SandboxKind): Promise<{ whole: number; setup: number; build: number; tests: number }> {
  const task = loadTask(path.join(packageRoot, 'tasks', 'calculator-server'));
  const submission = path.join(packageRoot, 'fixtures', 'calculator-server', 'correct-c-makefile', 'submission');
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await gradeSubmission(task, submission, { seed: 1, sandbox });
    if (r.score !== 100) throw new Error(`bench: the correct server scored ${r.score} (${sandbox})`);
    runs.push(r);
  }
  return {
    whole: median(runs.map((r) => r.duration_ms)),
    setup: median(runs.map((r) => r.timing.setup_ms)),
    build: median(runs.map((r) => r.timing.build_ms)),
    tests: median(runs.map((r) => r.timing.tests_ms)),
  };
}

/** Median wall time of one trivial program start, through the given sandbox. */
async function startCost(sandbox: SandboxKind, starts = 30): Promise<number> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'sockgrade-bench-'));
  chmodSync(base, 0o711);
  const workDir = path.join(base, 'work');
  mkdirSync(workDir);
  const limits = { cpuSeconds: 1, wallSeconds: 5, memoryMb: 64, processes: 8, fileSizeMb: 1, openFiles: 16, outputKb: 4 };
  const tests: TestPlan[] = Array.from({ length: starts }, (_, i) => ({
    id: `t${i}`, port: 10000, occupy: [], listen: false, program: { argv: ['/bin/true'], limits },
    ready: 'none', readyTimeoutMs: 1000, steps: [], end: 'exit', exitTimeoutMs: 2000,
  }));
  const plan: JobPlan = { sandbox, workDir, build: null, tests };
  try {
    const events = await runJob(plan, { deadlineMs: 60_000 });
    return median(events.flatMap((e) => (e.type === 'test' ? [e.test.durationMs] : [])));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

export async function benchServer(): Promise<Record<string, number>> {
  const sandboxed = await gradeTimes('bwrap');
  const bare = await gradeTimes('none');
  const startSandboxed = await startCost('bwrap');
  const startBare = await startCost('none');
  return {
    'whole grade, median ms': sandboxed.whole,
    '  sandbox setup ms': sandboxed.setup,
    '  build ms': sandboxed.build,
    '  tests ms (20 tests)': sandboxed.tests,
    'whole grade without sandbox, median ms': bare.whole,
    '  tests ms without sandbox': bare.tests,
    'program start in sandbox, median ms': startSandboxed,
    'program start without sandbox, median ms': startBare,
    'sandbox overhead per program start, ms': startSandboxed - startBare,
  };
}
