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
// The one gap: a grading process that dies before the reaper's prctl leaves
// an orphan with no death signal (pid 1 checks for the outer reaper's death
// itself). The job closes it by checking, once every death signal is in
// place, that the grading process is still the ancestor it should be.
import { procStat } from '../proc-stat.js';
import { runQuietly } from '../quiet-command.js';

export interface JobParent {
  /** pid of the grading process. */
  pid: number;
  /**
   * Processes between the grading process and the job: 2 (the reaper and
   * pid 1 it forks) in the job's own pid namespace, 0 when it is started directly.
   */
  hops: 0 | 2;
}

/** The parent pid of a process, as the host's /proc tells it; null when it is gone. */
function parentOf(pid: number | 'self'): number | null {
  return procStat(pid)?.ppid ?? null;
}

/**
 * True when the grading process that started this job is no longer the
 * ancestor it should be: it died, and the job was handed to another reaper. Must run
 * before the job remounts /proc (the check reads the host's view of pids).
 */
export function parentIsGone(parent: JobParent): boolean {
  let pid = parentOf('self');
  for (let hop = 0; hop < parent.hops && pid !== null; hop++) pid = parentOf(pid);
  return pid !== parent.pid;
}

/**
 * In its own pid namespace the job must see its own pids in /proc (process.ts
 * reads /proc/<pid> of the programs it starts). The job's mount namespace is
 * private, so the host's /proc is untouched.
 */
export function mountOwnProc(): Promise<void> {
  return runQuietly('mount', ['-t', 'proc', '-o', 'nosuid,nodev,noexec', 'proc', '/proc']);
}
