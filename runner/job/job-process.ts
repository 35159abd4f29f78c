// A grading job's own process: its command line (a fresh network, mount
// and pid namespace when isolated) and its start, apart from what runs it
// (run-job.ts) so that the CLI can start one as soon as its command line is
// parsed (grader/cli/early-jobs.ts) without loading the rest of the runner.
import { LineReader } from '../line-reader.js';
import { compileReaper } from '../sandbox/native.js';
import { assertSandboxTools } from '../sandbox/probe.js';
import type { SandboxKind } from '../types.js';
import { exited, jobArgv, jobEntry, startJobProcess, type JobAhead, type JobChild } from './job-command.js';

/** The job's command line, in a fresh network, mount and pid namespace when isolated. */
export async function jobCommand(privateNetwork: boolean): Promise<string[]> {
  return jobArgv(jobEntry(), privateNetwork ? { reaper: await compileReaper(), gradingPid: process.pid } : null);
}

/** The job's process, started; it waits for its spec on stdin. */
export interface JobProcess {
  child: JobChild;
  /** What it wrote on stderr so far (the first 16 KiB): why a job that could not start failed. */
  stderr: () => string;
  /** Its stdout, line by line, across every grade it serves (run-job.ts reads each grade's up to its `end`). */
  lines: AsyncIterator<string>;
  /** How many grades it has served before the one it is given now. */
  served: number;
}

/** A job's process, started now. */
export function spawnJob(argv: string[]): JobProcess {
  return jobProcess(startJobProcess(argv));
}

/** `child`, a job's process, as the grade reads it. */
function jobProcess(child: JobChild): JobProcess {
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 16_384) stderr += d.toString('utf8');
  });
  return { child, stderr: () => stderr, lines: new LineReader(child.stdout), served: 0 };
}

/**
 * Job processes kept between the grades of a batch or a check: a job whose
 * grade ended well and that made itself a fresh network namespace for the
 * next (main.ts, readyForNext) waits here, idle, for the next grade of its
 * sandbox ('bwrap', the only one with namespaces of its own). A grade then
 * costs no Node start. Whoever makes one must close() it when done.
 */
export class JobKeeper {
  private readonly idle: JobProcess[] = [];
  private closed = false;

  /** An idle job still alive, or null. */
  take(): JobProcess | null {
    for (let job = this.idle.pop(); job; job = this.idle.pop()) {
      if (job.child.exitCode === null && job.child.signalCode === null) return job;
    }
    return null;
  }

  /** Keeps `job` for a next grade; after close(), ends it instead. */
  keep(job: JobProcess): void {
    if (this.closed) job.child.stdin.end();
    else this.idle.push(job);
  }

  /** Ends every idle job (its stdin's end: it exits) and waits until each is gone. */
  async close(): Promise<void> {
    this.closed = true;
    const jobs = this.idle.splice(0);
    for (const job of jobs) job.child.stdin.end();
    await Promise.all(jobs.map((job) => exited(job.child)));
  }
}

/**
 * A job's process started before its plan is known (gradeSubmission starts
 * it first): its Node start overlaps the submission copy and the planning,
 * and runJob hands it the spec. Whoever starts one must `stop()` it when
 * done: a grade that ends before its job (a bad submission, a build reused as
 * a failure) then ends the process.
 */
export class EarlyJob {
  /** Jobs started before the grader was even loaded (prestart), for the next grades of their sandbox to take. */
  private static readonly waiting: EarlyJob[] = [];
  private taken = false;

  private constructor(
    private readonly sandbox: SandboxKind,
    private readonly started: Promise<JobProcess | null>,
    /** Where an unused process goes back to, rather than being killed. */
    private readonly keeper?: JobKeeper,
  ) {}

  /**
   * Starts a job for `sandbox` now, before the caller knows what it will
   * grade (the CLI, before it loads the grader and the task); the next
   * start() for that sandbox takes it. A job bin/sockgrade.js started
   * `ahead` is that job when its command line is the one this would start.
   * Returns what ends it if no grade took it: call it before exiting.
   */
  static prestart(sandbox: SandboxKind, ahead?: JobAhead | null): () => Promise<void> {
    const job = EarlyJob.spawnFor(sandbox, undefined, ahead);
    EarlyJob.waiting.push(job);
    return async () => {
      const i = EarlyJob.waiting.indexOf(job);
      if (i >= 0) EarlyJob.waiting.splice(i, 1);
      await job.stop();
    };
  }

  /** A job for `sandbox`: one `keeper` kept, one prestarted, or one started now (stopped by its taker's stop() if unused). */
  static start(sandbox: SandboxKind, keeper?: JobKeeper): EarlyJob {
    const kept = sandbox === 'bwrap' ? keeper?.take() : null;
    if (kept) return new EarlyJob(sandbox, Promise.resolve(kept), keeper);
    const i = EarlyJob.waiting.findIndex((job) => job.sandbox === sandbox);
    if (i >= 0) return EarlyJob.waiting.splice(i, 1)[0]!;
    return EarlyJob.spawnFor(sandbox, keeper);
  }

  /** Starts one; a backend with a setup of its own ('user', 'inginious'), or a failure, starts none (runJob then says why). */
  private static spawnFor(sandbox: SandboxKind, keeper?: JobKeeper, ahead?: JobAhead | null): EarlyJob {
    if (sandbox === 'user' || sandbox === 'inginious') return new EarlyJob(sandbox, Promise.resolve(null));
    const started = (async () => {
      try {
        assertSandboxTools(sandbox);
        const argv = await jobCommand(sandbox === 'bwrap');
        const child = (await ahead?.take(argv)) ?? null;
        return child ? jobProcess(child) : spawnJob(argv);
      } catch {
        return null; // runJob meets the same failure and reports it as ever
      }
    })();
    return new EarlyJob(sandbox, started, keeper);
  }

  /** The process, for a plan of `sandbox`, once; null: runJob starts its own. */
  async take(sandbox: SandboxKind): Promise<JobProcess | null> {
    if (this.taken || sandbox !== this.sandbox) return null;
    this.taken = true;
    return this.started;
  }

  /** Ends the process when no job took it (or gives it back to its keeper), and waits until it is gone; otherwise nothing. */
  async stop(): Promise<void> {
    if (this.taken) return;
    this.taken = true;
    const job = await this.started;
    if (!job) return;
    if (this.keeper && this.sandbox === 'bwrap') return this.keeper.keep(job); // never given a spec: as good as new
    // It has no spec, so nothing of a grade in it: killed, not waited for while Node starts in it
    // (our own child, by its pid; pid 1's death signal and the namespace's end take the rest).
    job.child.kill('SIGKILL');
    await exited(job.child);
  }
}

