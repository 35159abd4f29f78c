// The host side of a grading job: compile the launcher, hand the scratch
// folder to the sandbox user, start the job in a fresh network namespace and
// stream its events back. A job that hangs is killed at its deadline.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { distRunnerDir, packageRoot } from '../paths.js';
import { compileNative } from '../sandbox/native.js';
import { chownTree } from '../sandbox/scratch.js';
import { compileFaultsShim, compileHarness, HarnessBuildError } from '../harness/build.js';
import { assertSandboxTools, explainSandboxFailure, isRoot } from '../sandbox/probe.js';
import type { JobEvent, JobPlan } from '../types.js';
import type { JobSpec } from './main.js';

/** The unprivileged uid student code runs under when sockgrade itself runs as root. */
export const ROOT_SANDBOX_UID = 65534;

export function launcherSource(): string {
  return path.join(packageRoot, 'runner', 'sandbox', 'launcher.c');
}

/** pid 1 of the job's pid namespace: reaps what the namespace hands to it (see reaper.c). */
function reaperSource(): string {
  return path.join(packageRoot, 'runner', 'job', 'reaper.c');
}


export interface RunJobOptions {
  /** Kill the whole job after this long (ms): a job must never hang a batch. */
  deadlineMs: number;
  onEvent?: (event: JobEvent) => void;
}

/** Runs a job to its end; returns every event it sent, in order. */
export async function runJob(plan: JobPlan, opts: RunJobOptions): Promise<JobEvent[]> {
  assertSandboxTools(plan.sandbox);
  const launcher = await compileNative(launcherSource(), 'exe');
  const root = isRoot();
  const dropToUid = plan.sandbox === 'bwrap' && root ? ROOT_SANDBOX_UID : null;
  if (dropToUid !== null) chownTree(plan.workDir, dropToUid);

  // The trusted native parts, built here on the host, out of the student's reach.
  let harness: string | null = null;
  try {
    harness = plan.harness ? await compileHarness(plan.harness) : null;
  } catch (err) {
    if (err instanceof HarnessBuildError) return [{ type: 'fatal', message: err.message }];
    throw err;
  }
  const faultsShim = plan.tests.some((t) => t.program.calls) ? await compileFaultsShim() : null;

  const isolated = plan.sandbox === 'bwrap';
  const spec: JobSpec = {
    plan, launcher, dropToUid, privateNetwork: isolated, harness, faultsShim,
    parent: { pid: process.pid, hops: isolated ? 2 : 0 },
  };
  const entry = path.join(distRunnerDir, 'job', 'main.js');
  // The job dies with this process, however it dies (see parent.ts): setpriv's
  // death signal for unshare, --kill-child for the reaper, pid 1 of the job's
  // own pid namespace, whose end takes everything in the namespace with it.
  const job = isolated
    ? ['unshare', ...(root ? [] : ['--user', '--map-root-user']), '--net', '--mount', '--pid', '--fork', '--kill-child', '--',
        await compileNative(reaperSource(), 'exe'), process.execPath, entry]
    : [process.execPath, entry];

  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...job], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(JSON.stringify(spec));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 16_384) stderr += d.toString('utf8');
  });

  const events: JobEvent[] = [];
  const timer = setTimeout(() => {
    events.push({ type: 'fatal', message: `the job did not finish within ${opts.deadlineMs} ms and was stopped` });
    child.kill('SIGKILL'); // our own child, by its pid; its sandboxes die with it
  }, opts.deadlineMs);
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
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
