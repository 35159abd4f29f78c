// Time spent waiting in a CPU run queue: runnable, but the CPUs were taken by
// other work (/proc/PID/task/TID/schedstat, field 2, in ns). It is the one
// measure of how much a busy machine held a program back, so the runner can
// give the program that time back (runner/program-time.ts) and a verdict
// does not depend on the machine's load.
import { readdirSync, readFileSync } from 'node:fs';

/** A thread's schedstat: ns on a CPU, ns waiting in a run queue; zeros when it just ended or the kernel does not count it. */
function schedstatOfThread(pid: number | 'self', tid: number | string): { onCpuNs: number; queuedNs: number } {
  try {
    const [onCpu, queued] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ');
    return { onCpuNs: Number(onCpu) || 0, queuedNs: Number(queued) || 0 };
  } catch {
    return { onCpuNs: 0, queuedNs: 0 };
  }
}

/** What every thread of a process has spent on a CPU and in a run queue (ns); zeros when it is gone. */
export function schedstatOf(pid: number): { onCpuNs: number; queuedNs: number } {
  const sum = { onCpuNs: 0, queuedNs: 0 };
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return sum;
  }
  for (const tid of tids) {
    const t = schedstatOfThread(pid, tid);
    sum.onCpuNs += t.onCpuNs;
    sum.queuedNs += t.queuedNs;
  }
  return sum;
}

/**
 * Milliseconds this runner's main thread (the one that reads the program's
 * output and the peer's sockets) has waited in a run queue: while it waits,
 * a program writing to it or sending to it is held back too.
 */
export function runnerQueuedMs(): number {
  return schedstatOfThread('self', process.pid).queuedNs / 1e6;
}
