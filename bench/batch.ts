// Issue 5's speed target: 40 calculator-server submissions (correct and
// broken, folders and .tar.gz) graded by `batch` at 2 jobs in under 20 s on
// 2 cores. Also: how long a restart takes when everything is already graded.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { create as createTar } from 'tar';
import { runBatch, type BatchOptions } from '../grader/batch/run.js';
import { loadTask } from '../grader/task/load.js';
import { packageRoot } from '../runner/paths.js';
import { printTable } from './stats.js';

const STUDENTS = 40;
const JOBS = 2;
// Not the hostile fixtures (endless loop, fork bomb, memory hog...): each of
// those runs into its limits on purpose. One slow honest mistake is included.
const MIX = [
  'correct-c-plain', 'correct-c-makefile', 'correct-python', 'host-byte-order', 'crash-on-empty',
  'exits-after-one', 'opcode-wrong-bits', 's-set-on-errors', 'text-with-nul', 'unused-bits-not-ignored',
];
const SLOW = 'ignores-bind-failure'; // waits for a bind that never fails: ~5 s

async function makeClass(dir: string): Promise<void> {
  const fixtures = path.join(packageRoot, 'fixtures', 'calculator-server');
  const pack = mkdtempSync(path.join(os.tmpdir(), 'sockgrade-bench-pack-'));
  try {
    for (let i = 0; i < STUDENTS; i++) {
      const id = `s${String(i).padStart(3, '0')}`;
      const name = i === STUDENTS - 1 ? SLOW : MIX[i % MIX.length]!;
      const source = path.join(fixtures, name, 'submission');
      if (i % 4 === 3) {
        cpSync(source, path.join(pack, id), { recursive: true });
        await createTar({ gzip: true, file: path.join(dir, `${id}.tar.gz`), cwd: pack }, [id]);
      } else cpSync(source, path.join(dir, id), { recursive: true });
    }
  } finally {
    rmSync(pack, { recursive: true, force: true });
  }
}

export async function benchBatch(): Promise<Record<string, number>> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'sockgrade-bench-batch-'));
  try {
    const dir = path.join(base, 'submissions');
    mkdirSync(dir);
    await makeClass(dir);
    const opts: BatchOptions = {
      task: loadTask(path.join(packageRoot, 'tasks', 'calculator-server')),
      dir,
      out: path.join(base, 'grades'),
      jobs: JOBS,
      regrade: false,
      seed: 1,
      sandbox: 'bwrap',
      showAll: false,
      progress: 'silent',
    };
    const first = await runBatch(opts);
    const rows = readFileSync(path.join(opts.out, 'grades.csv'), 'utf8').trim().split('\n').length - 1;
    if (first.gradedNow !== STUDENTS || rows !== STUDENTS) throw new Error(`bench: ${first.gradedNow} graded, ${rows} rows, expected ${STUDENTS}`);
    if (first.errors) throw new Error(`bench: ${first.errors} grader error(s); see ${opts.out}`);
    const again = await runBatch(opts);
    if (again.gradedNow !== 0) throw new Error(`bench: a restart graded ${again.gradedNow} again`);
    return {
      [`${STUDENTS} submissions at ${JOBS} jobs, wall s`]: first.wallMs / 1000,
      '  submissions per s': STUDENTS / (first.wallMs / 1000),
      '  not passing': first.notPassing,
      'restart with everything graded, wall s': again.wallMs / 1000,
    };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(`batch (target: ${STUDENTS} in < 20 s at ${JOBS} jobs on 2 cores)`, await benchBatch());
}
