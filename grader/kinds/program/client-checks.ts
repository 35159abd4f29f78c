// Checks of a program task's `after:` beyond its exit: what it printed as its
// result (after.result), what it sent beyond the steps (after.datagrams), and
// why it did not exit. Written for clients, run for every program task (a
// test that asks nothing of them passes them). Called from verdict.ts; every
// message names the mistake, and the test's inputs go to `details` only.
import type { Datagram, TestObservation } from '../../../runner/types.js';
import type { StepContext } from '../../model/step-context.js';
import type { Task, TestSpec } from '../../model/task.js';
import { hexBytes } from '../../protocols/bytes.js';
import { busyUntilStopped } from '../../verdict/busy.js';
import { busyVerdict, type TestVerdict } from '../../verdict/primitives.js';

/** The task's result line with `value` in place of {result}. */
export function resultLine(template: string, value: string): string {
  return template.replace('{result}', value);
}

/** Every value the program printed in a result line (whitespace around the value is forgiven). */
export function printedResults(template: string, stdout: string): string[] {
  const [before = '', after = ''] = template.split('{result}');
  const out: string[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trimEnd();
    if (line.length >= before.length + after.length && line.startsWith(before) && line.endsWith(after)) {
      out.push(line.slice(before.length, line.length - after.length).trim());
    }
  }
  return out;
}

/** The answers the peer really sent: receive steps that got a datagram and had an answer planned. */
export function answersSent(obs: TestObservation, contexts: StepContext[]): Buffer[] {
  const out: Buffer[] = [];
  obs.steps.forEach((s, i) => {
    const answer = contexts[i]?.answer;
    if (s.kind === 'receive' && s.datagram && answer !== undefined) out.push(Buffer.from(answer, 'hex'));
  });
  return out;
}

function expectedResult(test: TestSpec): string | null | undefined {
  const r = test.after.result;
  return r === undefined ? undefined : r === 'none' ? null : String(r);
}

/**
 * A printed result that is wrong (or printed where none is due). Judged before
 * the exit status: "printed the payload of an error answer" says more than
 * "exited with 0".
 */
export function wrongResult(task: Task, test: TestSpec, obs: TestObservation, contexts: StepContext[]): TestVerdict | null {
  const want = expectedResult(test);
  if (want === undefined || task.resultLine === null) return null;
  const printed = printedResults(task.resultLine, obs.process.stdout);
  const wrong = printed.find((v) => v !== want);
  if (wrong === undefined) return null;
  const explained = task.protocol.explainResult?.(wrong, want, answersSent(obs, contexts)) ?? null;
  const hint = explained?.feedback ?? null;
  const cause = explained?.cause ? { cause: explained.cause } : {};
  const shown = `printed "${resultLine(task.resultLine, wrong)}"`;
  if (want === null) {
    return {
      result: 'failed',
      feedback: `printed a result line where it must print none${hint ? `: ${hint}` : ': this situation ends with a message on stderr and a non-zero status'}`,
      details: `${shown}; started as: ${test.argv.join(' ')}`,
      ...cause,
    };
  }
  return {
    result: 'failed',
    feedback: `wrong printed result: ${hint ?? 'print the value the answer carries, unchanged'}`,
    details: `expected "${resultLine(task.resultLine, want)}", ${shown}`,
    ...cause,
  };
}

/** A result that is due but was never printed. Judged after the exit status, which explains it better. */
export function missingResult(task: Task, test: TestSpec, obs: TestObservation): TestVerdict | null {
  const want = expectedResult(test);
  if (want === undefined || want === null || task.resultLine === null) return null;
  if (printedResults(task.resultLine, obs.process.stdout).length) return null;
  const out = obs.process.stdout;
  const stdout = out ? JSON.stringify(out.length > 200 ? `${out.slice(0, 200)}...` : out) : 'empty';
  return {
    result: 'failed',
    feedback: `printed no result line: print it on stdout exactly as "${resultLine(task.resultLine, 'N')}"`,
    details: `expected "${resultLine(task.resultLine, want)}"; stdout was ${stdout}`,
  };
}

function hex(d: Datagram): string {
  return hexBytes(Buffer.from(d.hex, 'hex'));
}

/** `after.datagrams`: nothing sent at all, or nothing but copies of the request a step took. */
export function checkDatagrams(who: string, test: TestSpec, obs: TestObservation): TestVerdict | null {
  const rule = test.after.datagrams;
  if (rule === undefined) return null;
  const taken = obs.steps.flatMap((s) => (s.kind === 'receive' && s.datagram ? [s.datagram] : []));
  if (rule === 'none') {
    const first = taken[0] ?? obs.unclaimedDatagrams[0];
    if (!first) return null;
    return {
      result: 'failed',
      feedback: `${who} sent a datagram where it must send nothing: check every argument before sending anything`,
      details: `started as: ${test.argv.join(' ')}; it sent: ${hex(first)}`,
    };
  }
  const request = taken[taken.length - 1];
  const other = request && obs.unclaimedDatagrams.find((d) => d.hex !== request.hex);
  if (!request || !other) return null;
  return {
    result: 'failed',
    feedback: `while waiting for the answer ${who} sent a datagram that is not a copy of its request: a retransmission repeats the request unchanged`,
    details: `request: ${hex(request)}; then: ${hex(other)}`,
  };
}

/** Why a program that had to exit by itself was still running: busy, or waiting for an answer that never came. */
export function notExited(who: string, task: Task, test: TestSpec, obs: TestObservation, contexts: StepContext[]): TestVerdict {
  const p = obs.process;
  const waited = `${who} did not exit within ${test.after.within_ms ?? task.timeouts.exitMs} ms`;
  const details = `started as: ${test.argv.join(' ')}`;
  if (busyUntilStopped(p, task.limits)) {
    return busyVerdict(who, `${waited}, runnable ${Math.round(p.runnableMs ?? 0)} ms of ${Math.round(p.wallMs)} ms`, details);
  }
  const last = obs.steps.length - 1;
  const lastStep = obs.steps[last];
  if (lastStep?.kind === 'receive' && lastStep.datagram && contexts[last]?.answer === undefined) {
    return {
      result: 'failed',
      feedback: `${waited}: it was still waiting for an answer that never came; stop waiting after a timeout (SO_RCVTIMEO, poll() or select()) and exit with an error`,
      details,
    };
  }
  return { result: 'failed', feedback: waited, details };
}
