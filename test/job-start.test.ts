// How a grade's job starts, in one file so that its tests run one after
// another: the bundle tests make the job's bundle stale for a moment, and the
// job started ahead is taken only while the CLI would start the same command
// line (the same bundle).
//
// The CLI and the grading job run from bundles (runner/bundle.ts, made by
// `npm test` after tsc), each only while it is as new as every compiled file
// it was made from: a compiled change must never leave old code running.
//
// `sockgrade grade`'s job is started before the CLI loads, by the shell line
// of bin/sockgrade.js through the reaper, or else by bin/sockgrade.js
// (runner/job/job-command.ts): the CLI takes that process only when it would
// start the very same command line itself, and kills it otherwise.
import { spawn } from 'node:child_process';
import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleRecord, freshBundle, type BundleRecordData } from '../runner/bundles.js';
import { adoptJobAhead, exited, startJobAhead } from '../runner/job/job-command.js';
import { jobCommand } from '../runner/job/job-process.js';
import { runJob } from '../runner/job/run-job.js';
import { procStat } from '../runner/proc-stat.js';
import { compileJobAddon } from '../runner/sandbox/native.js';
import type { JobPlan } from '../runner/types.js';
import { BIN, ROOT, runCli, sockgrade, tempDir } from './helpers.js';

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

const GRADE = ['grade', 'sockets-creating-a-socket', 'fixtures/sockets-creating-a-socket/correct/submission.c'];

/**
 * What a CLI started by `sg-reaper --ahead-of-cli` (the shell line's way) finds:
 * a Node process the reaper became, which adopts the job it forked and offers
 * it the command line the CLI composes (`other`: with another grading pid);
 * a job it takes it reaps through the job's addon, as a grade does (`reaped`:
 * gone from /proc, its CPU time counted in the CLI's children).
 */
async function adoptedByCli(other: boolean): Promise<{ adopted: boolean; startedBy?: string; taken: boolean; exit: number | null; signal: string | null; left: string | null; reaped: boolean }> {
  const argv = await jobCommand(true);
  const addon = await compileJobAddon();
  const dist = (f: string) => pathToFileURL(path.join(ROOT, 'dist', 'runner', 'job', f)).href;
  const script = `
    const { adoptJobAhead, exited } = await import(${JSON.stringify(dist('job-command.js'))});
    const { jobCommand } = await import(${JSON.stringify(dist('job-process.js'))});
    const ahead = adoptJobAhead();
    const left = process.env.SOCKGRADE_JOB_AHEAD ?? process.env.SOCKGRADE_JOB_AHEAD_ARGV ?? null;
    let argv = await jobCommand(true);
    if (${other}) argv = argv.map((a, i) => (argv[i - 1] === '--grading-process' ? '1' : a));
    const child = ahead ? await ahead.take(argv) : null;
    if (child) {
      const module = { exports: {} };
      process.dlopen(module, ${JSON.stringify(addon)});
      child.reapWith((pid) => module.exports.reap(pid));
      // No spec: the job ends at its stdin's end; its output read as the CLI reads it.
      child.stdout.resume(); child.stderr.resume(); child.stdin.end(); await exited(child);
    }
    const gone = ahead?.child;
    const { existsSync } = await import('node:fs');
    const reaped = gone?.pid !== undefined && !existsSync('/proc/' + gone.pid);
    console.log(JSON.stringify({ adopted: !!ahead, startedBy: ahead?.startedBy, taken: !!child, exit: gone?.exitCode ?? null, signal: gone?.signalCode ?? null, left, reaped }));
  `;
  const entry = argv[argv.indexOf('--') + 2]!;
  const r = await execa(argv[0]!, ['--ahead-of-cli', entry, '--', 'node', '--input-type=module', '-e', script], { reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('the job started before the CLI loads', () => {
  it('is the job the CLI would start with bwrap, and is taken as it is', async () => {
    const argv = await jobCommand(true); // builds the reaper where this install keeps its helpers, when not yet built
    const ahead = startJobAhead(GRADE);
    expect(ahead, 'once a reaper is built, one is started').not.toBeNull();
    const child = await ahead!.take(argv);
    expect(child, 'the same command line as the CLI composes').not.toBeNull();
    expect(child!.exitCode).toBeNull();
    child!.stdin.end(); // no spec: the job ends at its stdin's end
    await exited(child!);
    expect(child!.exitCode).toBe(0);
  });

  it('is killed, not taken, when the CLI would start another command line', async () => {
    const ahead = startJobAhead(GRADE)!;
    const argv = await jobCommand(true);
    const other = argv.map((a, i) => (argv[i - 1] === '--grading-process' ? '1' : a)); // another grading process
    expect(await ahead.take(other)).toBeNull();
    // Gone by the time take() returns: killed by its pid, its namespace with it.
    expect(ahead.child.signalCode ?? ahead.child.exitCode).not.toBeNull();
    expect(await ahead.take(await jobCommand(true)), 'once settled, never taken').toBeNull();
  });

  it('started by the shell line through the reaper, before any Node, is the same job and is taken', async () => {
    const seen = await adoptedByCli(false);
    expect(seen).toEqual({ adopted: true, startedBy: 'shell line', taken: true, exit: 0, signal: null, left: null, reaped: true });
  });

  it('started by the shell line, is killed, not taken, when the CLI would start another command line', async () => {
    const seen = await adoptedByCli(true);
    // Killed before any grade had it: its status read from /proc, left to be reaped when the CLI ends.
    expect(seen).toMatchObject({ adopted: true, taken: false, exit: null, signal: 'SIGKILL', reaped: false });
  });

  it('named by variables in the environment but not a child of the CLI, is neither taken nor killed', async () => {
    // A process that is not ours (the child of a shell we started), named as if it were the job.
    const sh = spawn('/bin/sh', ['-c', 'sleep 60 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const pid = Number(await new Promise<string>((resolve) => sh.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
    try {
      process.env.SOCKGRADE_JOB_AHEAD = `${pid} 3 4 5`;
      process.env.SOCKGRADE_JOB_AHEAD_ARGV = (await jobCommand(true)).join('\n');
      expect(adoptJobAhead()).toBeNull();
      expect(process.env.SOCKGRADE_JOB_AHEAD, 'the variables go, whatever they said').toBeUndefined();
      expect(procStat(pid)?.state, 'left alone').not.toBe('Z');
    } finally {
      sh.kill('SIGKILL');
      process.kill(pid, 'SIGKILL'); // the sleep this test started, by its pid
    }
  });

  it('is not started for another command, for --help, or for a sandbox other than bwrap', () => {
    const env = process.env.SOCKGRADE_SANDBOX;
    delete process.env.SOCKGRADE_SANDBOX;
    try {
      expect(startJobAhead(['tasks'])).toBeNull();
      expect(startJobAhead(['batch', 'calculator-server', 'subs'])).toBeNull();
      expect(startJobAhead([...GRADE, '--help'])).toBeNull();
      expect(startJobAhead([...GRADE, '--sandbox', 'user'])).toBeNull();
      expect(startJobAhead([...GRADE, '--sandbox=none'])).toBeNull();
      expect(startJobAhead([...GRADE, '--sandbox', 'user', '--sandbox', 'none'])).toBeNull();
      process.env.SOCKGRADE_SANDBOX = 'user';
      expect(startJobAhead(GRADE)).toBeNull();
    } finally {
      if (env === undefined) delete process.env.SOCKGRADE_SANDBOX;
      else process.env.SOCKGRADE_SANDBOX = env;
    }
  });

  it('a grade through the command takes it or starts its own, with the same report', async () => {
    // bwrap: taken; bwrap named twice, the last one counting: taken; 'user,bwrap' (probed): not started ahead.
    const reports = [];
    for (const extra of [[], ['--sandbox', 'user', '--sandbox', 'bwrap'], ['--sandbox', 'bwrap,user']]) {
      const r = await sockgrade([...GRADE, '--format', 'json', '--seed', '1', ...extra]);
      expect(r.exitCode, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { score: number; tests: { id: string; passed: boolean }[] };
      reports.push({ score: report.score, tests: report.tests.map((t) => [t.id, t.passed]) });
    }
    expect(reports[0]!.score).toBe(100);
    expect(reports[1]).toEqual(reports[0]);
    expect(reports[2]).toEqual(reports[0]);
  });

  it('a grade run as a command (its shell line), also through a link as npm installs it, takes the job the reaper started, with the same report', async () => {
    // The shell line starts the job through dist/native/reaper, the link the install makes where it
    // built its helpers; without it (helpers in a cache) bin/sockgrade.js starts the job as before.
    const linked = existsSync(path.join(ROOT, 'dist', 'native', 'reaper'));
    // As npm, npx and a global install run it: a link to bin/sockgrade.js in another folder.
    const npmBin = path.join(tempDir(), 'sockgrade');
    symlinkSync(BIN, npmBin);
    const asCommand = (file: string) => () => execa(file, [...GRADE, '--format', 'json', '--seed', '1'], { reject: false, cwd: ROOT, env: { SOCKGRADE_LOG: 'debug' } });
    const reports = [];
    const ahead = [];
    for (const run of [asCommand(BIN), asCommand(npmBin), () => sockgrade([...GRADE, '--format', 'json', '--seed', '1'])]) {
      const r = await run();
      expect(r.exitCode, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { score: number; tests: { id: string; passed: boolean }[] };
      reports.push({ score: report.score, tests: report.tests.map((t) => [t.id, t.passed]) });
      ahead.push(...r.stderr.split('\n').filter((l) => l.includes('the job started before the CLI loaded')).map((l) => JSON.parse(l) as { startedBy: string; taken: boolean }));
    }
    expect(reports[1]).toEqual(reports[0]);
    expect(reports[2]).toEqual(reports[0]);
    const expected = { startedBy: linked ? 'shell line' : 'bin/sockgrade.js', taken: true };
    expect(ahead).toEqual([expected, expected].map((a) => expect.objectContaining(a)));
  });
});
