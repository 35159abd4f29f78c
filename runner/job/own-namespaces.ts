// A job with namespaces of its own mounts its /proc and sets its network up
// as it starts, before its first spec comes (job-process.ts names the
// grading process on its command line). The job's entry (start.ts) starts
// both before Node loads the rest of the job, so the two short processes
// run meanwhile; main.ts waits for them before its first grade.
import { setUpJobNetwork } from '../sandbox/network.js';
import { mountOwnProc, parentIsGone } from './parent.js';

let started: Promise<string | null> | null = null;

/**
 * Starts the set-up once (later calls get the same promise): what failed, for
 * the first grade to report, or null. Exits when the grading process is
 * already gone: the check reads the host's /proc, so it comes before the mount.
 */
export function setUpOwnNamespaces(gradingPid: number): Promise<string | null> {
  if (started) return started;
  if (parentIsGone({ pid: gradingPid, hops: 2 })) process.exit(1);
  const step = (what: string, run: Promise<void>) => run.then(() => null, (err: Error) => `${what}: ${err.message}`);
  started = Promise.all([
    step("cannot mount /proc in the job's pid namespace", mountOwnProc()),
    step("cannot set up the job's network namespace", setUpJobNetwork()),
  ]).then(([proc, network]) => proc ?? network);
  return started;
}

/** The grading process's pid, when the job's command line says it has namespaces of its own; else null. */
export function gradingPidOf(argv: string[]): number | null {
  const at = argv.indexOf('--own-namespaces-of');
  return at < 0 ? null : Number(argv[at + 1]);
}
