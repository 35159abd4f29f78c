// Entry point of a grading job. It runs inside its own network namespace
// (see run-job.ts), reads a JobSpec per line on stdin, one grade each, and
// writes one JSON event per line on stdout, each grade's ending with an `end`
// line. Student output never reaches this stdout: it is captured into the
// events as data. A job whose stdin stays open after a grade (a batch's,
// a check's: job-process.ts, JobKeeper) moves to a fresh network namespace
// and takes the grade's mounts down before it says it can take another.
import { rmSync } from 'node:fs';
import { LineReader } from '../line-reader.js';
import { bindSpareSockets, closeSpareSockets } from '../peer.js';
import { askKernel } from '../readiness.js';
import { ProgramRun } from '../process.js';
import { setUpJobNetwork } from '../sandbox/network.js';
import { scratchOnTmpfs } from '../sandbox/scratch.js';
import { prepareEtcView } from '../sandbox/etc-view.js';
import type { SandboxContext, SandboxEtcFiles } from '../sandbox/command.js';
import { KeptSandboxes } from '../sandbox/kept-sandbox.js';
import { platformFailure } from '../sandbox/run-student.js';
import { copyTree } from '../tree.js';
import { SAME_PROCESS, type JobEvent, type JobPlan, type Limits, type ProcessObservation, type TestObservation, type TestPlan } from '../types.js';
import { loadJobAddon, type JobAddon } from './addon.js';
import { hasOwnNamespaces } from './own-namespaces-flag.js';
import { setUpOwnNamespaces } from './own-namespaces.js';
import { parentIsGone, type JobParent } from './parent.js';
import { runTest, type Prestarted } from './run-test.js';
import { runOnSharedStart, startUnits } from './shared-start.js';

/** Far above a task's needs (the calculator server's tests send from about 260), far below the job's open files. */
const MAX_SPARE_SOCKETS = 512;

export interface JobSpec {
  plan: JobPlan;
  launcher: string;
  dropToUid: number | null;
  /** sockgrade's own /etc files, where the sandbox's uid can read them (run-job.ts). */
  etcFiles?: SandboxEtcFiles;
  /** The job owns a private network namespace and must bring loopback up. */
  privateNetwork: boolean;
  /** Host paths of the compiled harness and faults shim, when the plan uses them. */
  harness?: string | null;
  faultsShim?: string | null;
  /** The inginious and user backends' sg-remote, and run_student for inginious (runner/job/backend.ts). */
  remote?: { launcher: string; runStudent: string | null } | null;
  /** The grading process this job must not outlive. */
  parent: JobParent;
  /** The job's addon (job-addon.c, addon.ts): null, one grade per job and readiness read from /proc. */
  addon?: string | null;
}

/** What the job writes: the grade's events, then `end`; `next`: it is ready for another grade, in a fresh namespace. */
/**
 * A line the job writes: an event, or the grade's end. The tests of one
 * shared start (shared-start.ts) have one process observation, the start's,
 * which holds every socket call the program reported (~30 KB a test for a
 * correct C server): a test of the start after the first names it
 * SAME_PROCESS instead, and the grader's side puts the one before back
 * (run-job.ts).
 */
export type JobLine = JobEvent | { type: 'end'; next: boolean } | { type: 'test'; test: Omit<TestObservation, 'process'> & { process: typeof SAME_PROCESS } };

function emit(event: JobLine): void {
  process.stdout.write(JSON.stringify(event) + '\n');
}

/**
 * bwrap reports its own setup failures as "bwrap: ..." on stderr, before the
 * launcher runs (so no meta record). Recognising them here, rather than
 * starting a probe program in every job, keeps a sandbox that cannot work
 * from ever being blamed on the student.
 */
function sandboxFailed(p: ProcessObservation, limits: Limits): boolean {
  const platform = p.platformCode === undefined ? null : platformFailure(p, limits);
  if (platform) {
    emit({ type: 'fatal', message: `sandbox-unavailable: ${platform}` });
    return true;
  }
  // The launcher's own "started" record (which the program cannot forge or
  // suppress) says the sandbox worked; only without it does bwrap's stderr count.
  if (p.launched || p.stoppedBy !== null || !/^(bwrap|setpriv|sg-launch): /m.test(p.stderr)) return false;
  emit({ type: 'fatal', message: `sandbox-unavailable: ${p.stderr.trim().split('\n')[0]}` });
  return true;
}

/** Runs `step`; what failed, said after `what`, or null. */
function failureOf(what: string, step: () => unknown): string | null {
  try {
    step();
    return null;
  } catch (err) {
    return `${what}: ${(err as Error).message}`;
  }
}

/** Step 1: the grade's scratch tmpfs and /etc; null (after a fatal event) when one cannot be made, or when the job's start could not set its namespaces up. */
function setUpJob(spec: JobSpec, startFailure: string | null, addon: JobAddon | null): SandboxContext | null {
  const { plan } = spec;
  const fail = (failure: string) => {
    emit({ type: 'fatal', message: `sandbox-unavailable: ${failure}` });
    return null;
  };
  if (startFailure) return fail(startFailure);
  let workDir = plan.workDir;
  if (spec.privateNetwork && plan.scratchMb) {
    const failure = failureOf("cannot mount the scratch tmpfs in the job's mount namespace", () => {
      workDir = scratchOnTmpfs(plan.workDir, plan.scratchMb!, spec.dropToUid, addon ? (target, options) => addon.mountTmpfs(target, options) : undefined);
    });
    if (failure) return fail(failure);
  }
  let etcDir: string | null = null;
  if (spec.privateNetwork && addon) {
    const failure = failureOf("cannot make the sandbox's /etc in the job's mount namespace", () => {
      etcDir = prepareEtcView(addon, `${plan.workDir}-etc`, spec.etcFiles);
    });
    if (failure) return fail(failure);
  }
  return {
    kind: plan.sandbox,
    workDir,
    etcDir,
    launcher: spec.launcher,
    dropToUid: spec.dropToUid,
    harness: spec.harness ?? null,
    faultsShim: spec.faultsShim ?? null,
    remote: spec.remote ?? null,
    ...(spec.etcFiles ? { etcFiles: spec.etcFiles } : {}),
    // The tests' programs start in kept sandboxes where the addon can pass them their sockets.
    kept: plan.sandbox === 'bwrap' && addon?.sendWithFds ? new KeptSandboxes(addon) : null,
    starter: addon?.spawnProcess ? addon : null,
  };
}

/**
 * A test's program with its sandbox set up ahead, held at the gate until the
 * test starts it (ProgramRun's `gated`): setting a sandbox up costs about as
 * much as a short test, and overlaps the build or the test before. The
 * program itself starts exactly where it would without this.
 */
function prestart(ctx: SandboxContext, test: TestPlan | undefined): Prestarted {
  if (!test || !ProgramRun.canPrestart(ctx)) return null;
  return new ProgramRun(ctx, test.program, performance.now(), { gated: true });
}

/**
 * The built scratch folder copied out for the next identical submission
 * (runner/job/build-cache.ts); false when it cannot be (a FIFO the build
 * made, a hard link to a file not the sandbox's...): the next one builds.
 */
function keep(ctx: SandboxContext, to: string): boolean {
  try {
    copyTree(ctx.workDir, to, ctx.dropToUid === null ? {} : { owner: ctx.dropToUid });
    return true;
  } catch {
    rmSync(to, { recursive: true, force: true });
    return false;
  }
}

/** Step 2: the build, when the plan has one; false when the job must end here. */
async function build(ctx: SandboxContext, plan: JobPlan): Promise<boolean> {
  if (!plan.build) return true;
  const started = performance.now();
  const proc = await new ProgramRun(ctx, plan.build, started, { fresh: true }).finish(null);
  if (sandboxFailed(proc, plan.build.limits)) return false;
  const ok = proc.exitCode === 0;
  const durationMs = Math.round(performance.now() - started);
  const kept = ok && plan.keepBuildIn ? keep(ctx, plan.keepBuildIn) : undefined;
  emit({ type: 'build', build: { ok, process: proc, durationMs }, ...(kept === undefined ? {} : { kept }) });
  if (!ok) emit({ type: 'done' });
  return ok;
}

/** The process observation the last test event carried (a shared start's tests name it SAME_PROCESS after the first). */
let lastProcess: ProcessObservation | null = null;

/** A test's observation sent on; false when it shows the sandbox itself failed (the job ends). */
function emitTest(obs: TestObservation, test: TestPlan): boolean {
  if (sandboxFailed(obs.process, test.program.limits)) return false;
  emit(obs.process === lastProcess ? { type: 'test', test: { ...obs, process: SAME_PROCESS } } : { type: 'test', test: obs });
  lastProcess = obs.process;
  return true;
}

/**
 * Step 3: the tests, one start after the other, each next one's sandbox set
 * up while the one before runs. Tests that may share a start run on one
 * (shared-start.ts), and those it left on the next, until each test is
 * served; after a start that ended in a limit, each runs alone.
 *
 * In a kept sandbox, setting the next start up is a few sockets and no
 * process: it waits until a test's own program is on its way, and overlaps
 * that program getting ready (~1 ms a test, where it came first). A sandbox
 * of its own per start (a bwrap spawned) is set up first, as before: it
 * takes longer than a short test.
 */
async function runTests(ctx: SandboxContext, tests: TestPlan[], first: Prestarted): Promise<void> {
  const units = startUnits(tests);
  let next = first;
  try {
    for (let i = 0; i < units.length; i++) {
      let current = next;
      let pending = units[i]!;
      next = null;
      let setUp = false;
      const failed: unknown[] = []; // thrown once this test is reported, as it would have been before it
      const setUpNext = () => {
        if (setUp) return;
        setUp = true;
        try {
          next = prestart(ctx, units[i + 1]?.[0]);
        } catch (err) {
          failed.push(err);
        }
      };
      const afterStart = ctx.kept !== null && pending.length === 1;
      if (!afterStart) setUpNext();
      try {
        // In order: tests for shared starts, `retry` when a start that ended in a limit or a crash answered them first.
        const segments = [{ tests: pending, retry: false }];
        for (let segment = segments.shift(); segment; segment = segments.shift()) {
          pending = segment.tests;
          while (pending.length > 1) {
            const shared = await runOnSharedStart(ctx, pending, current, () => prestart(ctx, pending[0]));
            current = shared.next;
            for (const [k, obs] of shared.served.entries()) if (!emitTest(obs, pending[k]!)) return;
            if (shared.restart) {
              pending = shared.again;
              continue;
            }
            if (!segment.retry && (shared.answeredBefore ?? 0) >= 2) {
              segments.unshift({ tests: pending.slice(0, shared.answeredBefore), retry: true }, { tests: pending.slice(shared.answeredBefore), retry: false });
              pending = [];
            }
            break;
          }
          for (const test of pending) {
            const set = current;
            current = null;
            if (!emitTest(await runTest(ctx, test, set, afterStart ? setUpNext : undefined), test)) return;
          }
        }
      } finally {
        await current?.finish('end-of-test'); // set up for a start no test was left for
      }
      setUpNext(); // the test failed before its program started
      if (failed.length) throw failed[0];
    }
    emit({ type: 'done' });
  } finally {
    await next?.finish('end-of-test');
  }
}

/** How many sockets the tests send from (each name one socket per test), at most MAX_SPARE_SOCKETS. */
function peerSocketCount(tests: TestPlan[]): number {
  const count = tests.reduce((sum, t) => sum + new Set(t.steps.flatMap((s) => (s.kind === 'send' ? [s.socket] : []))).size, 0);
  return Math.min(count, MAX_SPARE_SOCKETS);
}

/** One grade: its set-up, build and tests, each event sent as it comes; the context of its sandboxes, or null when it could not be set up. */
async function grade(spec: JobSpec, startFailure: string | null, addon: JobAddon | null): Promise<SandboxContext | null> {
  const t0 = performance.now();
  lastProcess = null;
  const ctx = setUpJob(spec, startFailure, addon);
  if (!ctx) return null;
  emit({ type: 'ready', setupMs: Math.round(performance.now() - t0) });
  // The build starts first: it is what the tests wait for. The first test's
  // sandbox and the peer's sockets are then made while it runs.
  const building = build(ctx, spec.plan);
  let firstTest: Prestarted = null;
  let built = false;
  try {
    firstTest = prestart(ctx, spec.plan.tests[0]);
    const sockets = bindSpareSockets(peerSocketCount(spec.plan.tests));
    built = await building;
    await sockets;
  } finally {
    if (!built) {
      await building.catch(() => false);
      await firstTest?.finish('end-of-test');
    }
  }
  try {
    if (built) await runTests(ctx, spec.plan.tests, firstTest);
  } finally {
    await ctx.kept?.close();
  }
  return ctx;
}

/**
 * Readies the job for another grade: the last grade's mounts down, its spare
 * sockets closed, and a fresh network namespace set up as the first was;
 * false when any of it fails (the job then ends, and the next grade gets a
 * new job).
 */
async function readyForNext(spec: JobSpec, ctx: SandboxContext, addon: JobAddon | null): Promise<boolean> {
  if (!addon || !spec.privateNetwork) return false;
  try {
    if (ctx.etcDir) addon.detach(ctx.etcDir);
    if (ctx.workDir !== spec.plan.workDir) addon.detach(ctx.workDir); // the scratch tmpfs
    closeSpareSockets();
    addon.freshNetwork();
    await setUpJobNetwork(addon);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  // With namespaces of its own, the job set them up as it started (start.ts): here it waits for that.
  const ownNamespaces = hasOwnNamespaces(process.argv);
  let startFailure = ownNamespaces ? await setUpOwnNamespaces() : null;
  const input = new LineReader(process.stdin);
  let first = true;
  // Loaded with the first spec: every spec of one job names the same install's addon.
  let addon: JobAddon | null = null;
  for await (const line of input) {
    if (!line.trim()) continue;
    const spec = JSON.parse(line) as JobSpec;
    if (first) {
      // The grading process died before the job's death signal was in place: nothing would stop this job later.
      // (A job with namespaces of its own: its reaper checked before it started it.)
      if (!ownNamespaces && parentIsGone(spec.parent)) process.exit(1);
      addon = spec.addon ? loadJobAddon(spec.addon) : null;
      askKernel(addon);
    }
    const ctx = await grade(spec, startFailure, addon);
    first = false;
    startFailure = null;
    // A job started ahead of its plan (EarlyJob) and never given one ends at its stdin's end, as does a one-grade job.
    const next = !input.ended && ctx !== null && (await readyForNext(spec, ctx, addon));
    emit({ type: 'end', next });
    if (!next) return;
  }
}

/**
 * Exits once every event written so far has reached the pipe: writes to a
 * pipe are asynchronous in Node, and process.exit() drops what is still
 * queued (the observations of a shared start come in a burst of ~0.5 MB,
 * which a busy grading process reads slowly). A blank line is skipped by
 * the reader; its callback runs after every write before it.
 */
function exitAfterEvents(code: number): void {
  process.stdout.write('\n', () => process.exit(code));
}

main().then(
  () => exitAfterEvents(0),
  (err: unknown) => {
    emit({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
    emit({ type: 'end', next: false });
    exitAfterEvents(1);
  },
);
