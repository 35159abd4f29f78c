// A job with namespaces of its own (made by its reaper, runner/job/reaper.c,
// which also mounts their /proc) sets its network up as it starts, before its
// first spec comes. The job's entry (start.ts) starts that before Node loads
// the rest of the job, so the short `ip` process runs meanwhile; main.ts
// waits for it before its first grade.
import { setUpJobNetwork } from '../sandbox/network.js';

let started: Promise<string | null> | null = null;

/** Starts the set-up once (later calls get the same promise): what failed, for the first grade to report, or null. */
export function setUpOwnNamespaces(): Promise<string | null> {
  started ??= setUpJobNetwork().then(
    () => null,
    (err: Error) => `cannot set up the job's network namespace: ${err.message}`,
  );
  return started;
}
