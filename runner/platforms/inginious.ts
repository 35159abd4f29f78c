// Delivers feedback to INGInious by running the feedback commands its
// grading containers put on PATH (feedback-result, feedback-grade, ...).
// Which calls, with which arguments, is decided by grader/report/inginious.ts;
// this module only finds the commands and runs them, one after the other.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { findOnPath } from '../on-path.js';

export type Delivery =
  | { status: 'delivered'; calls: number }
  /** No feedback command on PATH: not inside INGInious. */
  | { status: 'absent' }
  | { status: 'failed'; message: string };

/** A feedback command that hangs must not hang the grading container. */
const CALL_TIMEOUT_MS = 30_000;

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string | null> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, timeout: CALL_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, _stdout, stderr) => {
      if (!err) return resolve(null);
      const why = err.killed ? `did not finish within ${CALL_TIMEOUT_MS} ms` : `failed (${err.code ?? err.signal})`;
      const said = String(stderr).trim().split('\n').pop();
      resolve(`${path.basename(file)} ${why}${said ? `: ${said}` : ''}`);
    });
    // feedback-msg reads its message from stdin when none is given: never let it wait.
    child.stdin?.end();
  });
}

/** Makes the calls in order; stops at the first that fails. */
export async function deliverFeedback(calls: string[][], env: NodeJS.ProcessEnv = process.env): Promise<Delivery> {
  const names = [...new Set(calls.map((c) => c[0]!))];
  const found = new Map(names.map((n) => [n, findOnPath(n, env.PATH ?? '')]));
  const missing = names.filter((n) => !found.get(n));
  if (missing.length === names.length) return { status: 'absent' };
  if (missing.length) {
    return { status: 'failed', message: `cannot deliver INGInious feedback: ${missing.join(', ')} not found on PATH, though ${names.filter((n) => found.get(n)).join(', ')} is; is this an INGInious grading container?` };
  }
  for (const [cmd, ...args] of calls) {
    const failure = await run(found.get(cmd!)!, args, env);
    if (failure) return { status: 'failed', message: `cannot deliver INGInious feedback: ${failure}` };
  }
  return { status: 'delivered', calls: calls.length };
}
