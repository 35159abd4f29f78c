// The INGInious recipe, in an INGInious grading container as INGInious's
// docker agent starts one, minus Docker (not on this machine): emulate.sh
// makes the container (worker uid 4242, no capability, no new user namespace,
// loopback only, sockgrade's install read-only) and the INGInious commands
// are stand-ins that take INGInious's arguments and return its codes
// (test/inginious/bin). The run file, sockgrade, the build, the programs and
// the datagrams are all real: sockgrade must find that bubblewrap cannot
// start, pick run_student, and grade right.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { launcherSource } from '../runner/job/run-job.js';
import { compileNative, compileRemoteLauncher } from '../runner/sandbox/native.js';
import { remoteOutcome } from '../runner/sandbox/remote-control.js';
import { platformFailure, shlexQuote } from '../runner/sandbox/run-student.js';
import { inginiousCalls } from '../grader/report/inginious.js';
import { viewReport } from '../grader/report/visibility.js';
import type { Limits, ProcessObservation } from '../runner/types.js';
import { ROOT, TASKS, checkoutReadableBy, fixture, grade, runCli, tempDir } from './helpers.js';

const EMULATE = path.join(ROOT, 'test', 'inginious', 'emulate.sh');
const isRoot = process.getuid?.() === 0;

interface Feedback {
  result?: string;
  grade?: number;
  text?: string;
  tests?: Record<string, boolean>;
  custom?: { sockgrade?: { sandbox: string; tests: Record<string, string> } };
}

/**
 * An INGInious task folder as a course holds it: task.yaml and run from
 * docker/inginious/task/, and sockgrade's task as sockgrade/, here a copy of
 * calculator-server reduced to `tests` (and with `edit` applied to its task.yaml).
 */
function inginiousTask(tests: string[], edit: (task: Record<string, unknown>) => void = () => {}): string {
  const base = tempDir('sockgrade-inginious-');
  chmodSync(base, 0o755); // the emulated container's worker must reach it
  const task = path.join(base, 'task');
  mkdirSync(path.join(task, 'student'), { recursive: true });
  cpSync(path.join(ROOT, 'docker', 'inginious', 'task', 'run'), path.join(task, 'run'));
  cpSync(path.join(ROOT, 'docker', 'inginious', 'task', 'task.yaml'), path.join(task, 'task.yaml'));
  const sg = path.join(task, 'sockgrade');
  cpSync(path.join(TASKS, 'calculator-server'), sg, { recursive: true });
  const spec = parse(readFileSync(path.join(sg, 'task.yaml'), 'utf8')) as Record<string, unknown>;
  edit(spec);
  writeFileSync(path.join(sg, 'task.yaml'), stringify(spec));
  const doc = parse(readFileSync(path.join(sg, 'tests.yaml'), 'utf8')) as { tests: { id: string; control?: string | string[] }[] };
  doc.tests = doc.tests.filter((t) => tests.includes(t.id));
  // A negative test's controls must be tests of the task: keep those the subset has.
  for (const t of doc.tests) {
    const kept = [t.control ?? []].flat().filter((c) => tests.includes(c));
    if (kept.length) t.control = kept;
    else delete t.control;
  }
  writeFileSync(path.join(sg, 'tests.yaml'), stringify(doc));
  return base;
}

/** Submits `upload` (a file problem "submission") and runs the task's run file in the emulated container. */
async function submit(base: string, upload: string): Promise<{ feedback: Feedback; stderr: string; ms: number; student: string[] }> {
  const input = path.join(base, 'input');
  const output = path.join(base, 'output');
  mkdirSync(input);
  mkdirSync(output);
  cpSync(upload, path.join(input, 'upload'));
  chmodSync(path.join(input, 'upload'), 0o644);
  // As INGInious's input file: a file answer is its name and where its bytes are.
  writeFileSync(path.join(input, '__inputdata.json'), JSON.stringify({ input: { submission: { filename: path.basename(upload), value: '/.__input/upload' } } }));
  const started = performance.now();
  const child = spawn(EMULATE, [path.join(base, 'task'), input, output, '--', '/task/run'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code, stderr).toBe(0); // the run file always ends well: the verdict is in the feedback
  const file = path.join(output, '__feedback.json');
  const feedback = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Feedback) : {};
  return { feedback, stderr, ms: performance.now() - started, student: readdirSync(path.join(base, 'task', 'student')) };
}

describe.runIf(checkoutReadableBy(4242))('INGInious, in an emulated grading container (as root: emulate.sh maps uid 4242)', () => {
  beforeAll(async () => {
    // The install is read-only in the container, as in an image: its native helpers are built beforehand.
    await compileNative(launcherSource(), 'exe');
    await compileRemoteLauncher();
  });

  it('a correct server gets success and 100, graded through run_student, and leaves /task/student clean', async () => {
    const base = inginiousTask(['sum-int', 'product-int', 'malformed-empty', 'port-taken']);
    const r = await submit(base, path.join(fixture('calculator-server', 'correct-c-plain'), 'server.c'));
    expect(r.feedback.result, r.stderr).toBe('success');
    expect(r.feedback.grade).toBe(100);
    // bubblewrap cannot start there; sockgrade chose INGInious's run_student by itself, and says so.
    expect(r.feedback.custom?.sockgrade?.sandbox).toBe('inginious');
    expect(r.feedback.text).toContain("Graded in INGInious's student containers (run_student)");
    // No misconception: every tag set, none true.
    expect(r.feedback.tests).toEqual({ result: false, endianness: false, robustness: false, 'error-handling': false, cli: false });
    expect(r.student).toEqual([]);
  });

  it('a byte-order bug fails, named, and tags the misconception through tag-set', async () => {
    const base = inginiousTask(['sum-int', 'product-int', 'port-taken']);
    const r = await submit(base, path.join(fixture('calculator-server', 'host-byte-order'), 'server.c'));
    expect(r.feedback.result, r.stderr).toBe('failed');
    expect(r.feedback.grade).toBeLessThan(100);
    expect(r.feedback.text).toContain('byte order');
    expect(r.feedback.tests?.endianness).toBe(true);
    expect(r.feedback.tests?.['error-handling']).toBe(false);
    expect(r.feedback.custom?.sockgrade?.tests).toEqual({ 'sum-int': 'failed', 'product-int': 'failed', 'port-taken': 'success' });
  });

  it('an endless loop is a timeout: the CPU limit holds in the student container, and nothing hangs', async () => {
    // A reply timeout longer than the CPU limit: the limit, not the machine's
    // load, decides (the busy loop gets whatever CPU share the machine leaves it).
    const base = inginiousTask(['sum-int', 'port-taken'], (t) => {
      t.limits = { ...(t.limits as object), cpu_s: 1 };
      t.timeouts = { ...(t.timeouts as object), reply_ms: 6000 };
    });
    const r = await submit(base, path.join(fixture('calculator-server', 'endless-loop'), 'server.c'));
    expect(r.feedback.result, r.stderr).toBe('timeout');
    // port-taken's control (sum-int) failed: no error-handling credit for a server that never answers (docs/controls.md).
    expect(r.feedback.custom?.sockgrade?.tests).toEqual({ 'sum-int': 'timeout', 'port-taken': 'failed' });
    expect(r.feedback.text).toContain('CPU time');
    expect(r.ms).toBeLessThan(25_000);
    expect(r.student).toEqual([]);
  });
});

describe('run_student, as sockgrade calls it', () => {
  it('gets every word back as written: run_student joins them with spaces and splits them with shlex', () => {
    const words = ['./server', '::', '10000', "it's", 'a b', '"q"', '$HOME', '`x`', '\\', '', '-x'];
    // Python's own shlex, as run_student uses it.
    const r = spawnSync('python3', ['-c', 'import json, shlex, sys; print(json.dumps(shlex.split(" ".join(sys.argv[1:]))))', ...words.map(shlexQuote)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(words);
  });

  const limits: Limits = { cpuSeconds: 2, wallSeconds: 10, memoryMb: 256, processes: 16, fileSizeMb: 8, openFiles: 64, outputKb: 64 };
  const unreported = (code: number, extra: Partial<ProcessObservation> = {}): ProcessObservation => ({
    exitCode: code, signal: null, stoppedBy: null, execError: null, stdout: '', stderr: '', outputTruncated: false, wallMs: 3000,
    cpuMs: 100, runnableMs: null, maxRssKb: null, peakProcesses: 1, launched: true, leftover: false, exitedAtMs: 3000, platformCode: code, ...extra,
  });

  it('reads 251 and 254, or a program that never started, as a machine that cannot grade, never as the student\'s failure', () => {
    expect(platformFailure(unreported(251), limits)).toMatch(/run_student is not available/);
    expect(platformFailure(unreported(254), limits)).toMatch(/proxy error/);
    // No "started" record from sg-remote: the student container never ran it, whatever the status.
    const never = { ...unreported(1, { launched: false }), ...remoteOutcome({}, false, 1) };
    expect(platformFailure(never, limits)).toMatch(/sg-remote never started the program \(status 1\)/);
    // A program that did run and exited 253 by itself is the program's own status.
    expect(remoteOutcome({ exit: 253 }, true, 253)).toEqual({});
  });

  it('reads 252 as out of memory and 253 as out of time, as sockgrade\'s own limits would have', () => {
    const oom = unreported(252);
    expect(platformFailure(oom, limits)).toBeNull();
    expect(oom).toMatchObject({ signal: 'SIGKILL', maxRssKb: 256 * 1024 });
    const busy = unreported(253, { cpuMs: 1950 });
    expect(platformFailure(busy, limits)).toBeNull();
    expect(busy).toMatchObject({ signal: 'SIGKILL', cpuMs: 2000, stoppedBy: null });
    const idle = unreported(253, { cpuMs: 10 });
    expect(platformFailure(idle, limits)).toBeNull();
    expect(idle).toMatchObject({ signal: 'SIGKILL', stoppedBy: 'wall-time' });
  });
});

describe('INGInious feedback after the due date', () => {
  it('puts an after_due_date test\'s full feedback in INGInious\'s hidden-until directive when the due date is given', async () => {
    const graded = await grade('calculator-server', fixture('calculator-server', 'host-byte-order'), ['sum-int', 'port-taken']);
    const report = { ...graded, tests: graded.tests.map((t) => (t.id === 'sum-int' ? { ...t, visibility: 'after_due_date' as const } : t)) };
    // Viewed as after the date: INGInious, not sockgrade, hides it until then.
    const calls = inginiousCalls(viewReport(report, { afterDueDate: true }), { dueDate: '2026-12-18 23:59:00' });
    const sumInt = calls.find((c) => c[0] === 'feedback-msg' && c[2]?.includes('``sum-int``'))!;
    expect(sumInt[2]).toMatch(/^--message=\.\. hidden-until:: 2026-12-18 23:59:00\n\n {4}- \*\*FAIL\*\*/);
    expect(sumInt[2]).toContain('byte order');
    const portTaken = calls.find((c) => c[0] === 'feedback-msg' && c[2]?.includes('``port-taken``'))!;
    expect(portTaken[2]).not.toContain('hidden-until');
  });

  it('refuses a due date INGInious could not read, in one line, exit 2', async () => {
    const r = await runCli(['grade', 'calculator-server', fixture('calculator-server', 'host-byte-order'), '--format', 'inginious', '--due-date', 'next friday']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toMatch(/--due-date takes 'YYYY-MM-DD hh:mm:ss', not 'next friday'/);
  });
});
