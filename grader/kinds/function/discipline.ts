// The rules a function must keep on every path, judged from what the faults
// shim recorded and what the harness saw when the function returned
// (runner/harness/report.ts), on top of a test's verdict:
//
// 1. stop at the first failure: after a call the test made fail, no socket
//    call follows (close() is not one the shim records);
// 2. leak nothing: no socket the function opened is still open when it
//    returns (unless it returns that very descriptor);
// 3. a receive that cut the sender's address to fit (a 16-byte struct
//    sockaddr for an IPv6 sender's 28 bytes) is the cause of whatever broke
//    after it, named instead of the symptom (sendto() failing with
//    ENETUNREACH, EINVAL... depending on stack garbage);
// 4. a datagram sent where it cannot arrive (a request to a port other than
//    the one given, an answer to the function's own address rather than the
//    sender's) is the cause of the missing datagram or answer after it.
//
// Pure: from the report and the verdict the test got without these rules.
import type { CallRecord, RunReport } from '../../../runner/harness/report.js';
import type { CauseId } from '../../protocols/protocol.js';
import { cutAddress as firstCutAddress, describeCutAddress as describeCut } from '../../verdict/cut-address.js';
import type { TestVerdict } from '../../verdict/primitives.js';

/** What a rule found, as a test verdict says it, with the cause it names (one per rule). */
export interface Finding {
  feedback: string;
  details: string;
  cause: CauseId;
}

/** The test's expectations these rules need (a TestSpec has them). */
export interface Expected {
  fail?: readonly unknown[] | undefined;
  after: { returns?: number | 'any' | undefined };
  /** The port the function is given: where its request goes (the peer listens there). */
  port: number;
  /** Receive steps: the function sends a request; send steps: it answers one. */
  steps: readonly { kind: string }[];
}

/** Rule 1: the first call after the one the test made fail, if any. */
export function wentOnAfterFailure(r: RunReport): { failed: CallRecord; next: CallRecord } | null {
  const at = r.calls.findIndex((c) => c.injected);
  const next = at < 0 ? undefined : r.calls[at + 1];
  return next ? { failed: r.calls[at]!, next } : null;
}

/** Rule 2: the sockets left open at the return, with the socket() call that made each (if the shim saw it). */
export function leakedSockets(r: RunReport): { fd: number; madeBy: CallRecord | undefined }[] {
  if (r.returned === null || r.openSockets === null) return [];
  return r.openSockets
    .filter((fd) => fd !== r.returned) // a function that returns its socket keeps it open
    .map((fd) => ({ fd, madeBy: [...r.calls].reverse().find((c) => c.name === 'socket' && c.ret === fd) }));
}

/** Rule 3: the first receive whose sender's address did not fit in the room it was given. */
export function cutAddress(r: RunReport): CallRecord | null {
  return firstCutAddress(r.calls);
}

/** Rule 4: where a datagram went that cannot arrive: a request not to the port given, an answer to the function's own bound port. */
export function misdirected(test: Expected, r: RunReport): { call: CallRecord; to: 'elsewhere' | 'itself'; bound?: number } | null {
  const sends = r.calls.filter((c) => c.ret >= 0 && c.port !== undefined && (c.name === 'sendto' || c.name === 'connect'));
  if (test.steps.some((s) => s.kind === 'receive')) {
    const call = sends.find((c) => c.port !== test.port);
    return call ? { call, to: 'elsewhere' } : null;
  }
  const bound = r.calls.find((c) => c.name === 'bind' && c.ret === 0 && c.port !== undefined)?.port;
  const call = bound === undefined ? undefined : sends.find((c) => c.name === 'sendto' && c.port === bound);
  return call ? { call, to: 'itself', bound: bound! } : null;
}

export function describeMisdirected(fn: string, test: Expected, found: { call: CallRecord; to: 'elsewhere' | 'itself'; bound?: number }): Finding {
  const { call } = found;
  if (found.to === 'itself') {
    return {
      feedback: `${fn} sent its answer to its own address (the port it bound), not to the sender's: answer to the address recvfrom() filled in`,
      details: `${call.name}() to port ${call.port}, the port it bound`,
      cause: 'wrong-destination',
    };
  }
  return {
    feedback: `${fn} sent its datagram to another port than the one it was given (a port written in the code?): send to the address passed to the function`,
    details: `${call.name}() to port ${call.port}; given port ${test.port}`,
    cause: 'wrong-destination',
  };
}

function list(calls: readonly CallRecord[]): string {
  return calls.map((c) => `${c.name}()${c.injected ? ' (made to fail)' : c.ret < 0 ? ' (failed)' : ''}`).join(', ');
}

export function describeWentOn(fn: string, want: number | 'any', r: RunReport, found: { failed: CallRecord; next: CallRecord }): Finding {
  const must = want === 'any' ? 'return' : `return ${want}`;
  const at = r.calls.indexOf(found.failed);
  return {
    feedback: `when a socket call fails, ${fn} must ${must} at once: ${found.failed.name}() failed and the function went on to call ${found.next.name}()`,
    details: `calls from the one the test made fail: ${list(r.calls.slice(at))}`,
    cause: 'went-on-after-failure',
  };
}

export function describeLeak(fn: string, r: RunReport, leaked: { fd: number; madeBy: CallRecord | undefined }[]): Finding {
  const byShim = leaked.every((l) => l.madeBy !== undefined);
  const what = leaked.length === 1
    ? byShim ? 'the socket made by socket() is' : 'a socket it opened is'
    : byShim ? `${leaked.length} sockets made by socket() are` : `${leaked.length} sockets it opened are`;
  return {
    feedback: `${fn} leaks a descriptor: ${what} still open when the function returns ${r.returned}; close() it before returning, on the error paths too`,
    details: `open at the return: descriptor${leaked.length > 1 ? 's' : ''} ${leaked.map((l) => l.fd).join(', ')}`,
    cause: 'leak',
  };
}

export function describeCutAddress(c: CallRecord): Finding {
  return describeCut(c);
}

/**
 * The verdict with these rules applied. Rules 3 and 4 explain a test that failed
 * (the symptom moves to details); rules 1 and 2 fail a test that passed
 * otherwise (a test already failed keeps its own cause: one cause each).
 */
export function withDiscipline(fn: string, test: Expected, r: RunReport, verdict: TestVerdict): TestVerdict {
  const fold = (f: Finding, symptom?: string): TestVerdict => ({
    result: 'failed',
    feedback: f.feedback,
    details: [f.details, symptom, verdict.details].filter(Boolean).join('; '),
    cause: f.cause,
  });
  if (verdict.result === 'failed') {
    const cut = cutAddress(r);
    if (cut) return fold(describeCutAddress(cut), `what it caused: ${verdict.feedback}`);
    const astray = misdirected(test, r);
    return astray ? fold(describeMisdirected(fn, test, astray), `what it caused: ${verdict.feedback}`) : verdict;
  }
  if (verdict.result !== 'success' || r.returned === null) return verdict;
  const wentOn = test.fail?.length ? wentOnAfterFailure(r) : null;
  if (wentOn) return fold(describeWentOn(fn, test.after.returns ?? 0, r, wentOn));
  const leaked = leakedSockets(r);
  if (leaked.length) return fold(describeLeak(fn, r, leaked));
  return verdict;
}
