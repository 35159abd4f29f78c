// Stress check for leftovers: N grades in one batch process (this one), and
// what the process holds before and after: open file descriptors, descendant
// processes, the namespaces they hold, scratch folders. Anything more after
// than before is a leak, and the script exits 1 naming it.
//
//   npm run leftovers -- --count 1000 [--jobs 2]      (CI: --count 30)
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runBatch, type BatchOptions } from '../grader/batch/run.js';
import { loadTask } from '../grader/task/load.js';
import { packageRoot } from '../runner/paths.js';
import { census, openFds, type Census } from './census.js';

/** A small correct server that needs no build: the grading machinery, not gcc, is what is stressed. */
const FIXTURE = path.join(packageRoot, 'fixtures', 'calculator-server', 'correct-python', 'submission');

function classOf(dir: string, count: number): void {
  mkdirSync(dir);
  for (let i = 0; i < count; i++) cpSync(FIXTURE, path.join(dir, `s${String(i).padStart(4, '0')}`), { recursive: true });
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { count: { type: 'string', default: '1000' }, jobs: { type: 'string', default: '2' } } });
  const count = Number(values.count);
  const jobs = Number(values.jobs);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(jobs) || jobs < 1) {
    process.stderr.write('leftovers: --count and --jobs take a positive whole number\n');
    return 2;
  }
  const base = mkdtempSync(path.join(os.tmpdir(), 'sockgrade-leftovers-'));
  try {
    const task = loadTask(path.join(packageRoot, 'tasks', 'calculator-server'));
    const opts = (dir: string, out: string): BatchOptions => ({
      task, dir, out, jobs, regrade: false, seed: 1, sandbox: 'bwrap', showAll: false, progress: 'silent',
    });
    // One grade first: what a process opens once (the logger, the compiled launcher) is not a leak.
    classOf(path.join(base, 'warm-up'), 1);
    await runBatch(opts(path.join(base, 'warm-up'), path.join(base, 'warm-up-grades')));

    classOf(path.join(base, 'class'), count);
    const before = census();
    const fdsBefore = openFds();
    const rssBefore = process.memoryUsage().rss;
    // The peak while grading shows that the counts see what a grade holds (they are not zero by construction).
    const peak: Census = { ...before };
    const sampler = setInterval(() => {
      const now = census();
      for (const k of Object.keys(peak) as (keyof Census)[]) peak[k] = Math.max(peak[k], now[k]);
    }, 250);
    const summary = await runBatch(opts(path.join(base, 'class'), path.join(base, 'grades'))).finally(() => clearInterval(sampler));
    const after = census();
    const rssAfter = process.memoryUsage().rss;

    const rows = Object.keys(before) as (keyof Census)[];
    process.stdout.write(`\nleftovers: ${summary.gradedNow} grades in one batch process at ${jobs} jobs, ${(summary.wallMs / 1000).toFixed(1)} s\n`);
    process.stdout.write(`  ${'what'.padEnd(12)}  before   after   peak while grading\n`);
    for (const k of rows) process.stdout.write(`  ${k.padEnd(12)}  ${String(before[k]).padStart(6)}  ${String(after[k]).padStart(6)}  ${String(peak[k]).padStart(6)}\n`);
    process.stdout.write(`  ${'rss MB'.padEnd(12)}  ${(rssBefore / 2 ** 20).toFixed(0).padStart(6)}  ${(rssAfter / 2 ** 20).toFixed(0).padStart(6)}   (not a leak check: the heap grows and shrinks as it likes)\n`);

    const problems: string[] = [];
    if (summary.gradedNow !== count) problems.push(`${summary.gradedNow} of ${count} graded`);
    if (summary.notPassing) problems.push(`${summary.notPassing} correct submission(s) not passing (errors: ${summary.errors}); see the reports`);
    for (const k of rows) if (after[k] > before[k]) problems.push(`${k}: ${before[k]} before, ${after[k]} after`);
    if (after.fds > before.fds) {
      const was = new Set(fdsBefore);
      problems.push(`new fds: ${openFds().filter((f) => !was.has(f)).join(', ')}`);
    }
    for (const p of problems) process.stderr.write(`leftovers: ${p}\n`);
    return problems.length ? 1 : 0;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

process.exitCode = await main();
