// One cause, one message. When several failing tests were diagnosed with the
// same mistake (byte order fails most tests of a server that forgets htonl()),
// the report states that mistake once, with the tests it explains; each test
// keeps its own feedback in the JSON. The ids (CauseId) are set where a
// mistake is diagnosed (the protocols' diagnoses, the kinds' verdicts); the
// messages, said once for all, are here.
import type { CauseId } from '../protocols/protocol.js';
import type { Cause, TestReport } from './model.js';

interface CauseText {
  label: string;
  message: string;
  /**
   * A mistake of an exchange the program completed (a wrong byte, a socket
   * left open after it): a control failed only of it still shows the program
   * works (grader/verdict/controls.ts).
   */
  exchangeCompleted: boolean;
}

/** What each diagnosed mistake is, and what to do, without any test's inputs. */
export const CAUSE_MESSAGES: Record<CauseId, CauseText> = {
  'byte-order': {
    label: 'byte order',
    message: 'byte order: integers travel in network byte order; convert each with htonl() before sending and ntohl() after receiving',
    exchangeCompleted: true,
  },
  opcode: {
    label: 'opcode',
    message: 'opcode: the sum and the product are mixed up; read the opcode as (header >> 1) & 7',
    exchangeCompleted: true,
  },
  'f-bit': {
    label: 'F bit',
    message: 'F bit: the least significant bit of the request header says the form of the result: 0 a 4-byte integer, 1 decimal digits',
    // The wrong kind of exchange (an integer asked, text expected): it shows no valid exchange worked.
    exchangeCompleted: false,
  },
  'text-nul': {
    label: 'NUL byte',
    message: 'NUL byte: a text answer carries a \\0; send only the digits, the datagram length delimits them',
    exchangeCompleted: true,
  },
  'text-newline': {
    label: 'newline',
    message: 'newline: a text answer ends with a newline; send only the digits',
    exchangeCompleted: true,
  },
  'text-signed': {
    label: 'signed number',
    message: 'signed number: a result of 2^31 or more came out negative; it is an unsigned 32-bit integer, print it with %u',
    exchangeCompleted: true,
  },
  'unused-bits': {
    label: 'unused bits',
    message: 'unused bits: valid requests with unused header bits set were refused; ignore the four high bits of the header',
    exchangeCompleted: true,
  },
  'error-s-bit': {
    label: 'S bit',
    message: 'S bit: a request that cannot be served was answered with S=1; set S=0 (the most significant bit of the header) on an error',
    exchangeCompleted: true,
  },
  'exited-before-binding': {
    label: 'exited before binding',
    message: 'exited before binding: the program ended before it bound its UDP port (IPv6), so no test could talk to it; what it printed on stderr (in the details of a visible test) says why',
    exchangeCompleted: false,
  },
  'first-client-only': {
    label: 'first client only',
    message: 'first client only: the server answered a first client, then nothing to requests from other source ports; answer each request to the address recvfrom() filled in (a socket connect()ed to its first client hears no other)',
    exchangeCompleted: false,
  },
  'cut-address': {
    label: "sender's address cut",
    message: "sender's address cut: the receive was given too little room for the sender's address (an IPv6 address takes 28 bytes, a struct sockaddr holds 16), so the answer goes astray; use struct sockaddr_in6 or struct sockaddr_storage, and set the length to its size before the call",
    exchangeCompleted: false,
  },
  'wrong-destination': {
    label: 'datagram sent astray',
    message: 'datagram sent astray: a request must go to the address the function is given, an answer to the address recvfrom() filled in (not the function\'s own)',
    exchangeCompleted: false,
  },
  leak: {
    label: 'descriptor leak',
    message: 'descriptor leak: a socket the function opened is still open when it returns; close() it before returning, on the error paths too',
    exchangeCompleted: true,
  },
  'went-on-after-failure': {
    label: 'went on after a failure',
    message: 'went on after a failure: when a socket call fails, the function must return at once, with no further socket call',
    exchangeCompleted: false,
  },
};

/** The causes of a completed exchange (`exchangeCompleted`), for the controls: the others show no exchange worked. */
export function exchangeCauses(causeOf: ReadonlyMap<string, CauseId>): Map<string, CauseId> {
  return new Map([...causeOf].filter(([, id]) => CAUSE_MESSAGES[id]?.exchangeCompleted));
}

/** Results a cause can explain: a failure, or a crash the program's mistake led to (not a limit, not the grader's error). */
const FAILED = new Set<TestReport['result']>(['failed', 'crash']);

/** A cause that explains fewer tests than this is left to the test's own feedback. */
const AT_LEAST = 2;

/**
 * The causes behind the failed tests, in the order of their first test: each
 * with at least two tests. `causeOf`: per test id, the cause its verdict
 * named. A test that passed (or was failed by its control) is not explained.
 */
export function causesOf(tests: TestReport[], causeOf: ReadonlyMap<string, CauseId>): Cause[] {
  const byCause = new Map<CauseId, string[]>();
  for (const t of tests) {
    const id = causeOf.get(t.id);
    if (t.passed || !FAILED.has(t.result) || !id || !CAUSE_MESSAGES[id]) continue;
    byCause.set(id, [...(byCause.get(id) ?? []), t.id]);
  }
  return [...byCause]
    .filter(([, ids]) => ids.length >= AT_LEAST)
    .map(([id, ids]) => ({ id, message: CAUSE_MESSAGES[id]!.message, tests: ids }));
}

/** The short line a report puts in place of a test's feedback when a cause above explains it. */
export function seeCause(id: string): string {
  return `${CAUSE_MESSAGES[id as CauseId]?.label ?? id}: see above`;
}

/**
 * The causes as one audience sees them: a test whose feedback it does not see
 * (hidden) does not count, so no cause tells what a hidden test found.
 */
export function visibleCauses(causes: Cause[], tests: TestReport[]): Cause[] {
  const shown = new Set(tests.filter((t) => t.feedback !== '').map((t) => t.id));
  return causes
    .map((c) => ({ ...c, tests: c.tests.filter((id) => shown.has(id)) }))
    .filter((c) => c.tests.length >= AT_LEAST);
}
