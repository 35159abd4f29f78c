// A grading job's own process: its command line (a fresh network, mount
// and pid namespace when isolated) and its start, apart from what runs it
// (run-job.ts) so that the CLI can start one as soon as its command line is
// parsed (grader/cli/early-jobs.ts) without loading the rest of the runner.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { distRunnerDir } from '../paths.js';
import { compileReaper } from '../sandbox/native.js';
import { assertSandboxTools, isRoot } from '../sandbox/probe.js';
import type { SandboxKind } from '../types.js';

/** The job's command line, in a fresh network, mount and pid namespace when isolated. */
export async function jobCommand(privateNetwork: boolean): Promise<string[]> {
  const entry = path.join(distRunnerDir, 'job', 'main.js');
  // The job dies with this process, however it dies (see parent.ts): setpriv's
  // death signal for unshare, --kill-child for the reaper, pid 1 of the job's
  // own pid namespace, whose end takes everything in the namespace with it.
  const job = privateNetwork
    ? ['unshare', ...(isRoot() ? [] : ['--user', '--map-root-user']), '--net', '--mount', '--pid', '--fork', '--kill-child', '--',
        await compileReaper(), process.execPath, entry]
    : [process.execPath, entry];
  return ['--pdeathsig', 'KILL', '--', ...job];
}

/** The job's process, started; it waits for its spec on stdin. */
export interface JobProcess {
  child: ChildProcessWithoutNullStreams;
  /** What it wrote on stderr so far (the first 16 KiB): why a job that could not start failed. */
  stderr: () => string;
}

export function spawnJob(argv: string[]): JobProcess {
  const child = spawn('setpriv', argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.on('error', () => {}); // a job that died before reading its spec: its exit status says why
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 16_384) stderr += d.toString('utf8');
  });
  return { child, stderr: () => stderr };
}

/** Until the process has exited (and, through its reaper, everything in its namespace). */
function exited(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('close', () => resolve()));
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
  ) {}

  /**
   * Starts a job for `sandbox` now, before the caller knows what it will
   * grade (the CLI, before it loads the grader and the task); the next
   * start() for that sandbox takes it. Returns what ends it if no grade took
   * it: call it before exiting.
   */
  static prestart(sandbox: SandboxKind): () => Promise<void> {
    const job = EarlyJob.spawnFor(sandbox);
    EarlyJob.waiting.push(job);
    return async () => {
      const i = EarlyJob.waiting.indexOf(job);
      if (i >= 0) EarlyJob.waiting.splice(i, 1);
      await job.stop();
    };
  }

  /** A job for `sandbox`: one prestarted, or one started now (stopped by its taker's stop() if unused). */
  static start(sandbox: SandboxKind): EarlyJob {
    const i = EarlyJob.waiting.findIndex((job) => job.sandbox === sandbox);
    if (i >= 0) return EarlyJob.waiting.splice(i, 1)[0]!;
    return EarlyJob.spawnFor(sandbox);
  }

  /** Starts one; a backend with a setup of its own ('user', 'inginious'), or a failure, starts none (runJob then says why). */
  private static spawnFor(sandbox: SandboxKind): EarlyJob {
    if (sandbox === 'user' || sandbox === 'inginious') return new EarlyJob(sandbox, Promise.resolve(null));
    const started = (async () => {
      try {
        assertSandboxTools(sandbox);
        return spawnJob(await jobCommand(sandbox === 'bwrap'));
      } catch {
        return null; // runJob meets the same failure and reports it as ever
      }
    })();
    return new EarlyJob(sandbox, started);
  }

  /** The process, for a plan of `sandbox`, once; null: runJob starts its own. */
  async take(sandbox: SandboxKind): Promise<JobProcess | null> {
    if (this.taken || sandbox !== this.sandbox) return null;
    this.taken = true;
    return this.started;
  }

  /** Ends the process when no job took it, and waits until it is gone; otherwise nothing. */
  async stop(): Promise<void> {
    if (this.taken) return;
    this.taken = true;
    const job = await this.started;
    if (!job) return;
    // It has no spec, so nothing of a grade in it: killed, not waited for while Node starts in it
    // (our own child, by its pid; --kill-child and the namespace's end take the rest).
    job.child.kill('SIGKILL');
    await exited(job.child);
  }
}

