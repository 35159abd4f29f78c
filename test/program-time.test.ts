// Waits in the program's time (runner/program-time.ts): a program that spins
// while another spinner shares its one CPU gets as much CPU time within a
// wait as it would alone, since the time it sat in the run queue is given
// back; a program that blocks gets the wait's plain length. Real processes,
// pinned to one CPU with taskset so that the queueing is certain.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { waitProgramTime } from '../runner/program-time.js';
import { runnerQueuedMs, schedstatOf } from '../runner/run-queue.js';
import { deadline, waitUntil, withDeadline } from '../runner/wait.js';

const started: ChildProcess[] = [];

function start(script: string): ChildProcess {
  const child = spawn('taskset', ['-c', '0', 'sh', '-c', script], { stdio: 'ignore' });
  started.push(child);
  return child;
}

/** Milliseconds a process has spent on a CPU (/proc/PID/schedstat, field 1). */
function onCpuMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

function clockOf(child: ChildProcess) {
  return { queuedMs: () => ({ program: schedstatOf(child.pid!).queuedNs / 1e6, runner: runnerQueuedMs() }), get running() { return child.exitCode === null && child.signalCode === null; } };
}

const never = new Promise<void>(() => {});
/** Long enough that the kernel's late count of one run-queue wait (see below) stays a small part of it. */
const WAIT_MS = 1000;

afterAll(() => {
  // Only the processes this file started, by their pid.
  for (const c of started) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
});

describe('a wait in the program time', () => {
  it('gives a spinning program the CPU time a busy machine took from it', async () => {
    start('while :; do :; done'); // shares CPU 0 with the program
    const program = start('while :; do :; done');
    expect(await waitUntil(() => onCpuMs(program.pid!) > 0, deadline(10_000))).toBe(true);
    const cpuBefore = onCpuMs(program.pid!);
    const t0 = performance.now();
    await waitProgramTime(clockOf(program), WAIT_MS, (d) => withDeadline(never, d), () => false);
    const wallMs = performance.now() - t0;
    const cpuMs = onCpuMs(program.pid!) - cpuBefore;
    // Sharing its CPU, it got half of the wall time or less (a plain wait would have given it
    // WAIT_MS / 2 at most), yet it had about the whole wait on a CPU, as on an idle machine
    // (less the one run-queue wait the kernel counts only once it is over).
    expect(wallMs).toBeGreaterThan(cpuMs * 1.5);
    expect(cpuMs).toBeGreaterThan(WAIT_MS * 0.6);
  }, 120_000); // on a machine loaded already, giving WAIT_MS of CPU back can take many times WAIT_MS

  it('ends on time for a program that blocks', async () => {
    const program = start('sleep 30');
    const runnerQueued = runnerQueuedMs();
    const t0 = performance.now();
    await waitProgramTime(clockOf(program), WAIT_MS, (d) => withDeadline(never, d), () => false);
    const wallMs = performance.now() - t0;
    expect(wallMs).toBeGreaterThanOrEqual(WAIT_MS - 5);
    // Stretched at most by the time this runner itself waited for a CPU (its timers fire late on a busy machine).
    expect(wallMs - (runnerQueuedMs() - runnerQueued)).toBeLessThan(WAIT_MS * 1.3);
  });

  it('is not stretched when the wait ends early for a reason of its own (a stray answer)', async () => {
    start('while :; do :; done');
    const program = start('while :; do :; done');
    const t0 = performance.now();
    let calls = 0;
    const got = await waitProgramTime(clockOf(program), WAIT_MS, async () => { calls++; return null; }, (v) => v !== null);
    expect(got).toBeNull();
    expect(calls).toBe(1);
    expect(performance.now() - t0).toBeLessThan(WAIT_MS);
  });

  it('ends when the awaited event comes', async () => {
    const program = start('while :; do :; done');
    const t0 = performance.now();
    const got = await waitProgramTime(clockOf(program), WAIT_MS, (d) => withDeadline(Promise.resolve('reply'), d), (v) => v === 'reply');
    expect(got).toBe('reply');
    expect(performance.now() - t0).toBeLessThan(WAIT_MS);
  });
});
