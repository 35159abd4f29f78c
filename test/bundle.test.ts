// The CLI and the grading job run from bundles (runner/bundle.ts, made by
// `npm test` after tsc), each only while it is as new as every compiled file
// it was made from: a compiled change must never leave old code running.
import { chmodSync, mkdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleRecord, freshBundle, type BundleRecordData } from '../runner/bundles.js';
import { jobCommand } from '../runner/job/job-process.js';
import { runJob } from '../runner/job/run-job.js';
import type { JobPlan } from '../runner/types.js';
import { ROOT, runCli, tempDir } from './helpers.js';

const DIST = path.join(ROOT, 'dist');

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

/** Runs `check` with `file`'s modification time an hour ahead, as if compiled after the bundles were made. */
async function withNewer<T>(file: string, check: () => Promise<T>): Promise<T> {
  const { atime, mtime } = statSync(file);
  try {
    utimesSync(file, atime, new Date(Date.now() + 3_600_000));
    return await check();
  } finally {
    utimesSync(file, atime, mtime);
  }
}

describe('the bundles the CLI and the grading job run from', () => {
  it('the job starts from its bundle while it is fresh, else from start.js, and grades either way', async () => {
    const bundle = freshBundle('job');
    expect(bundle, 'npm test bundles after tsc').toBe(path.join(DIST, 'bundle', 'job.js'));
    expect(await jobCommand(true)).toContain(bundle);
    const { inputs } = JSON.parse(readFileSync(bundleRecord('job'), 'utf8')) as BundleRecordData;
    expect(inputs).toContain('dist/runner/job/main.js');
    expect(inputs).toContain('dist/runner/process.js');
    expect(await echoThroughJob()).toBe('graded\n');

    await withNewer(path.join(DIST, 'runner', 'process.js'), async () => {
      expect(freshBundle('job')).toBeNull();
      expect(await jobCommand(true)).toContain(path.join(DIST, 'runner', 'job', 'start.js'));
      expect(await echoThroughJob()).toBe('graded\n');
    });
    expect(freshBundle('job')).toBe(bundle);
  });

  it('the CLI runs from its bundle while it is fresh, else from its compiled modules, with the same output', async () => {
    expect(freshBundle('cli')).toBe(path.join(DIST, 'bundle', 'cli', 'cli.cjs'));
    const { inputs } = JSON.parse(readFileSync(bundleRecord('cli'), 'utf8')) as BundleRecordData;
    expect(inputs).toContain('dist/grader/cli/main.js');
    expect(inputs).toContain('dist/grader/verdict/decide.js');
    const bundled = await runCli(['tasks']);
    expect(bundled.exitCode).toBe(0);
    // (Not a file the task cache stamps, grader/task, kinds, protocols, model or verdict: a test grading meanwhile would miss its cache.)
    const unbundled = await withNewer(path.join(DIST, 'grader', 'cli', 'main.js'), async () => {
      expect(freshBundle('cli')).toBeNull();
      return runCli(['tasks']);
    });
    expect(unbundled.exitCode).toBe(0);
    expect(unbundled.stdout).toBe(bundled.stdout);
    expect(bundled.stdout).toContain('calculator-server');
  });
});
