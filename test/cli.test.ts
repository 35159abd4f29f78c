// The command line as users and their scripts see it: exit statuses, one-line
// errors without stack traces, the JSON report's shape.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { compileNative } from '../runner/sandbox/native.js';
import { launcherSource } from '../runner/job/run-job.js';
import { BIN, ROOT, TASKS, fixture, tempDir, runCli } from './helpers.js';

function sockgrade(args: string[], opts: { env?: Record<string, string>; asUser?: number } = {}) {
  if (opts.asUser === undefined) return runCli(args, opts.env ? { env: opts.env, extendEnv: false } : {});
  const id = String(opts.asUser);
  return execa('setpriv', ['--reuid', id, '--regid', id, '--clear-groups', '--', process.execPath, BIN, ...args], { reject: false, cwd: ROOT });
}

function noStackTrace(text: string): void {
  expect(text).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m);
}

const correct = fixture('calculator-server', 'correct-python');

describe('sockgrade grade', () => {
  it('grades a submission and prints the contract JSON report (exit 0)', async () => {
    const r = await sockgrade(['grade', 'calculator-server', correct, '--format', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ schema: 'sockgrade.report/v1', task: 'calculator-server', result: 'success', score: 100, build: { ok: true } });
    expect(report.tests.length).toBeGreaterThanOrEqual(20);
    for (const t of report.tests) {
      expect(Object.keys(t)).toEqual(expect.arrayContaining(['id', 'name', 'tags', 'weight', 'passed', 'result', 'feedback', 'duration_ms']));
    }
  });

  it('prints a plain text report, without colours, when not on a terminal', async () => {
    const r = await sockgrade(['grade', 'calculator-server', fixture('calculator-server', 'host-byte-order')]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/FAIL\s+sum-int/);
    expect(r.stdout).toMatch(/byte order/);
    expect(r.stdout).toMatch(/^score: \d/m);
    expect(r.stdout).not.toContain('\x1b[');
  });

  it('says in one line, exit 2, that a task is unknown', async () => {
    const r = await sockgrade(['grade', 'no-such-task', correct]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown task 'no-such-task'.*known tasks: .*calculator-server/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('says in one line, exit 2, that a submission is missing', async () => {
    const r = await sockgrade(['grade', 'calculator-server', '/nonexistent/work']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe('sockgrade: submission not found: /nonexistent/work');
  });

  it('reports every problem of a broken task.yaml with file:line:col, exit 2, no stack trace', async () => {
    const dir = tempDir('sockgrade-task-');
    cpSync(path.join(TASKS, 'calculator-server'), dir, { recursive: true });
    const yaml = readFileSync(path.join(dir, 'task.yaml'), 'utf8')
      .replace('port: 10000', 'port: ten-thousand')
      .replace('protocol: calculator', 'protocol: calculator\nretries: 3');
    writeFileSync(path.join(dir, 'task.yaml'), yaml);
    const r = await sockgrade(['grade', dir, correct]);
    expect(r.exitCode).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines.some((l) => /task\.yaml:\d+:\d+: port: /.test(l))).toBe(true);
    expect(lines.some((l) => /task\.yaml:\d+:1: unknown key 'retries'/.test(l))).toBe(true);
    noStackTrace(r.stderr);
  });

  it('exits 3 with the fix in one line when the machine has no sandbox', async () => {
    const r = await sockgrade(['grade', 'calculator-server', correct], { env: { PATH: '/nonexistent' } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/bwrap.*not found.*apt-get install .*bubblewrap/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.runIf(process.getuid?.() === 0)('grades as an ordinary user too, through user namespaces', async () => {
    await compileNative(launcherSource(), 'exe'); // built by root: the user cannot write dist/
    const r = await sockgrade(['grade', 'calculator-server', correct, '--format', 'json'], { asUser: 65534 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ result: 'success', score: 100 });
  });
});

describe('sockgrade tasks', () => {
  it('lists the bundled tasks', async () => {
    const r = await sockgrade(['tasks']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^calculator-server\s+server\s+\d+ tests/m);
  });
});
