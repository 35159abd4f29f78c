// The job's Node-API addon (job-addon.c), built by run-job.ts with the other
// native helpers and named in the job's spec: what Node cannot do itself.
import type { PortQuery } from '../readiness.js';
import type { SocketMaker } from '../sandbox/kept-sandbox.js';
import type { NetworkMaker } from '../sandbox/network.js';
import type { ProcessStarter } from '../spawn.js';

export interface JobAddon extends PortQuery, SocketMaker, NetworkMaker, ProcessStarter {
  /** The calling (main) thread moves to a new, empty network namespace. */
  freshNetwork(): void;
  /** umount2(path, MNT_DETACH). */
  detach(path: string): void;
  /** A tmpfs named `name` (sockgrade-scratch when not given) on `target`, nosuid and nodev, with `options` (size=, mode=, uid=, gid=). */
  mountTmpfs(target: string, options: string, name?: string): void;
  /** mount --rbind `source` `target`. */
  bindMount(source: string, target: string): void;
  /** The tmpfs on `target` made read-only, with the same `options`. */
  remountReadOnly(target: string, options: string): void;
  /** waitpid(pid, WNOHANG): the child's wait status once it has ended (reaped then), null while it runs. */
  reap(pid: number): number | null;
}

/** The addon at `file`; null when it cannot be loaded (the job then does without). */
export function loadJobAddon(file: string): JobAddon | null {
  const module = { exports: {} as JobAddon };
  try {
    // Its file is named .so: require() would read it as JavaScript.
    process.dlopen(module, file);
    return module.exports;
  } catch {
    return null;
  }
}
