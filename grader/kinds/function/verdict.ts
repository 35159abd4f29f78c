// Where a function test's verdict is decided: what the harness and the shim
// reported (runner/harness/report.ts), the datagrams the peer saw, and how
// the run ended, held against the test's `after` (returns, result) and `fail`.
// Order: limits, then whether the function could be called at all, then the
// socket it made, whether it returned, the datagrams, and what it returned.
import { errnoName } from '../../../runner/signals.js';
import { byteSwap32 } from '../../protocols/bytes.js';
import { readRunReport, type CallRecord, type RunReport } from '../../../runner/harness/report.js';
import type { ProcessObservation, TestObservation } from '../../../runner/types.js';
import type { StepContext } from '../../model/step-context.js';
import type { Task, TestSpec } from '../../model/task.js';
import { busyUntilStopped } from '../../verdict/busy.js';
import { checkSteps, describeSignal, exitStatus, hiddenExitStatus, limitVerdict, type TestVerdict } from '../../verdict/primitives.js';
import { withDiscipline } from './discipline.js';

/** How feedback names what is graded. */
const WHO = 'the function';

const FAMILIES: Record<number, string> = { 1: 'AF_UNIX', 2: 'AF_INET', 10: 'AF_INET6' };
const TYPES: Record<number, string> = { 1: 'SOCK_STREAM', 2: 'SOCK_DGRAM', 3: 'SOCK_RAW' };
const AF_INET6 = 10;
const SOCK_DGRAM = 2;

function describeCall(c: CallRecord): string {
  const args: string[] = [];
  if (c.name === 'socket') args.push(FAMILIES[c.family ?? -1] ?? `family ${c.family}`, TYPES[c.type ?? -1] ?? `type ${c.type}`);
  // sendto()'s port is most often the peer's ephemeral one: left out, so details read the same on every run
  // (discipline.ts names it when the datagram went astray).
  else if (c.port !== undefined && c.name !== 'sendto') args.push(`port ${c.port}`);
  if (c.len !== undefined) args.push(`${c.len} bytes`);
  const result = c.injected ? `failed (${errnoName(c.errno)}, injected by the test)` : c.ret < 0 ? `failed (${errnoName(c.errno)})` : `= ${c.ret}`;
  return `${c.name}(${args.join(', ')}) ${result}`;
}

function callsDetail(r: RunReport): string {
  return r.calls.length ? `socket calls: ${r.calls.map(describeCall).join('; ')}` : 'no socket calls';
}

function names(calls: string[]): string {
  return calls.map((c) => `${c}()`).join(' / ');
}

/** A socket that is not IPv6 + UDP explains every failure after it. */
function wrongSocket(fn: string, r: RunReport): TestVerdict | null {
  for (const c of r.calls) {
    if (c.name !== 'socket') continue;
    const problems: string[] = [];
    if (c.family !== undefined && c.family !== AF_INET6) {
      problems.push(`it created an ${FAMILIES[c.family] ?? `address family ${c.family}`} socket where AF_INET6 is needed (the addresses are IPv6, ::1)`);
    }
    if (c.type !== undefined && c.type !== SOCK_DGRAM) {
      problems.push(`it created a ${TYPES[c.type] ?? `type ${c.type}`} socket where SOCK_DGRAM is needed (the exchange is UDP datagrams)`);
    }
    if (problems.length) return { result: 'failed', feedback: `${fn}: ${problems.join('; ')}`, details: callsDetail(r) };
  }
  return null;
}

/**
 * The function was called and never came back. `stopped`: the runner or a
 * CPU/wall limit ended it (a limit verdict would only say "endless loop?").
 */
function notReturned(task: Task, test: TestSpec, fn: string, p: ProcessObservation, r: RunReport, limit: TestVerdict | null): TestVerdict {
  const details = callsDetail(r);
  const stopped = p.stoppedBy !== null || limit?.result === 'timeout';
  if (p.signal && !stopped) {
    const last = r.calls[r.calls.length - 1];
    const after = last ? `, after ${last.name}()${last.ret < 0 && !last.injected ? ` failed with ${errnoName(last.errno)}${hint(last)}` : ''}` : '';
    return { result: 'crash', feedback: `${fn} crashed: ${describeSignal(p.signal)}${after}`, details };
  }
  if (!stopped) {
    return {
      result: 'failed',
      feedback: `${fn} ended the program (${exitStatus(test, p.exitCode, 'exit status')}) instead of returning: never call exit() in the function, return -1 to report an error`,
      details: [...hiddenExitStatus(test, p), details].join('; '),
    };
  }
  const busy = busyUntilStopped(p, task.limits);
  const waited = busy ? 'kept the CPU busy until it was stopped' : `did not return within ${(test.after.within_ms ?? task.timeouts.exitMs) / 1000} s`;
  const injected = r.calls.findIndex((c) => c.injected);
  if (injected >= 0) {
    const first = r.calls[injected]!;
    const after = [...new Set([...r.calls.slice(injected + 1).map((c) => c.name), ...(r.blockedIn ? [r.blockedIn] : [])])].map((c) => `${c}()`);
    const went = after.length ? `it went on with ${after.join(', ')} and` : 'it';
    const why = busy ? ': retrying in a loop?' : r.blockedIn ? ` (waiting in ${r.blockedIn}())` : '';
    return {
      result: busy ? 'timeout' : 'failed',
      feedback: `when ${first.name}() fails (${errnoName(first.errno)}), ${fn} must return -1 at once; ${went} ${waited}${why}`,
      details,
    };
  }
  if (busy) return { result: 'timeout', feedback: `${fn} ${waited}: an endless loop?`, details };
  const answered = r.calls.some((c) => /^(send|sendto|sendmsg|write)$/.test(c.name) && c.ret >= 0);
  if (r.blockedIn && answered) {
    return { result: 'failed', feedback: `${fn} answered, then waited in ${r.blockedIn}() for another datagram instead of returning: handle one datagram, then return`, details };
  }
  if (r.blockedIn) {
    return { result: 'failed', feedback: `${fn} ${waited}: it was still waiting in ${r.blockedIn}() for a datagram that never came`, details };
  }
  return { result: 'failed', feedback: `${fn} ${waited}`, details };
}

function hint(c: CallRecord): string {
  const e = errnoName(c.errno);
  if (e === 'EDESTADDRREQ') return ': send() needs a destination: connect() the socket first, or use sendto()';
  if (e === 'EFAULT') return ': a buffer or address pointer that points nowhere (an unallocated buffer?)';
  if (e === 'EBADF' || e === 'ENOTSOCK') return ': that descriptor is not an open socket (was socket() checked, or the socket closed too early?)';
  if (e === 'EAFNOSUPPORT' || e === 'EINVAL') return ': do the socket, the address and its length all say IPv6 (AF_INET6, sizeof(struct sockaddr_in6))?';
  return '';
}

/** The answers the peer sent back in this test, oldest first. */
function answers(contexts: StepContext[]): Buffer[] {
  return contexts.flatMap((c) => (c.answer !== undefined ? [Buffer.from(c.answer, 'hex')] : []));
}

function checkReturn(task: Task, test: TestSpec, fn: string, r: RunReport, contexts: StepContext[]): TestVerdict | null {
  const want = test.after.returns ?? 0;
  const got = r.returned!;
  const details = callsDetail(r);
  const faults = test.fail ?? [];
  const failed = r.calls.filter((c) => c.ret < 0);
  const last = failed[failed.length - 1];
  if (faults.length) {
    // A test that makes a call fail proves nothing unless the function got as far as that call.
    const injected = r.calls.findIndex((c) => c.injected);
    const failing = faults.flatMap((f) => f.calls);
    if (injected < 0) {
      const before = last ? ` (it stopped after ${last.name}() failed with ${errnoName(last.errno)}${hint(last)})` : '';
      return { result: 'failed', feedback: `this test makes ${names(failing)} fail, but ${fn} never called ${failing.length > 1 ? 'any of them' : 'it'}${before}`, details };
    }
    if (want === 'any' || got === want) return null;
    const first = r.calls[injected]!;
    const after = r.calls.slice(injected + 1).map((c) => `${c.name}()`);
    const advice = got === first.errno ? `: that is errno (${errnoName(got)}); return ${want} itself` : ': check the result of every socket call';
    return {
      result: 'failed',
      feedback: `when ${first.name}() fails (${errnoName(first.errno)}), ${fn} must return ${want} at once; it returned ${got}${after.length ? ` after going on with ${[...new Set(after)].join(', ')}` : ''}${advice}`,
      details,
    };
  }
  if (want === 'any' || got === want) return null;
  if (last && got !== 0) {
    return { result: 'failed', feedback: `${fn} returned ${got}, expected ${want}: ${last.name}() failed with ${errnoName(last.errno)}${hint(last)}`, details };
  }
  const answered = answers(contexts);
  const why = want === -1 ? task.protocol.explainResult?.('', null, answered)?.feedback : answered.length && got === -1 ? 'no socket call failed: it refused the answer it got' : null;
  return { result: 'failed', feedback: `${fn} returned ${got}, expected ${want}${why ? `: ${why}` : ''}`, details: [details, ...answered.map((a) => `answer: ${a.toString('hex')}`)].join('; ') };
}

function checkResult(task: Task, test: TestSpec, fn: string, r: RunReport, contexts: StepContext[]): TestVerdict | null {
  if (test.after.result === undefined) return null;
  const want = Number(test.after.result) >>> 0;
  const details = `${callsDetail(r)}; expected result ${want}, got ${r.resultUntouched ? 'nothing' : r.result}`;
  if (r.resultUntouched) {
    return { result: 'failed', feedback: `${fn} returned ${r.returned} without storing the result through its pointer (*result = ...)`, details };
  }
  if (r.result === want) return null;
  if (r.result !== null && r.result === byteSwap32(want)) {
    return { result: 'failed', feedback: 'the stored result is byte-swapped (byte order): convert the integer of the answer with ntohl() before storing it', details, cause: 'byte-order' };
  }
  const why = r.result === null ? null : task.protocol.explainResult?.(String(r.result), String(want), answers(contexts));
  return { result: 'failed', feedback: `${fn} stored a wrong result${why ? `: ${why.feedback}` : ''}`, details, ...(why?.cause ? { cause: why.cause } : {}) };
}

/**
 * A datagram sent just before the function returned can reach the peer after
 * the peer saw the program end: an answer then sits in its step's replies, a
 * request with the unclaimed datagrams. Count them as received in time.
 */
function withLateDatagrams(obs: TestObservation): TestObservation {
  const late = [...obs.unclaimedDatagrams];
  const steps = obs.steps.map((s) => {
    if (s.outcome !== 'program-exited') return s;
    if (s.kind === 'send' && s.replies.length) return { ...s, outcome: 'replied' as const };
    if (s.kind === 'receive' && s.datagram === null && late.length) return { ...s, outcome: 'received' as const, datagram: late.shift()! };
    return s;
  });
  return { ...obs, steps, unclaimedDatagrams: late };
}

/** A step whose datagram never came although one was due (the function returned first). */
function missingDatagram(task: Task, test: TestSpec, seen: TestObservation, contexts: StepContext[]): string | null {
  for (const [i, s] of seen.steps.entries()) {
    const spec = test.steps[i];
    if (s.outcome !== 'program-exited' || !spec) continue;
    if (s.kind === 'receive') return 'without sending its datagram';
    // An answer is due unless the protocol accepts silence here.
    if (s.kind === 'send' && spec.kind === 'send' && spec.expect !== undefined && task.protocol.checkReply(spec.expect, contexts[i]?.request, null)) {
      return 'without answering';
    }
  }
  return null;
}

/** The compiled file could not be loaded, lacks the function, or ended before the call. */
function notCalled(test: TestSpec, fn: string, p: ProcessObservation, r: RunReport): TestVerdict | null {
  if (r.loadError) return { result: 'failed', feedback: `your compiled file could not be loaded: ${r.loadError}` };
  if (r.missing) return { result: 'failed', feedback: `your file does not define ${fn}: check its name, and that it is not static` };
  if (r.called) return null;
  const how = p.signal ? `crashed (${describeSignal(p.signal)})` : p.stoppedBy ? 'hung' : `ended (${exitStatus(test, p.exitCode, 'exit status')})`;
  const status = hiddenExitStatus(test, p);
  return {
    result: p.signal ? 'crash' : 'failed',
    feedback: `the program ${how} before ${fn} was called: does your file run code of its own when it is loaded (a constructor)?`,
    ...(status.length ? { details: status.join('; ') } : {}),
  };
}

/** The function made a socket that is not IPv6 + UDP, or never bound the port it was given. */
function socketOrBindProblem(task: Task, test: TestSpec, fn: string, obs: TestObservation, r: RunReport): TestVerdict | null {
  // A test that makes a call fail judges the error handling only.
  if (test.fail?.length) return null;
  const socketVerdict = wrongSocket(fn, r);
  if (socketVerdict) return socketVerdict;
  if (obs.ready !== 'not-ready') return null;
  const bound = r.calls.find((c) => c.name === 'bind' && c.ret === 0);
  const where = bound?.port !== undefined && bound.port !== test.port ? `: it bound port ${bound.port}; bind to the address it is given` : '';
  // The port is the test's input: named in details only, which hidden tests do not show.
  return { result: 'failed', feedback: `${fn} did not bind the given address (IPv6) within ${task.timeouts.readyMs} ms${where}`, details: `port ${test.port}; ${callsDetail(r)}` };
}

/** After it returned: the peer's steps, a datagram still due, or datagrams beyond those due. */
function datagramProblem(task: Task, test: TestSpec, fn: string, obs: TestObservation, r: RunReport, contexts: StepContext[]): TestVerdict | null {
  const seen = withLateDatagrams(obs);
  const steps = checkSteps(WHO, task, test, seen, contexts);
  if (steps) return { ...steps, details: [steps.details, callsDetail(r)].filter(Boolean).join('; ') };
  const missing = missingDatagram(task, test, seen, contexts);
  if (missing) {
    const failed = r.calls.filter((c) => c.ret < 0).pop();
    const why = failed ? `: ${failed.name}() failed with ${errnoName(failed.errno)}${hint(failed)}` : '';
    return { result: 'failed', feedback: `${fn} returned ${r.returned} ${missing}${why}`, details: callsDetail(r) };
  }
  const received = seen.steps.filter((s) => s.kind === 'receive' && s.datagram !== null).length;
  if (received > 0 && seen.unclaimedDatagrams.length > 0) {
    return { result: 'failed', feedback: `${fn} sent ${received + seen.unclaimedDatagrams.length} datagrams where ${received} ${received === 1 ? 'was' : 'were'} due`, details: callsDetail(r) };
  }
  return null;
}

export function decideFunctionVerdict(task: Task, test: TestSpec, obs: TestObservation, contexts: StepContext[]): TestVerdict {
  const verdict = decideFromSymptoms(task, test, obs, contexts);
  const lines = obs.process.report?.lines;
  // Leaks, going on after a failure, a cut address: discipline.ts.
  return lines && verdict.result !== 'error' ? withDiscipline(`${task.function!.name}()`, test, readRunReport(lines), verdict) : verdict;
}

/** What the harness saw go wrong, symptom by symptom (discipline.ts may name a cause behind it). */
function decideFromSymptoms(task: Task, test: TestSpec, obs: TestObservation, contexts: StepContext[]): TestVerdict {
  const fn = `${task.function!.name}()`;
  const p = obs.process;
  if (p.execError || !p.report) {
    return { result: 'error', feedback: `the grader could not start the task's harness (not your fault): ${p.execError ?? 'no report channel'}` };
  }
  const r = readRunReport(p.report.lines);
  // Said only by the harness's parent, which runs none of the student's code: never an exit status.
  if (r.failed !== null) return { result: 'error', feedback: `the task's harness failed (not your fault): ${r.failed}` };
  const limit = limitVerdict(WHO, task, p);
  // A function stopped by a CPU or wall limit is told why below, with what it was doing.
  if (limit && !(limit.result === 'timeout' && r.called && r.returned === null)) return limit;
  const early = notCalled(test, fn, p, r) ?? socketOrBindProblem(task, test, fn, obs, r);
  if (early) return early;
  if (r.returned === null) return notReturned(task, test, fn, p, r, limit);
  return (
    datagramProblem(task, test, fn, obs, r, contexts) ??
    checkReturn(task, test, fn, r, contexts) ??
    checkResult(task, test, fn, r, contexts) ?? { result: 'success', feedback: '' }
  );
}
