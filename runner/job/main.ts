// Entry point of a grading job. It runs inside its own network namespace
// (see run-job.ts), reads a JobSpec on stdin and writes one JSON event per
// line on stdout. Student output never reaches this stdout: it is captured
// into the events as data.
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { ProgramRun } from '../process.js';
import type { SandboxContext } from '../sandbox/command.js';
import type { CommandPlan, JobEvent, JobPlan } from '../types.js';
import { runTest } from './run-test.js';

export interface JobSpec {
  plan: JobPlan;
  launcher: string;
  dropToUid: number | null;
  /** The job owns a private network namespace and must bring loopback up. */
  privateNetwork: boolean;
}

function emit(event: JobEvent): void {
  process.stdout.write(JSON.stringify(event) + '\n');
}

const SELF_TEST: CommandPlan = {
  argv: ['/bin/true'],
  limits: { cpuSeconds: 1, wallSeconds: 5, memoryMb: 64, processes: 8, fileSizeMb: 1, openFiles: 16, outputKb: 4 },
};

async function main(): Promise<void> {
  const t0 = performance.now();
  const spec = JSON.parse(readFileSync(0, 'utf8')) as JobSpec;
  const { plan } = spec;
  if (spec.privateNetwork) await execa('ip', ['link', 'set', 'lo', 'up']);
  const ctx: SandboxContext = {
    kind: plan.sandbox,
    workDir: plan.workDir,
    launcher: spec.launcher,
    dropToUid: spec.dropToUid,
  };

  // Prove the sandbox can start a program before blaming anything on the student.
  const probe = await new ProgramRun(ctx, SELF_TEST, t0).finish(null);
  if (probe.exitCode !== 0) {
    emit({ type: 'fatal', message: `sandbox-unavailable: ${(probe.stderr || probe.execError || `exit ${probe.exitCode ?? probe.signal}`).trim()}` });
    return;
  }
  emit({ type: 'ready', setupMs: Math.round(performance.now() - t0) });

  if (plan.build) {
    const started = performance.now();
    const proc = await new ProgramRun(ctx, plan.build, started).finish(null);
    const ok = proc.exitCode === 0;
    emit({ type: 'build', build: { ok, process: proc, durationMs: Math.round(performance.now() - started) } });
    if (!ok) {
      emit({ type: 'done' });
      return;
    }
  }
  for (const test of plan.tests) emit({ type: 'test', test: await runTest(ctx, test) });
  emit({ type: 'done' });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    emit({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  },
);
