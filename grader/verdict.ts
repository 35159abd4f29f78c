// Where a test's verdict is decided: the runner's observation of one test,
// held against what the test expects. Limits first (they explain everything
// after them), then readiness, then each step in order, then how it ended.
import { OUTPUT_STOP_MIB, type ProcessObservation, type TestObservation } from '../runner/types.js';
import { busyWhileAwaitingReply, hitCpuLimit } from './busy.js';
import { checkDatagrams, missingResult, notExited, wrongResult } from './client-checks.js';
import { decideFunctionVerdict } from './functions/verdict.js';
import type { StepContext } from './plan.js';
import type { Finding } from './protocols/protocol.js';
import type { Task, TestSpec } from './task/load.js';
import { excerpt } from './excerpt.js';

export type TestResult = 'success' | 'failed' | 'timeout' | 'crash' | 'overflow' | 'killed' | 'error';

export interface TestVerdict {
  result: TestResult;
  feedback: string;
  /** Inputs and bytes behind the feedback; reports show them for visible tests only. */
  details?: string;
  /** The diagnosed mistake behind the failure (a Finding's cause), shared by every test it explains (grader/causes.ts). */
  cause?: string;
}

const SIGNALS: Record<string, string> = {
  SIGSEGV: 'segmentation fault: an invalid memory access (a NULL or out-of-bounds pointer, a buffer too small?)',
  SIGBUS: 'bus error: an invalid memory access',
  SIGABRT: 'aborted (a failed assert, a double free or corrupted heap?)',
  SIGFPE: 'arithmetic exception (a division by zero?)',
  SIGILL: 'illegal instruction',
  SIGPIPE: 'broken pipe',
  SIGKILL: 'killed',
  SIGXFSZ: 'file size limit exceeded',
};

export function describeSignal(signal: string): string {
  return `${signal} (${SIGNALS[signal] ?? 'signal'})`;
}

function who(task: Task): string {
  if (task.function) return 'the function';
  return task.role === 'server' ? 'the server' : 'the client';
}

/** Limits explain a run whatever else happened in it, so they are judged first. */
export function limitVerdict(task: Task, p: ProcessObservation): TestVerdict | null {
  const l = task.limits;
  if (p.stoppedBy === 'output-limit') {
    return { result: 'overflow', feedback: `${who(task)} printed more than ${OUTPUT_STOP_MIB} MiB of output and was stopped: print less (a print in a loop?)` };
  }
  if (p.peakProcesses >= l.processes) {
    return { result: 'killed', feedback: `${who(task)} started too many processes (the limit is ${l.processes}) and was stopped: a fork() in a loop?` };
  }
  const died = p.signal !== null || (p.exitCode !== null && p.exitCode !== 0);
  if (died && p.stoppedBy === null && p.maxRssKb !== null && p.maxRssKb >= l.memoryMb * 1024 * 0.75) {
    return { result: 'overflow', feedback: `${who(task)} ran out of memory (the limit is ${l.memoryMb} MiB) and died: memory allocated in a loop and never freed?` };
  }
  if (hitCpuLimit(p, l)) {
    return { result: 'timeout', feedback: `${who(task)} used more than ${l.cpuSeconds} s of CPU time and was stopped: an endless loop?` };
  }
  if (p.stoppedBy === 'wall-time') {
    return { result: 'timeout', feedback: `${who(task)} was still running after ${l.wallSeconds} s and was stopped` };
  }
  return null;
}

/** The step that most likely made the program die: the first one it never answered. */
function culprit(obs: TestObservation, contexts: StepContext[]): string {
  let lastAnswered = -1;
  const upTo = obs.exitedDuringStep ?? obs.steps.length - 1;
  for (let i = 0; i <= upTo; i++) {
    const s = obs.steps[i];
    if (s?.kind === 'send' && s.replies.length > 0) lastAnswered = i;
  }
  const index = Math.min(lastAnswered + 1, upTo);
  if (index < 0) return 'before the first datagram';
  return `after datagram ${index + 1} of the test (${contexts[index]?.describe ?? 'a datagram'})`;
}

/** Only a test that shows its inputs (`visible`) may quote a non-zero status in its feedback. */
function statusHidden(test: TestSpec, code: number | null): boolean {
  return code !== null && code !== 0 && test.visibility !== 'visible';
}

/**
 * An exit status as feedback may quote it. A program can pick its status from
 * a hidden input (8 bits of it per test), so where a test hides its inputs the
 * feedback only says whether it was 0; `details` (staff) keep the number.
 */
export function exitStatus(test: TestSpec, code: number | null, noun = 'status'): string {
  if (code === null) return `an unknown ${noun}`;
  return statusHidden(test, code) ? `a non-zero ${noun}` : `${noun} ${code}`;
}

/** The number exitStatus() kept out of the feedback, for `details`. */
export function hiddenExitStatus(test: TestSpec, p: ProcessObservation): string[] {
  return p.signal === null && statusHidden(test, p.exitCode) ? [`exit status ${p.exitCode}`] : [];
}

function ended(test: TestSpec, p: ProcessObservation): string {
  if (p.signal) return `was killed by ${describeSignal(p.signal)}`;
  return `exited with ${exitStatus(test, p.exitCode)}`;
}

/**
 * What the program printed, for `details`: its output may echo a hidden
 * test's inputs (its own command line), so it never goes in `feedback`.
 * The exit status goes there too when the feedback could not name it.
 */
function printed(test: TestSpec, p: ProcessObservation, ...notes: string[]): string | undefined {
  const parts = [...hiddenExitStatus(test, p), ...notes, ...(p.stderr.trim() ? [`stderr: "${excerpt(p.stderr)}"`] : [])];
  return parts.length ? parts.join('; ') : undefined;
}

function fromFinding(f: Finding): TestVerdict {
  return { result: 'failed', feedback: f.feedback, ...(f.details ? { details: f.details } : {}), ...(f.cause ? { cause: f.cause } : {}) };
}

export function checkSteps(task: Task, test: TestSpec, obs: TestObservation, contexts: StepContext[]): TestVerdict | null {
  for (let i = 0; i < obs.steps.length; i++) {
    const s = obs.steps[i]!;
    const spec = test.steps[i]!;
    const ctx = contexts[i]!;
    if (s.kind === 'send' && spec.kind === 'send') {
      if (s.outcome === 'not-run' || s.outcome === 'program-exited') return null; // judged with the exit
      if (s.replies.length > 1) {
        return { result: 'failed', feedback: `answered one request with ${s.replies.length} datagrams: send exactly one response per request`, details: `request: ${ctx.describe}` };
      }
      if (s.outcome === 'no-reply' && busyWhileAwaitingReply(s)) {
        return { result: 'timeout', feedback: `no answer within ${s.waitedMs} ms while ${who(task)} kept the CPU busy: an endless loop?`, details: `request: ${ctx.describe}` };
      }
      if (spec.expect === undefined) continue;
      const reply = s.replies[0] ? Buffer.from(s.replies[0].hex, 'hex') : null;
      const f = task.protocol.checkReply(spec.expect, ctx.request, reply);
      if (f) {
        if (reply === null) f.feedback = `${f.feedback} (waited ${s.waitedMs} ms)`;
        return fromFinding(f);
      }
    } else if (s.kind === 'receive' && spec.kind === 'receive') {
      if (s.outcome === 'not-run') return null;
      if (!s.datagram) {
        if (s.outcome === 'program-exited') {
          // Ending without the datagram the step waits for fails the test, whatever the exit says.
          const p = obs.process;
          return { result: p.signal ? 'crash' : 'failed', feedback: `${who(task)} ${ended(test, p)} without sending its datagram`, details: printed(test, p) };
        }
        return { result: 'failed', feedback: `sent no datagram within ${s.waitedMs} ms` };
      }
      if (spec.expect !== null) {
        const f = task.protocol.checkRequest(spec.expect, Buffer.from(s.datagram.hex, 'hex'));
        if (f) return fromFinding(f);
      }
    } else if (s.kind === 'wait-exit') {
      if (s.outcome === 'still-running') return { result: 'failed', feedback: `${who(task)} did not exit within ${s.waitedMs} ms` };
    }
  }
  return null;
}

function matches(pattern: string, text: string): boolean {
  if (pattern === 'nonempty') return text.trim().length > 0;
  if (pattern === 'empty') return text.trim().length === 0;
  return new RegExp(pattern, 'm').test(text);
}

function checkEnd(task: Task, test: TestSpec, obs: TestObservation, contexts: StepContext[]): TestVerdict | null {
  const p = obs.process;
  const a = test.after;
  if (a.running) {
    if (obs.aliveAfterSteps) return null;
    // A program that answered every step and exited just after the last reply
    // may or may not be seen gone yet: judging that would make the verdict a
    // race. Tests that must prove a server keeps serving end with one more request.
    const last = obs.steps[obs.steps.length - 1];
    const allAnswered = obs.steps.every((s) => s.outcome !== 'program-exited' && s.outcome !== 'not-run' && s.outcome !== 'no-reply');
    if (allAnswered && last?.kind === 'send' && last.outcome === 'replied' && (obs.exitedDuringStep ?? obs.steps.length - 1) >= obs.steps.length - 1) {
      return null;
    }
    const how = ended(test, p);
    return {
      result: p.signal ? 'crash' : 'failed',
      feedback: `${who(task)} ${how} ${culprit(obs, contexts)}${p.signal ? '' : ': it must keep serving until it is killed'}`,
      details: printed(test, p),
    };
  }
  // The program must end by itself.
  if (p.stoppedBy !== null) return notExited(who(task), task, test, obs, contexts);
  if (p.signal) return { result: 'crash', feedback: `${who(task)} ${ended(test, p)}`, details: printed(test, p) };
  const wrong = wrongResult(task, test, obs, contexts);
  if (wrong) return wrong;
  const code = p.exitCode ?? -1;
  if (a.exit === 'nonzero' && code === 0) {
    return { result: 'failed', feedback: `${who(task)} exited with status 0, but this situation must end in a non-zero status`, details: printed(test, p, `started as: ${test.argv.join(' ')}`) };
  }
  if (typeof a.exit === 'number' && code !== a.exit) {
    return { result: 'failed', feedback: `${who(task)} exited with ${exitStatus(test, code)}, expected ${a.exit}`, details: printed(test, p) };
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
  return missingResult(task, test, obs);
}

export function decideVerdict(task: Task, test: TestSpec, obs: TestObservation, contexts: StepContext[]): TestVerdict {
  if (obs.internalError) return { result: 'error', feedback: `the grader failed on this test (not your fault): ${obs.internalError}` };
  const p = obs.process;
  if (p.leftover) return { result: 'error', feedback: 'the grader could not clean up the program\'s processes (not your fault)' };
  if (task.function) return decideFunctionVerdict(task, test, obs, contexts);
  if (p.execError) {
    return { result: 'failed', feedback: `the program could not be started: ${p.execError} (is '${task.program}' an executable, with a valid #! line for a script?)` };
  }
  const limit = limitVerdict(task, p);
  if (limit) return limit;

  if (obs.ready === 'exited') {
    return { result: p.signal ? 'crash' : 'failed', feedback: `${who(task)} ${ended(test, p)} before binding UDP port ${test.port}`, details: printed(test, p, `started as: ${test.argv.join(' ')}`) };
  }
  if (obs.ready === 'ipv4-only') {
    return { result: 'failed', feedback: `${who(task)} bound port ${test.port} with an IPv4 socket: create it with AF_INET6 (the grader talks to ::1)` };
  }
  if (obs.ready === 'not-ready') {
    return { result: 'failed', feedback: `${who(task)} did not bind UDP port ${test.port} (IPv6) within ${task.timeouts.readyMs} ms`, details: `started as: ${test.argv.join(' ')}` };
  }

  const stepVerdict = checkSteps(task, test, obs, contexts);
  if (stepVerdict) return stepVerdict;
  const datagramVerdict = checkDatagrams(who(task), test, obs);
  if (datagramVerdict) return datagramVerdict;
  const endVerdict = checkEnd(task, test, obs, contexts);
  if (endVerdict) return endVerdict;
  return { result: 'success', feedback: '' };
}

/** A test the runner never reported (the job died before it): the grader's fault. */
export function missingVerdict(reason: string): TestVerdict {
  return { result: 'error', feedback: `not run: ${reason} (not your fault)` };
}
