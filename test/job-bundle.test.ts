// The grading job starts from one bundled file (runner/job/bundle-job.ts,
// run by `npm test` after tsc), and from its entry module whenever the
// bundle is older than a file it was made from: a compiled change must never
// leave an old job running.
import { chmodSync, mkdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JOB_BUNDLE, JOB_BUNDLE_INPUTS, jobCommand, jobEntry } from '../runner/job/job-process.js';
import { runJob } from '../runner/job/run-job.js';
import type { JobPlan } from '../runner/types.js';
import { ROOT, tempDir } from './helpers.js';

/** One test of a shell program, graded by a real job: what it printed. */
async function echoThroughJob(): Promise<string> {
  const base = tempDir();
  chmodSync(base, 0o711);
  const workDir = path.join(base, 'work');
  mkdirSync(workDir);
  const limits = { cpuSeconds: 2, wallSeconds: 10, memoryMb: 256, processes: 16, fileSizeMb: 1, openFiles: 64, outputKb: 16 };
  const plan: JobPlan = {
    sandbox: 'bwrap', workDir, build: null,
    tests: [{ id: 'echo', port: 10000, occupy: [], listen: false, program: { argv: ['/bin/sh', '-c', 'echo graded'], limits }, ready: 'none', readyTimeoutMs: 2000, steps: [], end: 'exit', exitTimeoutMs: 5000 }],
  };
  const events = await runJob(plan, { deadlineMs: 60_000 });
  const test = events.find((e) => e.type === 'test');
  return test?.type === 'test' ? test.test.process.stdout : '';
}

describe('the grading job as one file', () => {
  it('starts from the bundle while it is as new as every file it was made from, else from start.js, and grades either way', async () => {
    expect(jobEntry(), 'npm test bundles the job after tsc').toBe(JOB_BUNDLE);
    expect((await jobCommand(true)).includes(JOB_BUNDLE)).toBe(true);
    const { inputs } = JSON.parse(readFileSync(JOB_BUNDLE_INPUTS, 'utf8')) as { inputs: string[] };
    expect(inputs).toContain('dist/runner/job/main.js');
    expect(inputs).toContain('dist/runner/process.js');
    expect(await echoThroughJob()).toBe('graded\n');

    // A module compiled after the bundle was made: the bundle is no longer the job.
    const changed = path.join(ROOT, 'dist', 'runner', 'process.js');
    const { atime, mtime } = statSync(changed);
    try {
      utimesSync(changed, atime, new Date(Date.now() + 60_000));
      expect(jobEntry()).toBe(path.join(ROOT, 'dist', 'runner', 'job', 'start.js'));
      expect(await echoThroughJob()).toBe('graded\n');
    } finally {
      utimesSync(changed, atime, mtime);
    }
    expect(jobEntry()).toBe(JOB_BUNDLE);
  });
});
