// Time spent waiting in a CPU run queue: runnable, but the CPUs were taken by
// other work (/proc/PID/task/TID/schedstat, field 2, in ns). It is the one
// measure of how much a busy machine held a program back, so the runner can
// give the program that time back (runner/program-time.ts) and a verdict
// does not depend on the machine's load.
import { readdirSync, readFileSync } from 'node:fs';

function queuedNsOfThread(pid: number | 'self', tid: number | string): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1] ?? 0) || 0;
  } catch {
    return 0; // that thread just ended, or the kernel does not count it
  }
}

/** Milliseconds every thread of a process has waited in a run queue; 0 when it is gone. */
export function queuedMsOf(pid: number): number {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  return tids.reduce((ns, tid) => ns + queuedNsOfThread(pid, tid), 0) / 1e6;
}

/**
 * Milliseconds this runner's main thread (the one that reads the program's
 * output and the peer's sockets) has waited in a run queue: while it waits,
 * a program writing to it or sending to it is held back too.
 */
export function runnerQueuedMs(): number {
  return queuedNsOfThread('self', process.pid) / 1e6;
}
