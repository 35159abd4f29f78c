// Identical submissions built once per batch: a class hands in the same files
// again and again. A build's result is keyed by what the build sees (the
// scratch folder's files, the build command and its limits, the task's files
// it reads, the sandbox); the next job with the same key gets the first one's
// built files copied into its own scratch folder and runs no build. Only
// files are reused, never a process. A build that failed by itself (the
// compiler's error) is reused as the same failure with its output; one stopped
// by a limit or a signal is not (that can depend on the machine's load), and
// neither is one whose files could not be kept: the next job builds anew.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeScratchDir, removeScratchDir } from '../scratch-dirs.js';
import { copyTree, hashTree } from '../tree.js';
import type { BuildObservation, JobEvent, JobPlan } from '../types.js';
import { runJob, type RunJobOptions } from './run-job.js';

/** A build done once: its observation, and where its scratch folder was kept (null for a failed build). */
interface KeptBuild {
  build: BuildObservation;
  files: string | null;
}

/** What a build's result depends on; null when the plan has no build. */
export function buildKey(plan: JobPlan): string | null {
  if (!plan.build) return null;
  const h = createHash('sha256');
  h.update(`sockgrade build 1\0${plan.sandbox}\0${plan.scratchMb ?? ''}\0${JSON.stringify(plan.build)}\0`);
  for (const f of plan.build.readOnlyFiles ?? []) h.update(readFileSync(f)).update('\0');
  // Every permission bit: the scratch copy keeps them, and the build sees them.
  hashTree(h, plan.workDir, { modeBits: 0o777 });
  return h.digest('hex');
}

/** A reusable result: the build succeeded, or the compiler itself said no. */
function reusable(b: BuildObservation): boolean {
  const p = b.process;
  return b.ok || (p.exitCode !== null && p.stoppedBy === null && !p.signal && !p.execError && p.launched === true);
}

interface Claim {
  /** Where the job keeps its scratch folder after a build that succeeded. */
  keepIn: string;
  /** Once: what the build gave; later calls do nothing. */
  settle: (kept: KeptBuild | null) => void;
}

/** One batch's builds, in a folder of its own removed by dispose(). */
export class BuildCache {
  /** Owned like a submission's scratch folder: a batch killed with SIGKILL leaves it to the next start's sweep. */
  private readonly dir = makeScratchDir();
  /** Each key's build, or the promise of it while its first job builds; null: build anew. */
  private readonly builds = new Map<string, Promise<KeptBuild | null>>();
  private count = 0;

  /**
   * The kept build for `key`, after waiting for a job building it now; else
   * the key, claimed: this job builds, and settles what came of it for the
   * jobs that wait (null: they build anew, one of them claiming it again).
   */
  async take(key: string): Promise<KeptBuild | Claim> {
    for (;;) {
      const known = this.builds.get(key);
      if (!known) return this.claim(key);
      const kept = await known;
      if (kept) return kept;
    }
  }

  private claim(key: string): Claim {
    let resolve!: (kept: KeptBuild | null) => void;
    const promise = new Promise<KeptBuild | null>((r) => (resolve = r));
    this.builds.set(key, promise);
    let settled = false;
    return {
      keepIn: path.join(this.dir, String(this.count++)),
      settle: (kept) => {
        if (settled) return;
        settled = true;
        if (!kept && this.builds.get(key) === promise) this.builds.delete(key);
        resolve(kept);
      },
    };
  }

  dispose(): void {
    removeScratchDir(this.dir);
  }
}

/** The scratch folder's contents replaced by a kept build's folder (the same files, plus what the build made). */
function restore(workDir: string, files: string): void {
  removeScratchDir(workDir); // read-only folders the submission brought included
  copyTree(files, workDir);
}

/** runJob, with the build taken from `cache` when an identical one was done (then its build event says `durationMs: 0`). */
export async function runJobReusingBuild(cache: BuildCache | undefined, plan: JobPlan, opts: RunJobOptions): Promise<JobEvent[]> {
  const key = cache ? buildKey(plan) : null;
  if (!cache || !key) return runJob(plan, opts);
  const taken = await cache.take(key);
  if ('build' in taken) {
    const reused: JobEvent = { type: 'build', build: { ...taken.build, durationMs: 0 } };
    if (!taken.files) {
      const events: JobEvent[] = [{ type: 'ready', setupMs: 0 }, reused, { type: 'done' }];
      for (const e of events) opts.onEvent?.(e);
      return events;
    }
    restore(plan.workDir, taken.files);
    opts.onEvent?.(reused);
    const events = await runJob({ ...plan, build: null }, opts);
    const ready = events.findIndex((e) => e.type === 'ready');
    events.splice(ready + 1, 0, reused);
    return events;
  }
  const claim = taken;
  try {
    return await runJob({ ...plan, keepBuildIn: claim.keepIn }, {
      ...opts,
      onEvent: (e) => {
        if (e.type === 'build') {
          const files = e.build.ok && e.kept ? claim.keepIn : null;
          const { ok, process, durationMs } = e.build;
          claim.settle(reusable(e.build) && (files || !ok) ? { build: { ok, process, durationMs }, files } : null);
        }
        opts.onEvent?.(e);
      },
    });
  } finally {
    claim.settle(null); // no build event (the job died, or was stopped): the next one builds
  }
}
