// Every verdict rule and diagnosis of the grader, by name, with the feedback
// that tells it apart: the recorder names each recorded case after the first
// rule its verdict matches, and lists in the lane's README the rules no
// fixture shows. Order matters: specific rules before the general ones.
import type { Verdict } from './decide.js';

export type Kind = 'server' | 'client' | 'function';

export interface Rule {
  name: string;
  /** The grader file that says it. */
  file: string;
  feedback: RegExp;
  result?: string;
  /** Only for tasks of this kind (when the same words are said of several). */
  kind?: Kind;
  /** Said by this protocol only (several say the same words). */
  protocol?: 'calculator' | 'integers';
  /** The rule needs details (or none): tells apart two rules with the same feedback. */
  details?: boolean;
  /** Its details match this: tells apart rules whose feedback is one on purpose (a busy program, however stopped). */
  detailsMatch?: RegExp;
}

const V = 'grader/kinds/program/verdict.ts';
const PRIM = 'grader/verdict/primitives.ts';
const DECIDE = 'grader/verdict/decide.ts';
const C = 'grader/kinds/program/client-checks.ts';
const F = 'grader/kinds/function/verdict.ts';
const CALC = 'grader/protocols/calculator/diagnoses.ts';
const INT = 'grader/protocols/integers/diagnoses.ts';
const BUSY = 'grader/verdict/busy.ts';
const DISC = 'grader/kinds/function/discipline.ts';
/** The one feedback of a program busy until it was stopped (grader/verdict/primitives.ts busyVerdict). */
const BUSY_STOPPED = /^the (server|client|function) kept the CPU busy until it was stopped: an endless loop\?$/;

export const RULES: Rule[] = [
  { name: 'success-server', file: V, result: 'success', feedback: /^$/, kind: 'server' },
  { name: 'success-client', file: V, result: 'success', feedback: /^$/, kind: 'client' },
  { name: 'success-function', file: F, result: 'success', feedback: /^$/, kind: 'function' },
  // Grader-side failures
  { name: 'internal-error', file: DECIDE, result: 'error', feedback: /^the grader failed on this test/ },
  { name: 'leftover-processes', file: DECIDE, result: 'error', feedback: /could not clean up the program's processes/ },
  { name: 'harness-not-started', file: F, result: 'error', feedback: /could not start the task's harness/ },
  { name: 'harness-failed', file: F, result: 'error', feedback: /^the task's harness failed/ },
  // Limits (judged first)
  { name: 'limit-output', file: PRIM, result: 'overflow', feedback: /printed more than \d+ MiB of output/ },
  { name: 'limit-processes', file: PRIM, result: 'killed', feedback: /started too many processes/ },
  { name: 'limit-memory', file: PRIM, result: 'overflow', feedback: /ran out of memory/ },
  // A busy program gets one feedback however it was stopped (which stop comes first depends on the machine's load); details say which.
  { name: 'limit-cpu', file: `${PRIM}, ${BUSY}`, result: 'timeout', feedback: BUSY_STOPPED, detailsMatch: /^stopped at its CPU time limit/ },
  { name: 'limit-wall-busy', file: `${PRIM}, ${BUSY}`, result: 'timeout', feedback: BUSY_STOPPED, detailsMatch: /^stopped at its wall time limit/ },
  { name: 'limit-wall', file: PRIM, result: 'timeout', feedback: /was still running after \S+ s and was stopped/ },
  // Starting and readiness
  { name: 'exec-error', file: V, feedback: /^the program could not be started:/ },
  { name: 'crashed-before-bind', file: V, result: 'crash', feedback: /before binding UDP port/ },
  { name: 'exited-before-bind', file: V, result: 'failed', feedback: /before binding UDP port/ },
  { name: 'ipv4-only', file: V, feedback: /with an IPv4 socket: create it with AF_INET6/ },
  { name: 'not-bound', file: V, feedback: /did not bind UDP port \d+ \(IPv6\)/ },
  // Steps
  { name: 'several-replies', file: PRIM, feedback: /answered one request with \d+ datagrams/ },
  { name: 'busy-awaiting-reply', file: `${PRIM}, ${BUSY}`, result: 'timeout', feedback: BUSY_STOPPED, detailsMatch: /^no answer within \d+ ms, runnable/ },
  { name: 'crashed-without-datagram', file: PRIM, result: 'crash', feedback: /^the (server|client|function) was killed by .* without sending its datagram/ },
  { name: 'exited-without-datagram', file: PRIM, feedback: /^the (server|client|function) exited with .* without sending its datagram/ },
  { name: 'no-datagram-sent', file: PRIM, feedback: /^sent no datagram within \d+ ms/ },
  { name: 'wait-exit-still-running', file: V, feedback: /did not exit within \d+ ms$/, details: false },
  // after.datagrams
  { name: 'sent-where-nothing-due', file: C, feedback: /sent a datagram where it must send nothing/ },
  { name: 'retransmission-not-a-copy', file: C, feedback: /not a copy of its request: a retransmission repeats/ },
  // The end of a program
  { name: 'crashed-while-serving', file: V, result: 'crash', feedback: /was killed by .* (after datagram|before the first datagram)/ },
  { name: 'exited-while-serving', file: V, feedback: /it must keep serving until it is killed/ },
  { name: 'not-exited-busy', file: `${C}, ${BUSY}`, result: 'timeout', feedback: BUSY_STOPPED, detailsMatch: /did not exit within \d+ ms, runnable/ },
  { name: 'not-exited-waiting-for-answer', file: C, feedback: /still waiting for an answer that never came; stop waiting after a timeout/ },
  { name: 'not-exited', file: C, feedback: /did not exit within \d+ ms$/, details: true },
  { name: 'crashed-at-end', file: PRIM, result: 'crash', feedback: /^the (server|client) was killed by \S+ \(.*\)$/ },
  { name: 'result-printed-where-none-due-error-answer', file: `${C}, ${CALC}`, feedback: /printed a result line where it must print none: the answer had S=0/ },
  { name: 'result-printed-where-none-due-empty-answer', file: `${C}, ${CALC}`, feedback: /printed a result line where it must print none: the answer was an empty datagram/ },
  { name: 'result-printed-where-none-due-short-answer', file: `${C}, ${CALC}`, feedback: /printed a result line where it must print none: the answer was too short/ },
  { name: 'result-printed-where-none-due', file: C, feedback: /printed a result line where it must print none/ },
  { name: 'printed-result-byte-swapped', file: `${C}, ${CALC}`, feedback: /^wrong printed result: the result is byte-swapped/ },
  { name: 'printed-result-signed', file: `${C}, ${CALC}`, feedback: /^wrong printed result: it came out as a signed number/ },
  { name: 'printed-result-read-from-header', file: `${C}, ${CALC}`, feedback: /^wrong printed result: the integer was read from the start of the datagram/ },
  { name: 'printed-result-text-read-as-int', file: `${C}, ${CALC}`, feedback: /^wrong printed result: the text answer was read as a 4-byte integer/ },
  { name: 'printed-result-past-text', file: `${C}, ${CALC}`, feedback: /^wrong printed result: printed more than the text answer/ },
  { name: 'printed-result-wrong', file: C, feedback: /^wrong printed result/ },
  { name: 'exit-zero-where-nonzero-due', file: V, feedback: /must end in a non-zero status/ },
  { name: 'exit-status-wrong', file: V, feedback: /exited with .*, expected -?\d+$/ },
  { name: 'stderr-wrong', file: V, feedback: /^expected .* on stderr.*; stderr was/ },
  { name: 'stdout-wrong', file: V, feedback: /^stdout does not have the expected form/ },
  { name: 'result-not-printed', file: C, feedback: /^printed no result line/ },
  // Calculator protocol: replies of a server
  { name: 'calc-answered-where-silence-due', file: CALC, protocol: 'calculator', feedback: /^answered a datagram that must get no answer/ },
  { name: 'cut-address', file: 'grader/verdict/cut-address.ts', /* programs and functions alike */ feedback: /^rec\w*\(\) was given room for \d+ bytes of address/ },
  { name: 'calc-no-answer-from-other-client', file: CALC, protocol: 'calculator', feedback: /^answered an earlier request, but nothing to this one from another client/ },
  { name: 'calc-no-answer-unknown-opcode', file: CALC, protocol: 'calculator', feedback: /^no answer to a request with an unknown opcode/ },
  { name: 'calc-no-answer-error', file: CALC, protocol: 'calculator', feedback: /^no answer to a request with an error/ },
  { name: 'calc-no-answer-unused-bits', file: CALC, protocol: 'calculator', feedback: /^no answer to a valid request whose unused header bits were set/ },
  { name: 'calc-no-answer', file: CALC, protocol: 'calculator', feedback: /^no answer to a valid request/ },
  { name: 'calc-empty-answer', file: CALC, protocol: 'calculator', feedback: /^answered with an empty datagram: a response has at least its header byte/ },
  { name: 'calc-s1-to-unknown-opcode', file: CALC, protocol: 'calculator', feedback: /^answered an unknown opcode with S=1/ },
  { name: 'calc-s1-to-invalid-request', file: CALC, protocol: 'calculator', feedback: /^answered an invalid request with S=1/ },
  { name: 'calc-s0-unused-bits-not-ignored', file: CALC, protocol: 'calculator', feedback: /^answered S=0 to a valid request whose unused header bits were set/ },
  { name: 'calc-s0-to-valid-request', file: CALC, protocol: 'calculator', feedback: /^answered S=0 \(error\) to a valid request/ },
  { name: 'calc-text-where-int-due', file: CALC, protocol: 'calculator', feedback: /^answered in text, but F=0/ },
  { name: 'calc-int-answer-length', file: CALC, protocol: 'calculator', feedback: /^the integer answer must be exactly 4 bytes/ },
  { name: 'calc-result-byte-swapped', file: CALC, protocol: 'calculator', feedback: /^the result (arrived byte-swapped|is byte-swapped)/ },
  { name: 'calc-product-for-sum-opcode', file: CALC, protocol: 'calculator', feedback: /^answered with the (product|sum) instead of the/ },
  { name: 'calc-computed-in-network-order', file: CALC, protocol: 'calculator', feedback: /^the result was computed on the integers in network/ },
  { name: 'calc-result-beyond-length', file: CALC, protocol: 'calculator', feedback: /^the result includes integers beyond the received length/ },
  { name: 'calc-wrong-result-of-request', file: CALC, protocol: 'calculator', feedback: /^wrong result: it is not the result of the integers of the request/ },
  { name: 'calc-wrong-result', file: CALC, protocol: 'calculator', feedback: /^wrong result \(arithmetic is on unsigned/ },
  { name: 'calc-text-nul', file: CALC, protocol: 'calculator', feedback: /^the text answer ends with a NUL byte/ },
  { name: 'calc-text-newline', file: CALC, protocol: 'calculator', feedback: /^the text answer ends with a newline/ },
  { name: 'calc-int-where-text-due', file: CALC, protocol: 'calculator', feedback: /^answered with a 4-byte integer, but F=1/ },
  { name: 'calc-text-signed', file: CALC, protocol: 'calculator', feedback: /^the text answer is printed as a signed number/ },
  { name: 'calc-text-not-digits', file: CALC, protocol: 'calculator', feedback: /^the text answer must be decimal digits only/ },
  // Calculator protocol: requests of a client
  { name: 'calc-empty-request', file: CALC, protocol: 'calculator', feedback: /^sent an empty datagram: a request starts with its header byte/ },
  { name: 'calc-wrong-opcode', file: CALC, protocol: 'calculator', feedback: /^wrong opcode: bits 4-6 of the header/ },
  { name: 'calc-wrong-f-bit', file: CALC, protocol: 'calculator', feedback: /^wrong F bit/ },
  { name: 'calc-request-8-byte-ints', file: CALC, protocol: 'calculator', feedback: /^each integer took 8 bytes: send unsigned 32-bit/ },
  { name: 'calc-request-length', file: CALC, protocol: 'calculator', feedback: /^the request must be 1 \+ 4 x/ },
  { name: 'calc-request-byte-swapped', file: CALC, protocol: 'calculator', feedback: /^the integers arrived byte-swapped/ },
  { name: 'calc-request-wrong-ints', file: CALC, protocol: 'calculator', feedback: /^the integers in the request are not the ones given/ },
  // Integers protocol (sockets-* tasks)
  { name: 'int-sum-as-text', file: INT, protocol: 'integers', feedback: /answered with the sum as text/ },
  { name: 'int-answer-8-bytes', file: INT, protocol: 'integers', feedback: /the answer took 8 bytes/ },
  { name: 'int-answer-length', file: INT, protocol: 'integers', feedback: /the answer must be exactly 4 bytes \(one integer\)/ },
  { name: 'int-sum-byte-swapped', file: INT, protocol: 'integers', feedback: /the sum arrived byte-swapped/ },
  { name: 'int-added-in-network-order', file: INT, protocol: 'integers', feedback: /the received integers were added in network/ },
  { name: 'int-wrong-sum', file: INT, protocol: 'integers', feedback: /wrong sum: add every integer/ },
  { name: 'int-int-where-text-due', file: INT, protocol: 'integers', feedback: /answered with a 4-byte integer: this task wants the sum as decimal text/ },
  { name: 'int-text-nul', file: INT, protocol: 'integers', feedback: /the text answer carries a NUL byte/ },
  { name: 'int-text-newline', file: INT, protocol: 'integers', feedback: /the text answer ends with a newline/ },
  { name: 'int-text-not-digits', file: INT, protocol: 'integers', feedback: /the text answer must be decimal digits only/ },
  { name: 'int-no-answer-to-sender', file: 'grader/protocols/integers/checks.ts', protocol: 'integers', feedback: /no answer came back to the address the integers came from/ },
  { name: 'int-empty-answer', file: 'grader/protocols/integers/checks.ts', protocol: 'integers', feedback: /answered with an empty datagram$|answered with an empty datagram \(/ },
  { name: 'int-request-byte-swapped', file: INT, protocol: 'integers', feedback: /the integers arrived byte-swapped/ },
  { name: 'int-request-wrong-ints', file: INT, protocol: 'integers', feedback: /the datagram has the right length but not the right integers/ },
  { name: 'int-request-8-byte-ints', file: INT, protocol: 'integers', feedback: /each integer took 8 bytes: send 4-byte ints/ },
  { name: 'int-request-1-byte-ints', file: INT, protocol: 'integers', feedback: /each integer took 1 byte/ },
  { name: 'int-request-as-text', file: INT, protocol: 'integers', feedback: /sent the integers as text/ },
  { name: 'int-request-length', file: INT, protocol: 'integers', feedback: /the datagram must be exactly \d+ bytes \(\d+ integers/ },
  // Function tasks: discipline (said over the symptom's verdict)
  { name: 'fn-went-on-after-failure', file: DISC, feedback: /^when a socket call fails, \S+ must .* at once: \S+\(\) failed and the function went on to call/ },
  { name: 'fn-leaks-descriptor', file: DISC, feedback: /leaks a descriptor: .* still open when the function returns/ },
  // Function tasks
  { name: 'fn-request-to-other-port', file: DISC, feedback: /sent its datagram to another port than the one it was given/ },
  { name: 'fn-answer-to-itself', file: DISC, feedback: /sent its answer to its own address \(the port it bound\)/ },
  { name: 'fn-load-error', file: F, feedback: /^your compiled file could not be loaded/ },
  { name: 'fn-missing', file: F, feedback: /^your file does not define/ },
  { name: 'fn-not-called', file: F, feedback: /before \S+ was called: does your file run code of its own/ },
  { name: 'fn-wrong-socket-family', file: F, feedback: /socket where AF_INET6 is needed/ },
  { name: 'fn-wrong-socket-type', file: F, feedback: /socket where SOCK_DGRAM is needed/ },
  { name: 'fn-not-bound', file: F, feedback: /did not bind the given address \(IPv6\)/ },
  { name: 'fn-crashed-after-failed-call', file: F, result: 'crash', feedback: /crashed: .*, after \S+\(\) failed with/ },
  { name: 'fn-crashed', file: F, result: 'crash', feedback: /^\S+\(\) crashed: / },
  { name: 'fn-called-exit', file: F, feedback: /instead of returning: never call exit\(\) in the function/ },
  { name: 'fn-fault-then-busy', file: `${F}, ${BUSY}`, result: 'timeout', feedback: /^when \S+\(\) fails .* must return -1 at once; .*kept the CPU busy/ },
  { name: 'fn-fault-then-waited', file: F, feedback: /^when \S+\(\) fails .* must return -1 at once; .*did not return within/ },
  { name: 'fn-busy', file: `${F}, ${BUSY}`, result: 'timeout', feedback: /kept the CPU busy until it was stopped: an endless loop/ },
  { name: 'fn-answered-then-waited', file: F, feedback: /answered, then waited in \S+\(\) for another datagram/ },
  { name: 'fn-waiting-for-datagram', file: F, feedback: /still waiting in \S+\(\) for a datagram that never came/ },
  { name: 'fn-not-returned', file: F, feedback: /did not return within \S+ s$/ },
  { name: 'fn-fault-never-reached', file: F, feedback: /^this test makes .* fail, but \S+ never called/ },
  { name: 'fn-fault-returned-errno', file: F, feedback: /^when \S+\(\) fails .* must return .*: that is errno/ },
  { name: 'fn-fault-returned-wrong', file: F, feedback: /^when \S+\(\) fails .* must return -?\d+ at once; it returned/ },
  { name: 'fn-returned-wrong-after-failed-call', file: F, feedback: /returned -?\d+, expected -?\d+: \S+\(\) failed with/ },
  { name: 'fn-refused-answer', file: F, feedback: /returned -1, expected \d+: no socket call failed: it refused the answer/ },
  { name: 'fn-returned-wrong', file: F, feedback: /^\S+\(\) returned -?\d+, expected -?\d+/ },
  { name: 'fn-result-not-stored', file: F, feedback: /without storing the result through its pointer/ },
  { name: 'fn-result-byte-swapped', file: F, feedback: /^the stored result is byte-swapped/ },
  { name: 'fn-result-wrong', file: F, feedback: /stored a wrong result/ },
  { name: 'fn-returned-without-datagram', file: F, feedback: /^\S+\(\) returned -?\d+ without sending its datagram/ },
  { name: 'fn-returned-without-answering', file: F, feedback: /^\S+\(\) returned -?\d+ without answering/ },
  { name: 'fn-too-many-datagrams', file: F, feedback: /sent \d+ datagrams where \d+ (was|were) due/ },
];

/** The first rule a verdict matches, or null (a verdict the catalogue does not know yet). */
export function ruleOf(v: Verdict, kind: Kind, protocol: string): Rule | null {
  return (
    RULES.find(
      (r) =>
        (r.kind === undefined || r.kind === kind) &&
        (r.protocol === undefined || r.protocol === protocol) &&
        (r.result === undefined || r.result === v.result) &&
        (r.details === undefined || r.details === (v.details !== undefined)) &&
        (r.detailsMatch === undefined || r.detailsMatch.test(v.details ?? '')) &&
        r.feedback.test(v.feedback),
    ) ?? null
  );
}
