// Where a program test's verdict is decided: the runner's observation of the
// program, held against what the test expects. Limits first (they explain
// everything after them), then whether it started and bound its port, then
// each step in order, then what it sent beyond them, then how it ended.
import type { ProcessObservation, TestObservation } from '../../../runner/types.js';
import type { StepContext } from '../../model/step-context.js';
import type { Task, TestSpec } from '../../model/task.js';
import { readRunReport } from '../../../runner/harness/report.js';
import { excerpt } from '../../excerpt.js';
import { cutAddress, describeCutAddress } from '../../verdict/cut-address.js';
import { checkSteps, ended, exitStatus, limitVerdict, printed, type TestVerdict } from '../../verdict/primitives.js';
import { checkDatagrams, missingResult, notExited, wrongResult } from './client-checks.js';

/** How feedback names the program: by the task's role. */
export function programNoun(task: Task): string {
  return task.role === 'server' ? 'the server' : 'the client';
}

/**
 * The step that most likely made the program die: the first one it never
 * answered. Named from the answers alone: whether the runner saw the end
 * before or after it sent that datagram is a matter of timing (the load).
 */
function culprit(obs: TestObservation, contexts: StepContext[]): string {
  let lastAnswered = -1;
  obs.steps.forEach((s, i) => {
    if (s.kind === 'send' && s.replies.length > 0) lastAnswered = i;
  });
  const index = Math.min(lastAnswered + 1, obs.steps.length - 1);
  if (index < 0) return 'before the first datagram';
  return `after datagram ${index + 1} of the test (${contexts[index]?.describe ?? 'a datagram'})`;
}

function matches(pattern: string, text: string): boolean {
  if (pattern === 'nonempty') return text.trim().length > 0;
  if (pattern === 'empty') return text.trim().length === 0;
  return new RegExp(pattern, 'm').test(text);
}

/** The program could not start, or never bound its port (IPv6) before the steps. */
function notStarted(who: string, task: Task, test: TestSpec, obs: TestObservation): TestVerdict | null {
  const p = obs.process;
  if (obs.ready === 'exited') {
    // The same end in every test is one cause, said once (grader/report/causes.ts).
    return { result: p.signal ? 'crash' : 'failed', feedback: `${who} ${ended(test, p)} before binding UDP port ${test.port}`, details: printed(test, p, `started as: ${test.argv.join(' ')}`), cause: 'exited-before-binding' };
  }
  if (obs.ready === 'ipv4-only') {
    return { result: 'failed', feedback: `${who} bound port ${test.port} with an IPv4 socket: create it with AF_INET6 (the grader talks to ::1)` };
  }
  if (obs.ready === 'not-ready') {
    return { result: 'failed', feedback: `${who} did not bind UDP port ${test.port} (IPv6) within ${task.timeouts.readyMs} ms`, details: `started as: ${test.argv.join(' ')}` };
  }
  return null;
}

/** `after: {running: true}`: the program must still be serving after the steps. */
function checkStillRunning(who: string, test: TestSpec, obs: TestObservation, contexts: StepContext[]): TestVerdict | null {
  if (obs.aliveAfterSteps) return null;
  // A program that answered every step and exited just after the last reply
  // may or may not be seen gone yet: judging that would make the verdict a
  // race. Tests that must prove a server keeps serving end with one more request.
  const last = obs.steps[obs.steps.length - 1];
  const allAnswered = obs.steps.every((s) => s.outcome !== 'program-exited' && s.outcome !== 'not-run' && s.outcome !== 'no-reply');
  if (allAnswered && last?.kind === 'send' && last.outcome === 'replied' && (obs.exitedDuringStep ?? obs.steps.length - 1) >= obs.steps.length - 1) {
    return null;
  }
  const p = obs.process;
  const how = ended(test, p);
  return {
    result: p.signal ? 'crash' : 'failed',
    feedback: `${who} ${how} ${culprit(obs, contexts)}${p.signal ? '' : ': it must keep serving until it is killed'}`,
    details: printed(test, p),
  };
}

/** `after: {exit, stderr, stdout}` of a program that ended by itself. */
function checkExitAndOutput(who: string, test: TestSpec, p: ProcessObservation): TestVerdict | null {
  const a = test.after;
  const code = p.exitCode ?? -1;
  if (a.exit === 'nonzero' && code === 0) {
    return { result: 'failed', feedback: `${who} exited with status 0, but this situation must end in a non-zero status`, details: printed(test, p, `started as: ${test.argv.join(' ')}`) };
  }
  if (typeof a.exit === 'number' && code !== a.exit) {
    return { result: 'failed', feedback: `${who} exited with ${exitStatus(test, code)}, expected ${a.exit}`, details: printed(test, p) };
  }
  if (a.stderr !== undefined && !matches(a.stderr, p.stderr)) {
    const want = a.stderr === 'nonempty' ? 'a message on stderr explaining the problem' : a.stderr === 'empty' ? 'nothing on stderr' : 'an other message on stderr';
    return { result: 'failed', feedback: `expected ${want}; stderr was ${p.stderr.trim() ? 'something else' : 'empty'}`, details: printed(test, p) };
  }
  if (a.stdout !== undefined && !matches(a.stdout, p.stdout)) {
    return {
      result: 'failed',
      feedback: `stdout does not have the expected form${p.stdout.trim() ? '' : ': it was empty'}`,
      details: `expected a line matching /${a.stdout}/; stdout: "${excerpt(p.stdout)}"`,
    };
  }
  return null;
}

/** How the program ended, against `after`. */
function checkEnd(who: string, task: Task, test: TestSpec, obs: TestObservation, contexts: StepContext[]): TestVerdict | null {
  if (test.after.running) return checkStillRunning(who, test, obs, contexts);
  // The program must end by itself.
  const p = obs.process;
  if (p.stoppedBy !== null) return notExited(who, task, test, obs, contexts);
  if (p.signal) return { result: 'crash', feedback: `${who} ${ended(test, p)}`, details: printed(test, p) };
  return wrongResult(task, test, obs, contexts) ?? checkExitAndOutput(who, test, p) ?? missingResult(task, test, obs);
}

/**
 * A failure the faults shim's record of the socket calls explains (it runs
 * observe-only, docs/architecture.md): a receive that cut the client's
 * address is the cause of the missing answer, named instead of the symptom,
 * which moves to details.
 */
function withCause(verdict: TestVerdict, obs: TestObservation): TestVerdict {
  const lines = obs.process.report?.lines;
  if (verdict.result !== 'failed' || !lines) return verdict;
  const cut = cutAddress(readRunReport(lines).calls);
  if (!cut) return verdict;
  const f = describeCutAddress(cut);
  return { result: 'failed', feedback: f.feedback, details: [f.details, `what it caused: ${verdict.feedback}`, verdict.details].filter(Boolean).join('; '), cause: f.cause };
}

export function decideProgramVerdict(task: Task, test: TestSpec, obs: TestObservation, contexts: StepContext[]): TestVerdict {
  return withCause(decideFromObservation(task, test, obs, contexts), obs);
}

function decideFromObservation(task: Task, test: TestSpec, obs: TestObservation, contexts: StepContext[]): TestVerdict {
  const who = programNoun(task);
  const p = obs.process;
  if (p.execError) {
    return { result: 'failed', feedback: `the program could not be started: ${p.execError} (is '${task.program}' an executable, with a valid #! line for a script?)` };
  }
  return (
    limitVerdict(who, task, p) ??
    notStarted(who, task, test, obs) ??
    checkSteps(who, task, test, obs, contexts) ??
    checkDatagrams(who, test, obs) ??
    checkEnd(who, task, test, obs, contexts) ?? { result: 'success', feedback: '' }
  );
}
