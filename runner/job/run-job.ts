// The host side of a grading job: compile the launcher, hand the scratch
// folder to the sandbox user, start the job in a fresh network namespace and
// stream its events back. A job that hangs is killed at its deadline.
import path from 'node:path';
import { compileJobAddon, compileLauncher, stageFile } from '../sandbox/native.js';
import { canRead, ROOT_SANDBOX_UID } from '../sandbox/native-cache.js';
import { SANDBOX_ETC, SANDBOX_ETC_DIR, type SandboxEtcFiles } from '../sandbox/command.js';
import { chownTree } from '../sandbox/scratch.js';
import { compileFaultsShim, compileHarness, HarnessBuildError } from '../harness/build.js';
import { assertSandboxTools, explainSandboxFailure, isRoot } from '../sandbox/probe.js';
import { SAME_PROCESS, type CommandPlan, type JobEvent, type JobPlan, type ProcessObservation, type SandboxKind, type TestObservation } from '../types.js';
import { directBackend } from './backend.js';
import { loadJobAddon } from './addon.js';
import { exited } from './job-command.js';
import { EarlyJob, jobCommand, spawnJob, type JobKeeper, type JobProcess } from './job-process.js';
import type { JobLine, JobSpec } from './main.js';

export { ROOT_SANDBOX_UID } from '../sandbox/native-cache.js';
export { launcherSource } from '../sandbox/native.js';
export { EarlyJob, JobKeeper } from './job-process.js';

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
  /** Keeps the job's process for a next grade when it can serve one (a batch's, a check's). */
  keeper?: JobKeeper;
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
async function prepareSpec(plan: JobPlan, direct: Direct, opts: RunJobOptions): Promise<JobSpec | JobEvent> {
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
  const addon = isolated ? await compileJobAddon() : null;
  return {
    plan, launcher, dropToUid, privateNetwork: isolated, harness, faultsShim, remote: direct?.remote ?? null, addon,
    parent: { pid: process.pid },
    ...(etcFiles ? { etcFiles } : {}),
  };
}

async function startJob(plan: JobPlan, opts: RunJobOptions, direct: Direct): Promise<JobEvent[]> {
  const spec = await prepareSpec(plan, direct, opts);
  if ('type' in spec) return [spec];
  const command = () => jobCommand(spec.privateNetwork);
  let job = (!direct && ((await opts.early?.take(plan.sandbox)) || (spec.privateNetwork && opts.keeper?.take()))) || spawnJob(await command());
  if (job.child.reapWith && spec.addon) {
    // A job the shell line started: reaped through the addon, so that its CPU time counts as a spawned job's does.
    const addon = loadJobAddon(spec.addon);
    if (addon) job.child.reapWith((pid) => addon.reap(pid));
  }
  let run = await serve(job, spec, opts);
  // A kept job that died while it waited (nothing of this grade reached it): once more, on a new one.
  if (job.served > 0 && !run.events.length) run = await serve((job = spawnJob(await command())), spec, opts);
  return withFailures(run.events, run.code ?? job.child.signalCode, job.stderr());
}

/**
 * A kept job is retired after this many grades: whatever a long life might
 * pile up in it (its heap grows from ~55 to ~100 MB over its first 40
 * grades) stays bounded, for one Node start per this many grades.
 */
const GRADES_PER_JOB = 100;

/** Step 2: hands `job` one spec and reads that grade's events; the job is then kept for another grade, or ended. */
async function serve(job: JobProcess, spec: JobSpec, opts: RunJobOptions): Promise<{ events: JobEvent[]; code: number | null }> {
  const keep = Boolean(opts.keeper && spec.addon);
  const { child } = job;
  const events: JobEvent[] = [];
  // Until the grade's end is read, and the job's exit when it is not kept: past its deadline, or on the caller's abort, it is killed.
  const timer = setTimeout(() => {
    events.push({ type: 'fatal', message: `the job did not finish within ${opts.deadlineMs} ms and was stopped` });
    child.kill('SIGKILL'); // our own child, by its pid; its sandboxes die with it
  }, opts.deadlineMs);
  const stop = () => child.kill('SIGKILL');
  if (opts.signal?.aborted) stop();
  else opts.signal?.addEventListener('abort', stop, { once: true });
  try {
    child.stdin.write(JSON.stringify(spec) + '\n');
    if (!keep) child.stdin.end();
    const next = await collectEvents(job, events, opts);
    job.served++;
    if (keep && next && job.served < GRADES_PER_JOB && !events.some((e) => e.type === 'fatal')) {
      opts.keeper!.keep(job);
      return { events, code: 0 };
    }
    child.stdin.end();
    await exited(child);
    return { events, code: child.exitCode };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', stop);
  }
}

/** Every event of this grade into `events`, until the job's `end` or its exit; true when it said it can take another grade. */
async function collectEvents(job: JobProcess, events: JobEvent[], opts: RunJobOptions): Promise<boolean> {
  let lastProcess: ProcessObservation | null = null;
  for (let r = await job.lines.next(); !r.done; r = await job.lines.next()) {
    if (!r.value.trim()) continue;
    let line: JobLine;
    try {
      line = JSON.parse(r.value) as JobLine;
    } catch {
      continue; // only our own code writes here; a partial line means the job died mid-write
    }
    if (line.type === 'end') return line.next;
    const event: JobEvent = line.type === 'test' ? withProcess(line.test, lastProcess) : line;
    if (event.type === 'test') lastProcess = event.test.process;
    events.push(event);
    opts.onEvent?.(event);
  }
  return false;
}

/** A test event with its process observation, the one of the test before where the job said SAME_PROCESS (one object for the tests of one start). */
function withProcess(test: TestObservation | (Omit<TestObservation, 'process'> & { process: typeof SAME_PROCESS }), before: ProcessObservation | null): JobEvent {
  if (test.process !== SAME_PROCESS) return { type: 'test', test: test as TestObservation };
  if (!before) return { type: 'fatal', message: `the job sent test ${test.id} with the process of a test it never sent` };
  return { type: 'test', test: { ...test, process: before } };
}

/** How the job ended, said: its exit status, or the signal that ended it. */
function jobEnd(end: number | NodeJS.Signals | null): string {
  return typeof end === 'string' ? `killed by ${end}` : `exited with status ${end}`;
}

/** Step 3: a job that could not start is the machine's fault (thrown); one that died mid-way ends in a fatal event. `end`: its exit status, or the signal that ended it. */
function withFailures(events: JobEvent[], end: number | NodeJS.Signals | null, stderr: string): JobEvent[] {
  const fatal = events.find((e) => e.type === 'fatal');
  if (fatal?.type === 'fatal' && fatal.message.startsWith('sandbox-unavailable')) {
    throw explainSandboxFailure(fatal.message);
  }
  if (!events.some((e) => e.type === 'ready') && !fatal) {
    // The namespace itself could not be made (unshare refused, node missing...).
    throw explainSandboxFailure(stderr || `job ${jobEnd(end)}`);
  }
  if (end !== 0 && !fatal && !events.some((e) => e.type === 'done')) {
    events.push({ type: 'fatal', message: `the grading job died (${jobEnd(end)})${stderr.trim() ? `: ${stderr.trim().slice(-500)}` : ''}` });
  }
  return events;
}
