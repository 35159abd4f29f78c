// The pieces every kind of task builds its verdicts from: what a verdict is,
// how a signal, an exit status and a hit limit read in feedback, and the
// check of the peer's steps (send, receive, wait for the exit), which program
// and function tasks share. A leaf below grader/kinds/*: it knows no kind; the
// caller names the thing graded (`who`: "the server", "the function").
import { OUTPUT_STOP_MIB, type ProcessObservation, type TestObservation } from '../../runner/types.js';
import type { StepContext } from '../model/step-context.js';
import type { Task, TestSpec } from '../model/task.js';
import type { CauseId, Finding, StepHistory } from '../protocols/protocol.js';
import { excerpt } from '../excerpt.js';
import { busyUntilStopped, busyWhileAwaitingReply, hitCpuLimit } from './busy.js';
import { splitRequestVerdict } from './split-requests.js';
import { strayAnswerVerdict } from './stray-answers.js';

export type TestResult = 'success' | 'failed' | 'timeout' | 'crash' | 'overflow' | 'killed' | 'error';

export interface TestVerdict {
  result: TestResult;
  feedback: string;
  /** Inputs and bytes behind the feedback; reports show them for visible tests only. */
  details?: string;
  /** The diagnosed mistake behind the failure (a Finding's cause), shared by every test it explains (grader/report/causes.ts). */
  cause?: CauseId;
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

/**
 * A program that kept the CPU busy until it was stopped. Which stop came
 * first (its CPU limit, the end of a wait, its wall limit) depends on how
 * busy the machine was, so the verdict is the same for each; `details` says
 * which it was and what was measured.
 */
export function busyVerdict(who: string, ...measured: string[]): TestVerdict {
  return { result: 'timeout', feedback: `${who} kept the CPU busy until it was stopped: an endless loop?`, details: measured.join('; ') };
}

/** Limits explain a run whatever else happened in it, so they are judged first. */
export function limitVerdict(who: string, task: Task, p: ProcessObservation): TestVerdict | null {
  const l = task.limits;
  if (p.stoppedBy === 'output-limit') {
    return { result: 'overflow', feedback: `${who} printed more than ${OUTPUT_STOP_MIB} MiB of output and was stopped: print less (a print in a loop?)` };
  }
  if (p.peakProcesses >= l.processes) {
    return { result: 'killed', feedback: `${who} started too many processes (the limit is ${l.processes}) and was stopped: a fork() in a loop?` };
  }
  const died = p.signal !== null || (p.exitCode !== null && p.exitCode !== 0);
  if (died && p.stoppedBy === null && p.maxRssKb !== null && p.maxRssKb >= l.memoryMb * 1024 * 0.75) {
    return { result: 'overflow', feedback: `${who} ran out of memory (the limit is ${l.memoryMb} MiB) and died: memory allocated in a loop and never freed?` };
  }
  if (hitCpuLimit(p, l)) return busyVerdict(who, `stopped at its CPU time limit (${l.cpuSeconds} s)`);
  if (p.stoppedBy === 'wall-time' && busyUntilStopped(p, l)) {
    return busyVerdict(who, `stopped at its wall time limit (${l.wallSeconds} s), runnable ${Math.round(p.runnableMs ?? 0)} ms of ${Math.round(p.wallMs)} ms`);
  }
  if (p.stoppedBy === 'wall-time') {
    return { result: 'timeout', feedback: `${who} was still running after ${l.wallSeconds} s and was stopped` };
  }
  return null;
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

/** How the program ended, as feedback may say it ("was killed by ...", "exited with status 0"). */
export function ended(test: TestSpec, p: ProcessObservation): string {
  if (p.signal) return `was killed by ${describeSignal(p.signal)}`;
  return `exited with ${exitStatus(test, p.exitCode)}`;
}

/**
 * What the program printed, for `details`: its output may echo a hidden
 * test's inputs (its own command line), so it never goes in `feedback`.
 * The exit status goes there too when the feedback could not name it.
 */
export function printed(test: TestSpec, p: ProcessObservation, ...notes: string[]): string | undefined {
  const parts = [...hiddenExitStatus(test, p), ...notes, ...(p.stderr.trim() ? [`stderr: "${excerpt(p.stderr)}"`] : [])];
  return parts.length ? parts.join('; ') : undefined;
}

function fromFinding(f: Finding): TestVerdict {
  return { result: 'failed', feedback: f.feedback, ...(f.details ? { details: f.details } : {}), ...(f.cause ? { cause: f.cause } : {}) };
}

type SendStep = Extract<TestObservation['steps'][number], { kind: 'send' }>;
type ReceiveStep = Extract<TestObservation['steps'][number], { kind: 'receive' }>;

/** One send step: a single reply, not busy while awaited, the one the protocol expects. `undefined`: judged with the exit. */
function checkSend(who: string, task: Task, s: SendStep, spec: Extract<TestSpec['steps'][number], { kind: 'send' }>, ctx: StepContext, history: StepHistory): TestVerdict | null | undefined {
  const stray = strayAnswerVerdict(s, ctx);
  if (stray) return stray;
  if (s.outcome === 'not-run' || s.outcome === 'program-exited') return undefined;
  if (s.replies.length > 1) {
    return { result: 'failed', feedback: `answered one request with ${s.replies.length} datagrams: send exactly one response per request`, details: `request: ${ctx.describe}` };
  }
  // The wait's planned length, not the measured one: a busy machine stretches a wait (runner/program-time.ts).
  const waitMs = spec.timeoutMs ?? task.timeouts.replyMs;
  if (s.outcome === 'no-reply' && busyWhileAwaitingReply(s)) {
    return busyVerdict(who, `no answer within ${waitMs} ms, runnable ${Math.round(s.runnableMsWhileWaiting ?? 0)} ms of ${s.waitedMs} ms`, `request: ${ctx.describe}`);
  }
  if (spec.expect === undefined) return null;
  const reply = s.replies[0] ? Buffer.from(s.replies[0].hex, 'hex') : null;
  const f = task.protocol.checkReply(spec.expect, ctx.request, reply, history);
  if (!f) return null;
  if (reply === null) f.feedback = `${f.feedback} (waited ${waitMs} ms)`;
  return fromFinding(f);
}

/** One receive step: a datagram came, before the program ended, and it is the request the protocol expects. `undefined`: not run. */
function checkReceive(who: string, task: Task, test: TestSpec, obs: TestObservation, s: ReceiveStep, spec: Extract<TestSpec['steps'][number], { kind: 'receive' }>): TestVerdict | null | undefined {
  const expect = spec.expect;
  if (s.outcome === 'not-run') return undefined;
  if (!s.datagram) {
    // Ended by itself, during the wait or after it: which one depends on the load (a client
    // that gives up after its own 2 s against a wait of 2 s), so both read the same.
    if (s.outcome === 'program-exited' || obs.process.stoppedBy === null) {
      // Ending without the datagram the step waits for fails the test, whatever the exit says.
      const p = obs.process;
      return { result: p.signal ? 'crash' : 'failed', feedback: `${who} ${ended(test, p)} without sending its datagram`, details: printed(test, p) };
    }
    return { result: 'failed', feedback: `sent no datagram within ${spec.timeoutMs ?? task.timeouts.exitMs} ms` };
  }
  if (expect === null) return null;
  const split = splitRequestVerdict(task.protocol, expect, s, obs.unclaimedDatagrams);
  if (split) return split;
  const f = task.protocol.checkRequest(expect, Buffer.from(s.datagram.hex, 'hex'));
  return f ? fromFinding(f) : null;
}

/** The peer socket a send step used, as the plan names it (grader/plan.ts): unnamed, a fresh one per step. */
function peerSocket(spec: { socket: string }, i: number): string {
  return spec.socket || `step-${i}`;
}

/** The steps in order; the first that fails decides. Stops at a step the program did not live to see (its exit decides). */
export function checkSteps(who: string, task: Task, test: TestSpec, obs: TestObservation, contexts: StepContext[]): TestVerdict | null {
  // The send steps checked so far: what each asked, from which socket, and whether it got an answer (evidence for a diagnosis).
  const earlier: StepHistory['earlier'][number][] = [];
  for (let i = 0; i < obs.steps.length; i++) {
    const s = obs.steps[i]!;
    const spec = test.steps[i]!;
    let verdict: TestVerdict | null | undefined = null;
    if (s.kind === 'send' && spec.kind === 'send') {
      const socket = peerSocket(spec, i);
      verdict = checkSend(who, task, s, spec, contexts[i]!, { socket, earlier });
      earlier.push({ request: contexts[i]?.request, socket, answered: s.replies.length > 0 });
    }
    else if (s.kind === 'receive' && spec.kind === 'receive') verdict = checkReceive(who, task, test, obs, s, spec);
    else if (s.kind === 'wait-exit' && spec.kind === 'wait-exit' && s.outcome === 'still-running') {
      verdict = { result: 'failed', feedback: `${who} did not exit within ${spec.timeoutMs ?? task.timeouts.exitMs} ms` };
    }
    if (verdict === undefined) return null;
    if (verdict) return verdict;
  }
  return null;
}

/** A test the runner never reported (the job died before it): the grader's fault. */
export function missingVerdict(reason: string): TestVerdict {
  return { result: 'error', feedback: `not run: ${reason} (not your fault)` };
}
