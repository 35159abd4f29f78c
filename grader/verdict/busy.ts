// When a program counts as busy (spinning) rather than waiting: the one rule
// behind every "timeout ... kept the CPU busy" verdict. It reads only what
// belongs to the program itself, never how busy the machine was: CPU time
// shrinks when other work shares the CPUs, but time spent runnable (on a CPU
// or queued for one, runner/process.ts) does not: a spinning program is
// runnable all along however loaded the machine, a blocked one not at all.
import type { Limits, ProcessObservation, StepObservation } from '../../runner/types.js';

/** Runnable for more than this share of a wait: busy. Spinning is ~1, waiting ~0. */
const BUSY_SHARE = 0.5;

function runnableMostOf(runnableMs: number | null, waitedMs: number): boolean {
  return runnableMs !== null && waitedMs > 0 && runnableMs > waitedMs * BUSY_SHARE;
}

/** The program used up its own CPU limit (RLIMIT_CPU): busy, whatever the load. */
export function hitCpuLimit(p: ProcessObservation, limits: Limits): boolean {
  // SIGXCPU at the soft limit; SIGKILL from the kernel at the hard one (the runner did not send it).
  return p.signal === 'SIGXCPU' || (p.signal === 'SIGKILL' && p.stoppedBy === null && (p.cpuMs ?? 0) >= limits.cpuSeconds * 1000);
}

/** Busy while the runner waited for the reply to a datagram it sent. */
export function busyWhileAwaitingReply(s: Extract<StepObservation, { kind: 'send' }>): boolean {
  return runnableMostOf(s.runnableMsWhileWaiting, s.waitedMs);
}

/** Busy until its end: it hit its CPU limit, or was runnable most of the time until the runner stopped it. */
export function busyUntilStopped(p: ProcessObservation, limits: Limits): boolean {
  return hitCpuLimit(p, limits) || runnableMostOf(p.runnableMs, p.wallMs);
}
