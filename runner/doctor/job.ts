// Entry point of the doctor's grading job, started by runner/doctor/doctor.ts
// under sg-with-session-key: reads a JobPlan on stdin, runs it with the
// ordinary job machinery and writes its events, one JSON line each. The first
// line says whether the key planted in this session keyring is really there.
import { readFileSync } from 'node:fs';
import { SandboxUnavailableError } from '../errors.js';
import { runJob } from '../job/run-job.js';
import type { JobPlan } from '../types.js';

export interface DoctorJobInput {
  plan: JobPlan;
  keyDescription: string;
  deadlineMs: number;
}

/** Lines this entry writes besides the job's own events. */
export type DoctorJobLine = { type: 'key'; planted: boolean } | { type: 'unavailable'; message: string };

function write(line: unknown): void {
  process.stdout.write(JSON.stringify(line) + '\n');
}

async function main(): Promise<void> {
  const input = JSON.parse(readFileSync(0, 'utf8')) as DoctorJobInput;
  // The key has no view permission but the possessor's: only this session sees it.
  write({ type: 'key', planted: readFileSync('/proc/keys', 'utf8').includes(input.keyDescription) });
  try {
    await runJob(input.plan, { deadlineMs: input.deadlineMs, onEvent: write });
  } catch (err) {
    if (err instanceof SandboxUnavailableError) write({ type: 'unavailable', message: err.message });
    else throw err;
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    write({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  },
);
