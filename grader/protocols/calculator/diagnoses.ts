// What a wrong calculator datagram, or a wrong printed result, tells about the
// mistake behind it: byte order, a NUL or newline after the digits, the opcode
// or F bit, the unused header bits, S. Each function returns the feedback for
// the student (naming the mistake without the test's inputs), or null.
import { byteSwap32, readU32 } from '../bytes.js';
import * as calc from './codec.js';

export const OPCODE_HINT = 'read the opcode as (header >> 1) & 7';
const BYTE_ORDER = 'byte order';

/** How the result travels: a 4-byte integer (F=0) or decimal digits (F=1). */
export type ResultForm = 'int' | 'text';

/** The number a result payload carries, or the mistake that keeps it from carrying one. */
export type ReadResult = { got: bigint } | { mistake: string };

const DIGITS = /^\d+$/;

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

/** A request that must be answered got no answer at all. */
export function missingReplyMistake(req: calc.Request, status: 'ok' | 'error'): string {
  if (status === 'error') {
    const unknown = calc.opcodeOf(req.header) > 1;
    return `no answer to a request with ${unknown ? 'an unknown opcode' : 'an error'}: answer it with S=0 (the most significant bit of the header clear)`;
  }
  return calc.unusedBits(req.header) !== 0
    ? `no answer to a valid request whose unused header bits were set: ignore the four high bits and ${OPCODE_HINT}`
    : 'no answer to a valid request';
}

/** A request that cannot be served was answered S=1. */
export function servedInvalidMistake(req: calc.Request): string {
  const why = calc.referenceResult(req) === null && calc.opcodeOf(req.header) > 1 ? 'an unknown opcode' : 'an invalid request';
  return `answered ${why} with S=1 (success): set S=0 (the most significant bit of the header) when the request cannot be served`;
}

/** A valid request was answered S=0. */
export function refusedValidMistake(req: calc.Request): string {
  if (calc.unusedBits(req.header) !== 0) {
    return `answered S=0 to a valid request whose unused header bits were set: ignore the four high bits and ${OPCODE_HINT}`;
  }
  return `answered S=0 (error) to a valid request: set S=1 (0x80 in the header) on success`;
}

/** The result of an F=0 answer: exactly one u32 after the header. */
export function readIntResult(payload: Buffer, expected: bigint): ReadResult {
  if (payload.length === 4) return { got: BigInt(readU32(payload)) };
  const str = payload.toString('latin1');
  if (payload.length > 0 && DIGITS.test(str) && BigInt(str) === expected) {
    return { mistake: 'answered in text, but F=0 asks for the result as a 4-byte integer' };
  }
  return { mistake: `the integer answer must be exactly 4 bytes after the header, got ${payload.length}` };
}

/** The result of an F=1 answer: decimal digits and nothing else. */
export function readTextResult(payload: Buffer, expected: bigint): ReadResult {
  const str = payload.toString('latin1');
  if (payload.length > 0 && payload[payload.length - 1] === 0) {
    return { mistake: 'the text answer ends with a NUL byte (\\0): send only the digits, the datagram length delimits them' };
  }
  if (/[\r\n]$/.test(str)) return { mistake: 'the text answer ends with a newline: send only the digits' };
  if (payload.length === 4 && !DIGITS.test(str) && BigInt(readU32(payload)) === expected) {
    return { mistake: 'answered with a 4-byte integer, but F=1 asks for the result as decimal text' };
  }
  if (DIGITS.test(str)) return { got: BigInt(str) };
  if (/^-\d+$/.test(str) && BigInt(str) === signed32(expected)) {
    return { mistake: 'the text answer is printed as a signed number: print the unsigned 32-bit value (%u)' };
  }
  return { mistake: 'the text answer must be decimal digits only (no sign, spaces or terminator)' };
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

/** A well-formed result that is not the expected one: byte order, the other operation, or plain arithmetic. */
export function wrongResultMistake(got: bigint, expected: bigint, req: calc.Request, form: ResultForm): string {
  const advice = BYTE_ORDER_ADVICE[form];
  if (got === BigInt(byteSwap32(Number(expected)))) return advice.swapped;
  const other = otherOpResult(req);
  if (other !== null && got === other) {
    const askedSum = calc.opcodeOf(req.header) === 0;
    return `answered with the ${askedSum ? 'product' : 'sum'} instead of the ${askedSum ? 'sum' : 'product'}: ${OPCODE_HINT}`;
  }
  if (unconvertedResults(req).includes(got)) return advice.unconverted;
  return 'wrong result (arithmetic is on unsigned 32-bit integers, modulo 2^32)';
}

/** A client's request header that does not say the operation and format it was asked for. */
export function headerMistake(req: calc.DecodedRequest, op: 'sum' | 'product', format: ResultForm): string | null {
  const opcode = calc.OPS[op];
  if (req.opcode !== opcode) {
    return `wrong opcode: bits 4-6 of the header ((header >> 1) & 7) are ${req.opcode}, expected ${opcode} for ${op === 'sum' ? "'+'" : "'*'"}`;
  }
  const wantText = format === 'text';
  if (req.text !== wantText) {
    return `wrong F bit: the least significant bit of the header is ${req.text ? 1 : 0}, expected ${wantText ? 1 : 0} (${wantText ? '-s asks for text' : 'without -s the answer is an integer'})`;
  }
  return null;
}

/** A client's request whose integers are not the ones it was given. */
export function integersMistake(req: calc.DecodedRequest, want: readonly number[], length: number): string | null {
  const n = want.length;
  if (req.payloadLength !== 4 * n) {
    if (req.payloadLength === 8 * n) return 'each integer took 8 bytes: send unsigned 32-bit integers (uint32_t), 4 bytes each';
    return `the request must be 1 + 4 x ${n} = ${1 + 4 * n} bytes long, got ${length}`;
  }
  const ints = req.ints ?? [];
  if (ints.every((v, i) => v === want[i])) return null;
  if (ints.every((v, i) => v === byteSwap32(want[i]!))) {
    return `the integers arrived byte-swapped (${BYTE_ORDER}): convert each with htonl() before sending`;
  }
  return 'the integers in the request are not the ones given on the command line';
}

/** Client tasks: a result printed although the last answer held none (S=0, empty or too short). */
function explainUnduePrint(answer: Buffer | undefined): string | null {
  if (!answer) return null;
  const res = calc.decodeResponse(answer);
  if (!res) return 'the answer was an empty datagram: a response has at least its header byte, anything shorter is an error';
  if (!res.success) {
    return 'the answer had S=0 (error), so test the S bit (header & 0x80) before anything else: the payload of an error answer means nothing';
  }
  return 'the answer was too short to hold a result: check the length recvfrom() returns (1 + 4 bytes for an integer answer, at least one digit after the header for text)';
}

/** Client tasks: a number printed that is not the expected one, read against the answer it came from. */
function explainWrongNumber(got: bigint, want: bigint, answer: Buffer | undefined): string | null {
  if (want >= 1n << 32n || got >= 1n << 32n || got < -(1n << 31n)) return null;
  const asUnsigned = got < 0n ? got + (1n << 32n) : got;
  if (asUnsigned === BigInt(byteSwap32(Number(want)))) {
    return `the result is byte-swapped (${BYTE_ORDER}): convert the integer of the answer with ntohl() before printing it`;
  }
  if (got < 0n && asUnsigned === want) {
    return 'it came out as a signed number: the result is an unsigned 32-bit integer, print it with %u (or PRIu32 for a uint32_t)';
  }
  // The first four bytes read as an integer, either byte order: the number a misplaced read prints.
  const readsAs = (b: Buffer) => b.length >= 4 && (asUnsigned === BigInt(readU32(b)) || asUnsigned === BigInt(b.readUInt32LE(0)));
  if (!answer) return null;
  if (readsAs(answer)) return 'the integer was read from the start of the datagram: it follows the 1-byte header';
  const payload = answer.subarray(1);
  if (DIGITS.test(payload.toString('latin1')) && readsAs(payload)) {
    return 'the text answer was read as a 4-byte integer: with -s the answer is decimal digits, print them as they are';
  }
  return null;
}

/** What a client's wrong printed result says about its mistake, given the answers it got. */
export function explainResult(printed: string, expected: string | null, answers: Buffer[]): string | null {
  const answer = answers[answers.length - 1];
  if (expected === null) return explainUnduePrint(answer);
  if (!DIGITS.test(expected)) return null;
  if (!/^-?\d+$/.test(printed)) {
    return printed.startsWith(expected)
      ? 'printed more than the text answer: the digits carry no terminating \\0, so end the string at the length recvfrom() returned'
      : null;
  }
  return explainWrongNumber(BigInt(printed), BigInt(expected), answer);
}
