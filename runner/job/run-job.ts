// The host side of a grading job: compile the launcher, hand the scratch
// folder to the sandbox user, start the job in a fresh network namespace and
// stream its events back. A job that hangs is killed at its deadline.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { distRunnerDir } from '../paths.js';
import { compileLauncher, compileReaper, stageFile } from '../sandbox/native.js';
import { canRead, ROOT_SANDBOX_UID } from '../sandbox/native-cache.js';
import { SANDBOX_ETC, SANDBOX_ETC_DIR, type SandboxEtcFiles } from '../sandbox/command.js';
import { chownTree } from '../sandbox/scratch.js';
import { compileFaultsShim, compileHarness, HarnessBuildError } from '../harness/build.js';
import { assertSandboxTools, explainSandboxFailure, isRoot } from '../sandbox/probe.js';
import type { CommandPlan, JobEvent, JobPlan, SandboxKind } from '../types.js';
import { directBackend } from './backend.js';
import type { JobSpec } from './main.js';

export { ROOT_SANDBOX_UID } from '../sandbox/native-cache.js';
export { launcherSource } from '../sandbox/native.js';

/** `file` when the sandbox's uid can read it, else its copy in the helpers' folder. */
async function reachableCopy(file: string, uid: number): Promise<string> {
  return canRead(file, uid) ? file : stageFile(file);
}

/**
 * The plan with each read-only file it shows the sandbox (a task's prelude)
 * swapped for a copy in the helpers' folder when the sandbox's uid cannot
 * reach the original (a task in a 0700 folder); the argv naming it follows.
 */
async function withReachableFiles(plan: JobPlan, uid: number): Promise<JobPlan> {
  const swap = new Map<string, string>();
  const files = [plan.build, ...plan.tests.map((t) => t.program)].flatMap((c) => c?.readOnlyFiles ?? []);
  for (const f of new Set(files)) {
    const reachable = await reachableCopy(f, uid);
    if (reachable !== f) swap.set(f, reachable);
  }
  if (!swap.size) return plan;
  const fix = (c: CommandPlan): CommandPlan => ({
    ...c,
    argv: c.argv.map((a) => swap.get(a) ?? a),
    ...(c.readOnlyFiles ? { readOnlyFiles: c.readOnlyFiles.map((f) => swap.get(f) ?? f) } : {}),
  });
  return { ...plan, build: plan.build && fix(plan.build), tests: plan.tests.map((t) => ({ ...t, program: fix(t.program) })) };
}

/**
 * sockgrade's own /etc files for the sandbox, each where the sandbox's uid can
 * read it: the checkout's, or a copy in the helpers' folder (a checkout in a
 * 0700 folder, as root).
 */
async function reachableEtcFiles(uid: number): Promise<SandboxEtcFiles> {
  const files = {} as SandboxEtcFiles;
  for (const name of SANDBOX_ETC) files[name] = await reachableCopy(path.join(SANDBOX_ETC_DIR, name), uid);
  return files;
}

export interface RunJobOptions {
  /** Kill the whole job after this long (ms): a job must never hang a batch. */
  deadlineMs: number;
  onEvent?: (event: JobEvent) => void;
  /** Aborted: the job is killed at once (a batch stopped with Ctrl-C). */
  signal?: AbortSignal;
  /** The job's process, started ahead (EarlyJob); its starter stops it if no job takes it. */
  early?: EarlyJob;
}

/** Runs a job to its end; returns every event it sent, in order. */
export async function runJob(plan: JobPlan, opts: RunJobOptions): Promise<JobEvent[]> {
  assertSandboxTools(plan.sandbox);
  // 'inginious' and 'user' make no namespace: the job runs as a plain child (backend.ts).
  const direct = await directBackend(plan);
  if (direct) {
    try {
      return await startJob(direct.plan, opts, direct);
    } finally {
      direct.cleanup();
    }
  }
  return startJob(plan, opts, null);
}

type Direct = Awaited<ReturnType<typeof directBackend>>;

/** Step 1, on the host: the spec the job reads on stdin, with every trusted native part built and reachable. */
async function prepareSpec(plan: JobPlan, direct: Direct): Promise<JobSpec | JobEvent> {
  const launcher = await compileLauncher();
  const dropToUid = direct ? direct.dropToUid : plan.sandbox === 'bwrap' && isRoot() ? ROOT_SANDBOX_UID : null;
  if (dropToUid !== null) chownTree(plan.workDir, dropToUid);
  if (dropToUid !== null) plan = await withReachableFiles(plan, dropToUid);
  const etcFiles = dropToUid !== null ? await reachableEtcFiles(dropToUid) : undefined;

  // The trusted native parts, built here on the host, out of the student's reach.
  let harness: string | null = null;
  try {
    harness = plan.harness ? await compileHarness(plan.harness) : null;
  } catch (err) {
    if (err instanceof HarnessBuildError) return { type: 'fatal', message: err.message };
    throw err;
  }
  const faultsShim = plan.tests.some((t) => t.program.calls) ? await compileFaultsShim() : null;
  const isolated = plan.sandbox === 'bwrap';
  return {
    plan, launcher, dropToUid, privateNetwork: isolated, harness, faultsShim, remote: direct?.remote ?? null,
    parent: { pid: process.pid, hops: isolated ? 2 : 0 },
    ...(etcFiles ? { etcFiles } : {}),
  };
}

/** Step 2: the job's command line, in a fresh network, mount and pid namespace when isolated. */
async function jobCommand(privateNetwork: boolean): Promise<string[]> {
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
interface JobProcess {
  child: ChildProcessWithoutNullStreams;
  /** What it wrote on stderr so far (the first 16 KiB): why a job that could not start failed. */
  stderr: () => string;
}

function spawnJob(argv: string[]): JobProcess {
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
 * a failure) then ends the process, which reads an empty spec and exits.
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
   * Starts `count` jobs for `sandbox` now, before the caller knows what it
   * will grade (the CLI, before it loads the grader and the task); the next
   * start() calls for that sandbox take them. Returns what ends those no
   * grade took: call it before exiting.
   */
  static prestart(sandbox: SandboxKind, count: number): () => Promise<void> {
    const started = Array.from({ length: count }, () => EarlyJob.spawnFor(sandbox));
    EarlyJob.waiting.push(...started);
    return async () => {
      for (const job of started) {
        const i = EarlyJob.waiting.indexOf(job);
        if (i >= 0) EarlyJob.waiting.splice(i, 1);
      }
      await Promise.all(started.map((job) => job.stop()));
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
    job.child.stdin.end(); // no spec: the job exits at once (main.ts)
    await exited(job.child);
  }
}

async function startJob(plan: JobPlan, opts: RunJobOptions, direct: Direct): Promise<JobEvent[]> {
  const spec = await prepareSpec(plan, direct);
  if ('type' in spec) return [spec];
  const job = (!direct && (await opts.early?.take(plan.sandbox))) || spawnJob(await jobCommand(spec.privateNetwork));
  job.child.stdin.end(JSON.stringify(spec));
  const { events, code } = await collectEvents(job.child, opts);
  return withFailures(events, code, job.stderr());
}

/** Step 3: every event the job writes, until it ends or is stopped (its deadline, or the caller's abort). */
async function collectEvents(child: ChildProcessWithoutNullStreams, opts: RunJobOptions): Promise<{ events: JobEvent[]; code: number | null }> {
  const events: JobEvent[] = [];
  const timer = setTimeout(() => {
    events.push({ type: 'fatal', message: `the job did not finish within ${opts.deadlineMs} ms and was stopped` });
    child.kill('SIGKILL'); // our own child, by its pid; its sandboxes die with it
  }, opts.deadlineMs);
  const stop = () => child.kill('SIGKILL');
  if (opts.signal?.aborted) stop();
  else opts.signal?.addEventListener('abort', stop, { once: true });
  for await (const line of createInterface({ input: child.stdout })) {
    if (!line.trim()) continue;
    let event: JobEvent;
    try {
      event = JSON.parse(line) as JobEvent;
    } catch {
      continue; // only our own code writes here; a partial line means the job died mid-write
    }
    events.push(event);
    opts.onEvent?.(event);
  }
  const code = await new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.on('close', (c) => resolve(c));
  });
  clearTimeout(timer);
  opts.signal?.removeEventListener('abort', stop);
  return { events, code };
}

/** Step 4: a job that could not start is the machine's fault (thrown); one that died mid-way ends in a fatal event. */
function withFailures(events: JobEvent[], code: number | null, stderr: string): JobEvent[] {
  const fatal = events.find((e) => e.type === 'fatal');
  if (fatal?.type === 'fatal' && fatal.message.startsWith('sandbox-unavailable')) {
    throw explainSandboxFailure(fatal.message);
  }
  if (!events.some((e) => e.type === 'ready') && !fatal) {
    // The namespace itself could not be made (unshare refused, node missing...).
    throw explainSandboxFailure(stderr || `job exited with status ${code}`);
  }
  if (code !== 0 && !fatal && !events.some((e) => e.type === 'done')) {
    events.push({ type: 'fatal', message: `the grading job died (status ${code}): ${stderr.trim().slice(-500)}` });
  }
  return events;
}
