// What a right calculator datagram looks like, and what a wrong one tells
// about the mistake behind it. Feedback names the mistake without quoting the
// test's inputs; `details` carries inputs and bytes, shown for visible tests only.
import { z } from 'zod';
import * as calc from '../../runner/codecs/calculator.js';
import type { Finding, Protocol } from './protocol.js';
import { hexBytes } from '../excerpt.js';

const u32 = z.number().int().min(0).max(0xffffffff);

const replyExpectSchema = z.union([
  z.literal('silence'),
  z
    .object({
      status: z.enum(['ok', 'error']),
      int: u32.optional(),
      text: z.string().regex(/^\d+$/, 'a text result is decimal digits').optional(),
      /** The reply may also be missing (malformed requests: S=0 or silence). */
      optional: z.boolean().default(false),
    })
    .strict(),
]);
type ReplyExpect = z.infer<typeof replyExpectSchema>;

const requestExpectSchema = z
  .object({
    op: z.enum(['sum', 'product']),
    format: z.enum(['int', 'text']),
    ints: z.array(u32).min(1).max(calc.MAX_INTS),
  })
  .strict();
type RequestExpect = z.infer<typeof requestExpectSchema>;

function u32hex(n: number | bigint): string {
  return Number(n).toString(16).padStart(8, '0').replace(/(..)(?!$)/g, '$1 ');
}

/** `cause`: the mistake's id when several tests can fail of it (grader/causes.ts says it once for all). */
function finding(feedback: string, details: string, cause?: string): Finding {
  return { feedback, details, ...(cause ? { cause } : {}) };
}

const OPCODE_HINT = 'read the opcode as (header >> 1) & 7';
const BYTE_ORDER = 'byte order';

function signed32(n: bigint): bigint {
  return n >= 1n << 31n ? n - (1n << 32n) : n;
}

/** What a program computes when it uses the integers as they arrive, without ntohl(), in either byte order. */
function unconvertedResults(req: calc.Request): bigint[] {
  const raw = calc.referenceResult({ header: req.header, ints: req.ints.map(calc.byteSwap32) });
  return raw === null ? [] : [raw, BigInt(calc.byteSwap32(Number(raw)))];
}

/** The other operation's result: a mix-up of opcodes shows as exactly that number. */
function otherOpResult(req: calc.Request): bigint | null {
  const op = calc.opcodeOf(req.header);
  if (op > 1) return null;
  return calc.referenceResult({ header: req.header ^ 0b10, ints: req.ints });
}

function checkReply(expect: ReplyExpect, req: calc.Request, reply: Buffer | null): Finding | null {
  const asked = `request: ${calc.describeRequest(req)}`;
  if (expect === 'silence') {
    return reply === null ? null : finding('answered a datagram that must get no answer', `${asked}; got: ${hexBytes(reply)}`);
  }
  if (reply === null) {
    if (expect.optional) return null;
    if (expect.status === 'error') {
      const unknown = calc.opcodeOf(req.header) > 1;
      return finding(`no answer to a request with ${unknown ? 'an unknown opcode' : 'an error'}: answer it with S=0 (the most significant bit of the header clear)`, asked);
    }
    const unused = calc.unusedBits(req.header) !== 0;
    return finding(
      unused
        ? `no answer to a valid request whose unused header bits were set: ignore the four high bits and ${OPCODE_HINT}`
        : 'no answer to a valid request',
      asked,
    );
  }
  const res = calc.decodeResponse(reply);
  if (!res) return finding('answered with an empty datagram: a response has at least its header byte', asked);

  if (expect.status === 'error') {
    if (!res.success) return null;
    const why = calc.referenceResult(req) === null && calc.opcodeOf(req.header) > 1 ? 'an unknown opcode' : 'an invalid request';
    return finding(
      `answered ${why} with S=1 (success): set S=0 (the most significant bit of the header) when the request cannot be served`,
      `${asked}; got: ${hexBytes(reply)}`,
    );
  }

  const expected = expect.int !== undefined ? BigInt(expect.int) : expect.text !== undefined ? BigInt(expect.text) : calc.referenceResult(req);
  if (expected === null) throw new Error('task bug: expected ok for a request the reference calculator rejects');
  const text = expect.text !== undefined || (expect.int === undefined && calc.wantsText(req.header));
  const want = `expected S=1 and ${text ? `"${expected}"` : `${expected} (${u32hex(expected)})`}`;
  const details = `${asked}; ${want}; got: ${hexBytes(reply)}`;

  if (!res.success) {
    if (calc.unusedBits(req.header) !== 0) {
      return finding(`answered S=0 to a valid request whose unused header bits were set: ignore the four high bits and ${OPCODE_HINT}`, details, 'unused-bits');
    }
    return finding(`answered S=0 (error) to a valid request: set S=1 (0x80 in the header) on success`, details);
  }
  const payload = res.payload;
  const other = otherOpResult(req);

  if (!text) {
    if (payload.length !== 4) {
      if (payload.length > 0 && /^\d+$/.test(payload.toString('latin1')) && BigInt(payload.toString('latin1')) === expected) {
        return finding('answered in text, but F=0 asks for the result as a 4-byte integer', details);
      }
      return finding(`the integer answer must be exactly 4 bytes after the header, got ${payload.length}`, details);
    }
    const got = BigInt(payload.readUInt32BE(0));
    if (got === expected) return null;
    if (got === BigInt(calc.byteSwap32(Number(expected)))) {
      return finding(
        `the result arrived byte-swapped (${BYTE_ORDER}): convert it with htonl() before sending, and the received integers with ntohl()`,
        details,
        'byte-order',
      );
    }
    if (other !== null && got === other) {
      return finding(`answered with the ${calc.opcodeOf(req.header) === 0 ? 'product' : 'sum'} instead of the ${calc.opcodeOf(req.header) === 0 ? 'sum' : 'product'}: ${OPCODE_HINT}`, details, 'opcode');
    }
    if (unconvertedResults(req).includes(got)) {
      return finding(`the result was computed on the integers in network ${BYTE_ORDER}: convert each with ntohl() before computing, and an integer result with htonl() before sending`, details, 'byte-order');
    }
    return finding('wrong result (arithmetic is on unsigned 32-bit integers, modulo 2^32)', details);
  }

  const str = payload.toString('latin1');
  if (payload.length > 0 && payload[payload.length - 1] === 0) {
    return finding('the text answer ends with a NUL byte (\\0): send only the digits, the datagram length delimits them', details, 'text-nul');
  }
  if (/[\r\n]$/.test(str)) return finding('the text answer ends with a newline: send only the digits', details);
  if (payload.length === 4 && !/^\d+$/.test(str) && BigInt(payload.readUInt32BE(0)) === expected) {
    return finding('answered with a 4-byte integer, but F=1 asks for the result as decimal text', details);
  }
  if (!/^\d+$/.test(str)) {
    if (/^-\d+$/.test(str) && BigInt(str) === signed32(expected)) {
      return finding('the text answer is printed as a signed number: print the unsigned 32-bit value (%u)', details);
    }
    return finding('the text answer must be decimal digits only (no sign, spaces or terminator)', details);
  }
  const got = BigInt(str);
  if (got === expected) return null;
  if (got === BigInt(calc.byteSwap32(Number(expected)))) {
    return finding(`the result is byte-swapped (${BYTE_ORDER}): convert the received integers with ntohl() before computing`, details, 'byte-order');
  }
  if (other !== null && got === other) {
    return finding(`answered with the ${calc.opcodeOf(req.header) === 0 ? 'product' : 'sum'} instead of the ${calc.opcodeOf(req.header) === 0 ? 'sum' : 'product'}: ${OPCODE_HINT}`, details, 'opcode');
  }
  if (unconvertedResults(req).includes(got)) {
    return finding(`the result was computed on the integers in network ${BYTE_ORDER}: convert each with ntohl() before computing`, details, 'byte-order');
  }
  return finding('wrong result (arithmetic is on unsigned 32-bit integers, modulo 2^32)', details);
}

function checkRequest(expect: RequestExpect, got: Buffer): Finding | null {
  const want = `expected: ${expect.op}, ${expect.format} answer, ${expect.ints.length} integer(s)`;
  const details = `${want}; got: ${hexBytes(got)}`;
  const req = calc.decodeRequest(got);
  if (!req) return finding('sent an empty datagram: a request starts with its header byte', details);
  const opcode = calc.OPS[expect.op];
  if (req.opcode !== opcode) {
    return finding(
      `wrong opcode: bits 4-6 of the header ((header >> 1) & 7) are ${req.opcode}, expected ${opcode} for ${expect.op === 'sum' ? "'+'" : "'*'"}`,
      details,
    );
  }
  const wantText = expect.format === 'text';
  if (req.text !== wantText) {
    return finding(
      `wrong F bit: the least significant bit of the header is ${req.text ? 1 : 0}, expected ${wantText ? 1 : 0} (${wantText ? '-s asks for text' : 'without -s the answer is an integer'})`,
      details,
    );
  }
  const n = expect.ints.length;
  if (req.payloadLength !== 4 * n) {
    if (req.payloadLength === 8 * n) {
      return finding('each integer took 8 bytes: send unsigned 32-bit integers (uint32_t), 4 bytes each', details);
    }
    return finding(`the request must be 1 + 4 x ${n} = ${1 + 4 * n} bytes long, got ${got.length}`, details);
  }
  const ints = req.ints ?? [];
  if (ints.every((v, i) => v === expect.ints[i])) return null;
  if (ints.every((v, i) => v === calc.byteSwap32(expect.ints[i]!))) {
    return finding(`the integers arrived byte-swapped (${BYTE_ORDER}): convert each with htonl() before sending`, details, 'byte-order');
  }
  return finding('the integers in the request are not the ones given on the command line', details);
}

/** What a client's wrong printed result says about its mistake, given the answers it got. */
function explainResult(printed: string, expected: string | null, answers: Buffer[]): string | null {
  const answer = answers[answers.length - 1];
  if (expected === null) {
    if (!answer) return null;
    const res = calc.decodeResponse(answer);
    if (!res) return 'the answer was an empty datagram: a response has at least its header byte, anything shorter is an error';
    if (!res.success) {
      return 'the answer had S=0 (error), so test the S bit (header & 0x80) before anything else: the payload of an error answer means nothing';
    }
    return 'the answer was too short to hold a result: check the length recvfrom() returns (1 + 4 bytes for an integer answer, at least one digit after the header for text)';
  }
  if (!/^\d+$/.test(expected)) return null;
  if (!/^-?\d+$/.test(printed)) {
    return printed.startsWith(expected)
      ? 'printed more than the text answer: the digits carry no terminating \\0, so end the string at the length recvfrom() returned'
      : null;
  }
  const want = BigInt(expected);
  const got = BigInt(printed);
  if (want >= 1n << 32n || got >= 1n << 32n || got < -(1n << 31n)) return null;
  const asUnsigned = got < 0n ? got + (1n << 32n) : got;
  if (asUnsigned === BigInt(calc.byteSwap32(Number(want)))) {
    return `the result is byte-swapped (${BYTE_ORDER}): convert the integer of the answer with ntohl() before printing it`;
  }
  if (got < 0n && asUnsigned === want) {
    return 'it came out as a signed number: the result is an unsigned 32-bit integer, print it with %u (or PRIu32 for a uint32_t)';
  }
  // The first four bytes read as an integer, either byte order: the number a misplaced read prints.
  const readsAs = (b: Buffer) => b.length >= 4 && (asUnsigned === BigInt(b.readUInt32BE(0)) || asUnsigned === BigInt(b.readUInt32LE(0)));
  if (!answer) return null;
  if (readsAs(answer)) return 'the integer was read from the start of the datagram: it follows the 1-byte header';
  const payload = answer.subarray(1);
  if (/^\d+$/.test(payload.toString('latin1')) && readsAs(payload)) {
    return 'the text answer was read as a 4-byte integer: with -s the answer is decimal digits, print them as they are';
  }
  return null;
}

export const calculatorProtocol: Protocol = {
  name: 'calculator',
  requestSchema: calc.requestSchema,
  responseSchema: calc.responseSchema,
  replyExpectSchema,
  requestExpectSchema,
  buildRequest(spec, random) {
    const req = calc.resolveRequest(spec as calc.RequestSpec, random);
    return { datagram: calc.encodeRequest(req), resolved: req, describe: calc.describeRequest(req) };
  },
  requestFromRaw(datagram) {
    const req = calc.requestFromRaw(datagram);
    return { resolved: req, describe: calc.describeRequest(req) };
  },
  buildResponse(spec) {
    return calc.encodeResponse(spec as calc.ResponseSpec);
  },
  checkReply: (expect, request, reply) => checkReply(expect as ReplyExpect, request as calc.Request, reply),
  checkRequest: (expect, got) => checkRequest(expect as RequestExpect, got),
  explainResult,
  expectationProblem(expect, request) {
    const e = expect as ReplyExpect;
    if (e !== 'silence' && e.status === 'ok' && e.int === undefined && e.text === undefined) {
      if ((request as calc.Request).rawLength !== undefined) return 'give the expected int or text: the request is raw bytes';
      if (calc.referenceResult(request as calc.Request) === null) return 'status ok, but the reference calculator answers S=0 to this request';
    }
    return null;
  },
};
