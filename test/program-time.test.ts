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

  it('goes on while the program fills its memory, and ends once it stops', async () => {
    // 6 MiB more every 100 ms for ~1.2 s, then nothing: a program on its way to its memory
    // limit, whose CPU for it depends on the machine's page faults (runner/program-time.ts).
    const grower = `exec python3 -c "import time
b = []
for _ in range(12):
    b.append(bytes([1]) * (6 << 20)); time.sleep(0.1)
time.sleep(30)"`;
    const peakKb = (pid: number) => Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    const shortMs = 300;
    const wait = async (program: ChildProcess, whileGrowing: boolean) => {
      expect(await waitUntil(() => peakKb(program.pid!) > 8 << 10, deadline(10_000))).toBe(true); // python up, growing
      const t0 = performance.now();
      await waitProgramTime({ ...clockOf(program), peakMemoryKb: () => peakKb(program.pid!) }, shortMs, (d) => withDeadline(never, d), () => false, whileGrowing);
      return { wallMs: performance.now() - t0, peakMb: peakKb(program.pid!) >> 10 };
    };
    const growing = await wait(start(grower), true);
    expect(growing.peakMb, 'given the time to fill it').toBeGreaterThanOrEqual(70);
    expect(growing.wallMs).toBeGreaterThan(shortMs * 2);
    expect(growing.wallMs, 'ends once the memory stops growing').toBeLessThan(10_000);
    const plain = await wait(start(grower), false);
    expect(plain.peakMb, 'a plain wait ends before').toBeLessThan(70);
  }, 60_000);

  it('ends when the awaited event comes', async () => {
    const program = start('while :; do :; done');
    const t0 = performance.now();
    const got = await waitProgramTime(clockOf(program), WAIT_MS, (d) => withDeadline(Promise.resolve('reply'), d), (v) => v === 'reply');
    expect(got).toBe('reply');
    expect(performance.now() - t0).toBeLessThan(WAIT_MS);
  });
});
