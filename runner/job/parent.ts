// Ties a grading job to the grading process that started it, so that killing
// that process (even with SIGKILL) takes the job and every sandbox with it.
//
// The chain, set up by run-job.ts: the grading process starts
// `sg-reaper -- node start.js` (runner/job/reaper.c). The reaper's death
// signal kills it when the grading process dies; it unshares the job's
// namespaces and forks pid 1 of its pid namespace, whose own death signal
// kills it when the outer reaper dies; and when pid 1 dies the kernel kills
// every process in that namespace: the job, bwrap, the launcher, the
// student's programs (and when the job dies, pid 1 exits). No step relies on
// a process that may itself be dead, and none on bwrap's --die-with-parent,
// whose prctl comes only after bwrap has started (a job killed in between
// would orphan it). A job without namespaces of its own is started by
// `setpriv --pdeathsig KILL`.
//
// A death signal fires when the *thread* that started the process ends, not
// the process: runJob must run on a thread that lives as long as the grading
// (node spawns on the calling JS thread; the CLI's is the main thread).
//
// The one gap: a grading process that dies before a death signal is set
// leaves an orphan with nobody to signal it. The reaper checks, once its
// signal is set, that its parent is still the grading process named on its
// command line (and pid 1 that the reaper still lives); a job started by
// setpriv checks the same of its own parent as it reads its first spec.
import { procStat } from '../proc-stat.js';

export interface JobParent {
  /** pid of the grading process. */
  pid: number;
}

/**
 * True when the grading process that started this job (by setpriv, without
 * namespaces of its own) is no longer its parent: it died, and the job was
 * handed to another reaper.
 */
export function parentIsGone(parent: JobParent): boolean {
  return procStat('self')?.ppid !== parent.pid;
}
