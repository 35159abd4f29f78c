// What a wrong calculator datagram, or a wrong printed result, tells about the
// mistake behind it: byte order, a NUL or newline after the digits, the opcode
// or F bit, the unused header bits, S. Each function returns a Mistake (the
// feedback for the student, naming the mistake without the test's inputs, and
// the cause it names when several tests can fail of it), or null.
import { byteSwap32, readU32 } from '../bytes.js';
import type { CauseId, Mistake } from '../protocol.js';
import * as calc from './codec.js';

export const OPCODE_HINT = 'read the opcode as (header >> 1) & 7';
const BYTE_ORDER = 'byte order';

/** How the result travels: a 4-byte integer (F=0) or decimal digits (F=1). */
export type ResultForm = 'int' | 'text';

/** The number a result payload carries, or the mistake that keeps it from carrying one. */
export type ReadResult = { got: bigint } | { mistake: Mistake };

const DIGITS = /^\d+$/;

function said(feedback: string, cause?: CauseId): Mistake {
  return cause ? { feedback, cause } : { feedback };
}

function signed32(n: bigint): bigint {
  return n >= 1n << 31n ? n - (1n << 32n) : n;
}

/** What a program computes when it uses the integers as they arrive, without ntohl(), in either byte order. */
function unconvertedResults(req: calc.Request): bigint[] {
  const raw = calc.referenceResult({ header: req.header, ints: req.ints.map(byteSwap32) });
  return raw === null ? [] : [raw, BigInt(byteSwap32(Number(raw)))];
}

/** The other operation's result: a mix-up of opcodes shows as exactly that number. */
function otherOpResult(req: calc.Request): bigint | null {
  const op = calc.opcodeOf(req.header);
  if (op > 1) return null;
  return calc.referenceResult({ header: req.header ^ 0b10, ints: req.ints });
}

/** What the program did with the earlier requests of the same test (sent before this one). */
export interface Earlier {
  request: calc.Request;
  answered: boolean;
  /** The peer socket it came from: a fresh one is a new client (a new source port). */
  socket: string;
}

/** The same request with its unused header bits clear. */
function sameWithBitsClear(a: calc.Request, b: calc.Request): boolean {
  return (a.header & 0x0f) === (b.header & 0x0f) && calc.unusedBits(b.header) === 0;
}

/**
 * A request that must be answered got no answer at all. What was answered
 * before it in the same test tells why: only the first client (its socket is
 * connect()ed to it), or only requests with the unused bits clear. Without
 * such evidence the plain fact: a server that never answers is not told to
 * look at header bits.
 */
export function missingReplyMistake(req: calc.Request, status: 'ok' | 'error', socket = '', earlier: readonly Earlier[] = []): Mistake {
  const answered = earlier.filter((e) => e.answered);
  if (answered.length && answered.every((e) => e.socket !== socket)) {
    return said('answered an earlier request, but nothing to this one from another client (another source port): answer each request to the address recvfrom() filled in (a socket connect()ed to its first client hears no other)', 'first-client-only');
  }
  if (status === 'error') {
    const unknown = calc.opcodeOf(req.header) > 1;
    return said(`no answer to a request with ${unknown ? 'an unknown opcode' : 'an error'}: answer it with S=0 (the most significant bit of the header clear)`);
  }
  if (calc.unusedBits(req.header) !== 0 && answered.some((e) => sameWithBitsClear(req, e.request))) {
    return said(`no answer to a valid request whose unused header bits were set, though the same request with them clear was answered: ignore the four high bits and ${OPCODE_HINT}`, 'unused-bits');
  }
  return said('no answer to a valid request');
}

/** A request that cannot be served was answered S=1. */
export function servedInvalidMistake(req: calc.Request): Mistake {
  const why = calc.referenceResult(req) === null && calc.opcodeOf(req.header) > 1 ? 'an unknown opcode' : 'an invalid request';
  return said(`answered ${why} with S=1 (success): set S=0 (the most significant bit of the header) when the request cannot be served`, 'error-s-bit');
}

/** A valid request was answered S=0. */
export function refusedValidMistake(req: calc.Request): Mistake {
  if (calc.unusedBits(req.header) !== 0) {
    return said(`answered S=0 to a valid request whose unused header bits were set: ignore the four high bits and ${OPCODE_HINT}`, 'unused-bits');
  }
  return said(`answered S=0 (error) to a valid request: set S=1 (0x80 in the header) on success`);
}

/** The result of an F=0 answer: exactly one u32 after the header. */
export function readIntResult(payload: Buffer, expected: bigint): ReadResult {
  if (payload.length === 4) return { got: BigInt(readU32(payload)) };
  const str = payload.toString('latin1');
  if (payload.length > 0 && DIGITS.test(str) && BigInt(str) === expected) {
    return { mistake: said('answered in text, but F=0 asks for the result as a 4-byte integer', 'f-bit') };
  }
  return { mistake: said(`the integer answer must be exactly 4 bytes after the header, got ${payload.length}`) };
}

/** The result of an F=1 answer: decimal digits and nothing else. */
export function readTextResult(payload: Buffer, expected: bigint): ReadResult {
  const str = payload.toString('latin1');
  if (payload.length > 0 && payload[payload.length - 1] === 0) {
    return { mistake: said('the text answer ends with a NUL byte (\\0): send only the digits, the datagram length delimits them', 'text-nul') };
  }
  if (/[\r\n]$/.test(str)) return { mistake: said('the text answer ends with a newline: send only the digits', 'text-newline') };
  if (payload.length === 4 && !DIGITS.test(str) && BigInt(readU32(payload)) === expected) {
    return { mistake: said('answered with a 4-byte integer, but F=1 asks for the result as decimal text', 'f-bit') };
  }
  if (DIGITS.test(str)) return { got: BigInt(str) };
  if (/^-\d+$/.test(str) && BigInt(str) === signed32(expected)) {
    return { mistake: said('the text answer is printed as a signed number: print the unsigned 32-bit value (%u)', 'text-signed') };
  }
  return { mistake: said('the text answer must be decimal digits only (no sign, spaces or terminator)') };
}

/** Where the two forms differ in what a byte-order mistake asks the student to fix. */
const BYTE_ORDER_ADVICE: Record<ResultForm, { swapped: string; unconverted: string }> = {
  int: {
    swapped: `the result arrived byte-swapped (${BYTE_ORDER}): convert it with htonl() before sending, and the received integers with ntohl()`,
    unconverted: `the result was computed on the integers in network ${BYTE_ORDER}: convert each with ntohl() before computing, and an integer result with htonl() before sending`,
  },
  text: {
    swapped: `the result is byte-swapped (${BYTE_ORDER}): convert the received integers with ntohl() before computing`,
    unconverted: `the result was computed on the integers in network ${BYTE_ORDER}: convert each with ntohl() before computing`,
  },
};

/**
 * The results a program gets when it computes on more integers than the
 * request carries: those an earlier, longer request of the same test left in
 * its buffer after this request's own (the count taken from the longest
 * request, or the whole buffer).
 */
function staleResults(req: calc.Request, earlier: readonly calc.Request[]): bigint[] {
  const buffer = [...req.ints];
  for (const e of [...earlier].reverse()) {
    for (let i = buffer.length; i < e.ints.length; i++) buffer.push(e.ints[i]!);
  }
  const results: bigint[] = [];
  for (let n = req.ints.length + 1; n <= Math.min(buffer.length, calc.MAX_INTS); n++) {
    const r = calc.referenceResult({ header: req.header, ints: buffer.slice(0, n) });
    if (r !== null) results.push(r);
  }
  return results;
}

/** Whether the exact result (not modulo 2^32) leaves 32 bits: only then is wrap-around a likely mistake. */
function wrapsAround(req: calc.Request): boolean {
  const exact = req.ints.reduce((acc, n) => (calc.opcodeOf(req.header) === 0 ? acc + BigInt(n) : acc * BigInt(n)), calc.opcodeOf(req.header) === 0 ? 0n : 1n);
  return exact >= 1n << 32n;
}

/**
 * A well-formed result that is not the expected one: byte order, the other
 * operation, integers beyond the received length, or wrong arithmetic (the
 * hint about 32-bit arithmetic only when the exact result wraps around).
 * `earlier`: the requests sent before this one in the same test.
 */
export function wrongResultMistake(got: bigint, expected: bigint, req: calc.Request, form: ResultForm, earlier: readonly calc.Request[] = []): Mistake {
  const advice = BYTE_ORDER_ADVICE[form];
  if (got === BigInt(byteSwap32(Number(expected)))) return said(advice.swapped, 'byte-order');
  const other = otherOpResult(req);
  if (other !== null && got === other) {
    const askedSum = calc.opcodeOf(req.header) === 0;
    return said(`answered with the ${askedSum ? 'product' : 'sum'} instead of the ${askedSum ? 'sum' : 'product'}: ${OPCODE_HINT}`, 'opcode');
  }
  if (unconvertedResults(req).includes(got)) return said(advice.unconverted, 'byte-order');
  if (req.rawLength === undefined && staleResults(req, earlier).includes(got)) {
    return said('the result includes integers beyond the received length (left in the buffer by an earlier, longer request): compute on the (length - 1) / 4 integers recvfrom() received, no more');
  }
  if (wrapsAround(req)) return said('wrong result (arithmetic is on unsigned 32-bit integers, modulo 2^32)');
  return said('wrong result: it is not the result of the integers of the request');
}

/** A client's request header that does not say the operation and format it was asked for. */
export function headerMistake(req: calc.DecodedRequest, op: 'sum' | 'product', format: ResultForm): Mistake | null {
  const opcode = calc.OPS[op];
  if (req.opcode !== opcode) {
    return said(`wrong opcode: bits 4-6 of the header ((header >> 1) & 7) are ${req.opcode}, expected ${opcode} for ${op === 'sum' ? "'+'" : "'*'"}`, 'opcode');
  }
  const wantText = format === 'text';
  if (req.text !== wantText) {
    return said(`wrong F bit: the least significant bit of the header is ${req.text ? 1 : 0}, expected ${wantText ? 1 : 0} (${wantText ? '-s asks for text' : 'without -s the answer is an integer'})`, 'f-bit');
  }
  return null;
}

/** A client's request whose integers are not the ones it was given. */
export function integersMistake(req: calc.DecodedRequest, want: readonly number[], length: number): Mistake | null {
  const n = want.length;
  if (req.payloadLength !== 4 * n) {
    if (req.payloadLength === 8 * n) return said('each integer took 8 bytes: send unsigned 32-bit integers (uint32_t), 4 bytes each');
    return said(`the request must be 1 + 4 x ${n} = ${1 + 4 * n} bytes long, got ${length}`);
  }
  const ints = req.ints ?? [];
  if (ints.every((v, i) => v === want[i])) return null;
  if (ints.every((v, i) => v === byteSwap32(want[i]!))) {
    return said(`the integers arrived byte-swapped (${BYTE_ORDER}): convert each with htonl() before sending`, 'byte-order');
  }
  return said('the integers in the request are not the ones given on the command line');
}

/** Client tasks: a result printed although the last answer held none (S=0, empty or too short). */
function explainUnduePrint(answer: Buffer | undefined): Mistake | null {
  if (!answer) return null;
  const res = calc.decodeResponse(answer);
  if (!res) return said('the answer was an empty datagram: a response has at least its header byte, anything shorter is an error');
  if (!res.success) {
    return said('the answer had S=0 (error), so test the S bit (header & 0x80) before anything else: the payload of an error answer means nothing');
  }
  return said('the answer was too short to hold a result: check the length recvfrom() returns (1 + 4 bytes for an integer answer, at least one digit after the header for text)');
}

/** Client tasks: a number printed that is not the expected one, read against the answer it came from. */
function explainWrongNumber(got: bigint, want: bigint, answer: Buffer | undefined): Mistake | null {
  if (want >= 1n << 32n || got >= 1n << 32n || got < -(1n << 31n)) return null;
  const asUnsigned = got < 0n ? got + (1n << 32n) : got;
  if (asUnsigned === BigInt(byteSwap32(Number(want)))) {
    return said(`the result is byte-swapped (${BYTE_ORDER}): convert the integer of the answer with ntohl() before printing it`, 'byte-order');
  }
  if (got < 0n && asUnsigned === want) {
    return said('it came out as a signed number: the result is an unsigned 32-bit integer, print it with %u (or PRIu32 for a uint32_t)', 'text-signed');
  }
  // The first four bytes read as an integer, either byte order: the number a misplaced read prints.
  const readsAs = (b: Buffer) => b.length >= 4 && (asUnsigned === BigInt(readU32(b)) || asUnsigned === BigInt(b.readUInt32LE(0)));
  if (!answer) return null;
  if (readsAs(answer)) return said('the integer was read from the start of the datagram: it follows the 1-byte header');
  const payload = answer.subarray(1);
  if (DIGITS.test(payload.toString('latin1')) && readsAs(payload)) {
    return said('the text answer was read as a 4-byte integer: with -s the answer is decimal digits, print them as they are', 'f-bit');
  }
  return null;
}

/** What a client's wrong printed result says about its mistake, given the answers it got. */
export function explainResult(printed: string, expected: string | null, answers: Buffer[]): Mistake | null {
  const answer = answers[answers.length - 1];
  if (expected === null) return explainUnduePrint(answer);
  if (!DIGITS.test(expected)) return null;
  if (!/^-?\d+$/.test(printed)) {
    return printed.startsWith(expected)
      ? said('printed more than the text answer: the digits carry no terminating \\0, so end the string at the length recvfrom() returned')
      : null;
  }
  return explainWrongNumber(BigInt(printed), BigInt(expected), answer);
}
