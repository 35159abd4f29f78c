// A batch as a teaching assistant at a terminal sees it: who is being graded
// now and for how long, an ETA from the recent pace, and Ctrl-C that stops
// cleanly (what was graded is written, the lock is released, a rerun resumes).
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { RecentRate } from '../grader/batch/progress.js';
import { BIN, ROOT, fixture, runCli, tempDir } from './helpers.js';

function students(kinds: string[]): { dir: string; out: string; ids: string[] } {
  const base = tempDir();
  const dir = path.join(base, 'submissions');
  mkdirSync(dir);
  const ids = kinds.map((kind, i) => {
    const id = `s${i}`;
    cpSync(fixture('calculator-server', kind), path.join(dir, id), { recursive: true });
    return id;
  });
  return { dir, out: path.join(base, 'grades'), ids };
}

function gradebookIds(out: string): string[] {
  return readFileSync(path.join(out, 'grades.csv'), 'utf8').trim().split(/\r?\n/).slice(1).map((l) => l.split(',')[0]!);
}

describe('sockgrade batch and Ctrl-C', () => {
  it('on SIGINT writes the gradebook of what was graded, releases the lock, exits 130; the rerun grades only the rest', async () => {
    // The slow one (an endless loop runs into its limits) keeps the batch busy when the signal comes.
    const { dir, out, ids } = students(['correct-c-plain', 'endless-loop', 'correct-c-plain', 'correct-c-plain']);
    const run = runCli(['batch', 'calculator-server', dir, '--out', out, '--jobs', '2']);
    // The first graded line on stderr is the event to interrupt at.
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      run.stderr!.on('data', (d: Buffer) => {
        seen += d.toString();
        if (/^\[1\/4\] /m.test(seen)) resolve();
      });
      run.then(() => reject(new Error(`the batch ended before a student was graded: ${seen}`)), reject);
    });
    process.kill(run.pid!, 'SIGINT');
    const stopped = await run;
    expect(stopped.exitCode, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/^stopping: /m);
    expect(stopped.stdout).toMatch(/interrupted: \d student\(s\) left to grade; run the same command again to resume/);
    const graded = gradebookIds(out);
    expect(graded.length).toBeGreaterThanOrEqual(1);
    expect(graded.length).toBeLessThan(ids.length);
    expect(existsSync(path.join(out, 'summary.html'))).toBe(true);
    expect(existsSync(path.join(out, 'batch.lock'))).toBe(false);

    const rerun = await runCli(['batch', 'calculator-server', dir, '--out', out, '--jobs', '2']);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain(`4 student(s): ${ids.length - graded.length} graded now, ${graded.length} already graded`);
    expect(gradebookIds(out)).toEqual(ids);
  });

  it('on a terminal shows each student being graded with how long it has run, and the ETA', async () => {
    const { dir, out } = students(['correct-c-plain', 'correct-python']);
    // `script` gives the batch a real terminal (a pseudo-terminal) as stdout and stderr.
    const command = [process.execPath, BIN, 'batch', 'calculator-server', dir, '--out', out, '--jobs', '2'].map((a) => `'${a}'`).join(' ');
    const r = await execa('script', ['-qfec', command, '/dev/null'], { reject: false, cwd: ROOT });
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/grading: s\d \d+s/);
    expect(r.stdout).toMatch(/\] 2\/2 \| [\d.]+\/s \| ETA 0s \| not passing 0 \| errors 0/);
    expect(r.stdout).toMatch(/2 student\(s\): 2 graded now/);
  });

  it('takes the ETA from the recent pace: a stall makes it grow', () => {
    const rate = new RecentRate(0);
    for (let i = 1; i <= 10; i++) rate.ended(i * 1000); // one a second
    const counts = { done: 10, total: 20, gradedNow: 10, notPassing: 0, errors: 0 };
    expect(rate.eta(counts, 10_000)).toBe('10s');
    expect(rate.eta(counts, 30_000)).toBe('30s'); // 20 s without an end: the pace has dropped to a third
  });
});
