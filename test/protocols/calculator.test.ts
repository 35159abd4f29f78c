// The calculator protocol on its own (grader/protocols/calculator/): the
// datagrams its codec builds and reads, and the feedback a student gets for
// each mistake a wrong datagram reveals, from real byte sequences.
import { describe, expect, it } from 'vitest';
import { parseHex } from '../../grader/protocols/bytes.js';
import { calculatorProtocol as calculator } from '../../grader/protocols/calculator/index.js';
import * as calc from '../../grader/protocols/calculator/codec.js';
import * as schemas from '../../grader/protocols/calculator/schemas.js';
import { seededRandom } from '../../grader/protocols/random.js';

const bytes = parseHex;

/** The feedback for `reply` (hex, or null for no answer) to a request built from `spec`. */
function replyFeedback(spec: object, expectation: unknown, reply: string | null): string | null {
  const req = calculator.buildRequest(schemas.requestSchema.parse(spec), () => 0).resolved;
  const expect = schemas.replyExpectSchema.parse(expectation);
  return calculator.checkReply(expect, req, reply === null ? null : bytes(reply))?.feedback ?? null;
}

/** A request built from `spec`, as the plan resolves it. */
function request(spec: object): calc.Request {
  return calculator.buildRequest(schemas.requestSchema.parse(spec), () => 0).resolved as calc.Request;
}

/** The finding for `reply` to `spec`, after the earlier requests of the same test (each from its own socket unless named). */
function replyAfter(spec: object, reply: string | null, earlier: { spec: object; answered: boolean; socket?: string }[], socket = 'now') {
  const history = { socket, earlier: earlier.map((e, i) => ({ request: request(e.spec), answered: e.answered, socket: e.socket ?? `step-${i}` })) };
  return calculator.checkReply(schemas.replyExpectSchema.parse(OK), request(spec), reply === null ? null : bytes(reply), history);
}

/** The feedback for a client's request `got` (hex) when it was asked for `expectation`. */
function requestFeedback(expectation: object, got: string): string | null {
  return calculator.checkRequest(schemas.requestExpectSchema.parse(expectation), bytes(got))?.feedback ?? null;
}

const OK = { status: 'ok' };

describe('calculator codec', () => {
  it('builds a request as header [unused:4 | opcode:3 | F:1] and big-endian integers, and reads it back', () => {
    const req = calc.resolveRequest(schemas.requestSchema.parse({ op: 'product', format: 'text', unused: 5, ints: [1, 0xffffffff] }), () => 0);
    const datagram = calc.encodeRequest(req);
    expect(datagram).toEqual(bytes('53 00 00 00 01 ff ff ff ff'));
    expect(calc.decodeRequest(datagram)).toEqual({ header: 0x53, opcode: 1, text: true, unused: 5, ints: [1, 0xffffffff], payloadLength: 8 });
  });

  it('reads a payload that is not 1..64 whole integers as no integers', () => {
    expect(calc.decodeRequest(bytes('00 00 00 01'))?.ints).toBeNull();
    expect(calc.decodeRequest(bytes('00'))?.ints).toBeNull();
    expect(calc.decodeRequest(Buffer.alloc(1 + 4 * 65))?.ints).toBeNull();
    expect(calc.decodeRequest(Buffer.alloc(1 + 4 * 64))?.ints).toHaveLength(64);
    expect(calc.decodeRequest(Buffer.alloc(0))).toBeNull();
  });

  it('builds responses: S bit, unused bits, an integer, digits or raw payload', () => {
    const res = (spec: object) => calc.encodeResponse(schemas.responseSchema.parse(spec));
    expect(res({ status: 'ok', int: 25 })).toEqual(bytes('80 00 00 00 19'));
    expect(res({ status: 'ok', text: '25' })).toEqual(bytes('80 32 35'));
    expect(res({ status: 'error', unused: 1, payload: 'de ad' })).toEqual(bytes('01 de ad'));
    expect(calc.decodeResponse(bytes('80 00 00 00 19'))).toEqual({ success: true, header: 0x80, payload: bytes('00 00 00 19') });
    expect(calc.decodeResponse(bytes('7f'))?.success).toBe(false);
  });

  it('computes as the reference calculator: modulo 2^32, S=0 for unknown opcodes and bad counts', () => {
    expect(calc.referenceResult({ header: 0x00, ints: [0xffffffff, 2] })).toBe(1n);
    expect(calc.referenceResult({ header: 0x02, ints: [0x10000, 0x10000] })).toBe(0n);
    expect(calc.referenceResult({ header: 0x02, ints: [6, 7] })).toBe(42n);
    expect(calc.referenceResult({ header: 0x04, ints: [1] })).toBeNull();
    expect(calc.referenceResult({ header: 0x00, ints: [] })).toBeNull();
    expect(calc.referenceResult({ header: 0x00, ints: Array(65).fill(1) })).toBeNull();
  });

  it('describes a request without its integers, and raw bytes by their length', () => {
    expect(calc.describeRequest({ header: 0x03, ints: [1, 2] })).toBe('product of 2 integers, text answer (header 0x03)');
    expect(calc.describeRequest(calc.requestFromRaw(bytes('00 01')))).toBe('a raw datagram of 2 bytes');
    expect(calc.describeRequest(calc.requestFromRaw(Buffer.alloc(0)))).toBe('an empty datagram');
  });

  it('draws random integers from the seeded generator, the same for the same seed', () => {
    const spec = schemas.requestSchema.parse({ op: 'sum', random_ints: 3 });
    const a = calculator.buildRequest(spec, seededRandom(7));
    expect(a.datagram).toHaveLength(13);
    expect(calculator.buildRequest(spec, seededRandom(7)).datagram).toEqual(a.datagram);
  });
});

describe('calculator: what a server answered', () => {
  const sum = (ints: number[], format = 'int') => ({ op: 'sum', format, ints });

  it('accepts the right integer and the right digits', () => {
    expect(replyFeedback(sum([12, 13]), OK, '80 00 00 00 19')).toBeNull();
    expect(replyFeedback(sum([12, 13], 'text'), OK, '80 32 35')).toBeNull();
    expect(replyFeedback(sum([0xffffffff, 1]), OK, '80 00 00 00 00')).toBeNull();
  });

  it('byte order: a result sent without htonl(), integers used without ntohl()', () => {
    expect(replyFeedback(sum([12, 13]), OK, '80 19 00 00 00')).toBe(
      'the result arrived byte-swapped (byte order): convert it with htonl() before sending, and the received integers with ntohl()',
    );
    // 25 byte-swapped is 0x19000000 = 419430400, sent as digits.
    expect(replyFeedback(sum([12, 13], 'text'), OK, '80 34 31 39 34 33 30 34 30 30')).toBe(
      'the result is byte-swapped (byte order): convert the received integers with ntohl() before computing',
    );
    // 0x1ff + 1 added as they arrive: 0xff010000 + 0x01000000 wraps to 0x00010000.
    expect(replyFeedback(sum([0x1ff, 1]), OK, '80 00 01 00 00')).toBe(
      'the result was computed on the integers in network byte order: convert each with ntohl() before computing, and an integer result with htonl() before sending',
    );
    expect(replyFeedback(sum([0x1ff, 1], 'text'), OK, '80 36 35 35 33 36')).toBe(
      'the result was computed on the integers in network byte order: convert each with ntohl() before computing',
    );
  });

  it('text terminators: a NUL or a newline after the digits', () => {
    expect(replyFeedback(sum([12, 13], 'text'), OK, '80 32 35 00')).toBe(
      'the text answer ends with a NUL byte (\\0): send only the digits, the datagram length delimits them',
    );
    expect(replyFeedback(sum([12, 13], 'text'), OK, '80 32 35 0a')).toBe('the text answer ends with a newline: send only the digits');
    expect(replyFeedback(sum([12, 13], 'text'), OK, '80 32 35 0d 0a')).toBe('the text answer ends with a newline: send only the digits');
    expect(replyFeedback(sum([12, 13], 'text'), OK, '80 20 32 35')).toBe('the text answer must be decimal digits only (no sign, spaces or terminator)');
  });

  it('the F bit: text when an integer was asked for, and the reverse', () => {
    expect(replyFeedback(sum([12, 13]), OK, '80 32 35')).toBe('answered in text, but F=0 asks for the result as a 4-byte integer');
    expect(replyFeedback(sum([12, 13], 'text'), OK, '80 00 00 00 19')).toBe('answered with a 4-byte integer, but F=1 asks for the result as decimal text');
    expect(replyFeedback(sum([12, 13]), OK, '80 00 19')).toBe('the integer answer must be exactly 4 bytes after the header, got 2');
  });

  it('signed text: a result of 2^31 or more printed with %d', () => {
    expect(replyFeedback(sum([0xffffffff, 0], 'text'), OK, '80 2d 31')).toBe(
      'the text answer is printed as a signed number: print the unsigned 32-bit value (%u)',
    );
  });

  it('opcode bits: the other operation, an unknown opcode served or left unanswered', () => {
    expect(replyFeedback(sum([3, 4]), OK, '80 00 00 00 0c')).toBe('answered with the product instead of the sum: read the opcode as (header >> 1) & 7');
    expect(replyFeedback({ op: 'product', ints: [3, 4] }, OK, '80 00 00 00 07')).toBe(
      'answered with the sum instead of the product: read the opcode as (header >> 1) & 7',
    );
    const unknown = { op: 2, ints: [3, 4] };
    expect(replyFeedback(unknown, { status: 'error' }, '00')).toBeNull();
    expect(replyFeedback(unknown, { status: 'error' }, '80 00 00 00 07')).toBe(
      'answered an unknown opcode with S=1 (success): set S=0 (the most significant bit of the header) when the request cannot be served',
    );
    expect(replyFeedback(unknown, { status: 'error' }, null)).toBe(
      'no answer to a request with an unknown opcode: answer it with S=0 (the most significant bit of the header clear)',
    );
    expect(replyFeedback({ op: 'sum', ints: Array(65).fill(1) }, { status: 'error' }, '80 00 00 00 41')).toMatch(/^answered an invalid request with S=1/);
  });

  it('unused bits: a valid request with the four high bits set is still served', () => {
    const unused = { op: 'sum', unused: 15, ints: [12, 13] };
    expect(replyFeedback(unused, OK, '80 00 00 00 19')).toBeNull();
    expect(replyFeedback(unused, OK, '00')).toBe(
      'answered S=0 to a valid request whose unused header bits were set: ignore the four high bits and read the opcode as (header >> 1) & 7',
    );
    // No answer, and nothing shows the bits are to blame (a server that never answers): the plain fact.
    expect(replyFeedback(unused, OK, null)).toBe('no answer to a valid request');
    // The same request with the bits clear was answered from the same socket: the bits are to blame.
    const f = replyAfter(unused, null, [{ spec: { op: 'sum', ints: [1, 2] }, answered: true, socket: 'now' }]);
    expect(f?.feedback).toBe(
      'no answer to a valid request whose unused header bits were set, though the same request with them clear was answered: ignore the four high bits and read the opcode as (header >> 1) & 7',
    );
    expect(f?.cause).toBe('unused-bits');
    expect(replyFeedback(sum([12, 13]), OK, '00')).toBe('answered S=0 (error) to a valid request: set S=1 (0x80 in the header) on success');
    expect(replyFeedback(sum([12, 13]), OK, null)).toBe('no answer to a valid request');
  });

  it('silence, an empty answer, an optional one, plain wrong arithmetic', () => {
    expect(replyFeedback(sum([1]), 'silence', null)).toBeNull();
    expect(replyFeedback(sum([1]), 'silence', '00')).toBe('answered a datagram that must get no answer');
    expect(replyFeedback(sum([1]), OK, '')).toBe('answered with an empty datagram: a response has at least its header byte');
    expect(replyFeedback(sum([1]), { status: 'error', optional: true }, null)).toBeNull();
    // No wrap-around in this request: no hint about 32-bit arithmetic.
    expect(replyFeedback(sum([12, 13]), OK, '80 00 00 00 1a')).toBe('wrong result: it is not the result of the integers of the request');
    expect(replyFeedback(sum([12, 13], 'text'), OK, '80 32 36')).toBe('wrong result: it is not the result of the integers of the request');
    expect(replyFeedback(sum([0xffffffff, 2]), OK, '80 00 00 00 00')).toBe('wrong result (arithmetic is on unsigned 32-bit integers, modulo 2^32)');
  });

  it('a result that includes integers an earlier, longer request left in the buffer', () => {
    const earlier = [{ spec: sum([1, 2, 3, 4]), answered: true }];
    // 10 + 20 + 3 (left at position 3) + 4 (position 4) = 37
    const f = replyAfter(sum([10, 20]), '80 00 00 00 25', earlier);
    expect(f?.feedback).toBe('the result includes integers beyond the received length (left in the buffer by an earlier, longer request): compute on the (length - 1) / 4 integers recvfrom() received, no more');
    // Without the earlier request, the same number is just wrong.
    expect(replyAfter(sum([10, 20]), '80 00 00 00 25', [])?.feedback).toBe('wrong result: it is not the result of the integers of the request');
  });

  it('no answer after an answered request from another client: named, and one cause for all the tests it fails', () => {
    const f = replyAfter(sum([1, 2]), null, [{ spec: sum([3]), answered: true }]);
    expect(f?.feedback).toMatch(/^answered an earlier request, but nothing to this one from another client \(another source port\)/);
    expect(f?.cause).toBe('first-client-only');
    // The same socket answered before: not a second client.
    expect(replyAfter(sum([1, 2]), null, [{ spec: sum([3]), answered: true, socket: 'now' }])?.feedback).toBe('no answer to a valid request');
  });

  it('causes carried as data: the ids behind byte order, opcode, the text mistakes and S', () => {
    const cause = (spec: object, reply: string) => calculator.checkReply(schemas.replyExpectSchema.parse(OK), request(spec), bytes(reply))?.cause;
    expect(cause(sum([12, 13]), '80 19 00 00 00')).toBe('byte-order');
    expect(cause({ op: 'product', ints: [3, 4] }, '80 00 00 00 07')).toBe('opcode');
    expect(cause(sum([12, 13], 'text'), '80 32 35 00')).toBe('text-nul');
    expect(cause(sum([12, 13], 'text'), '80 32 35 0a')).toBe('text-newline');
    expect(cause({ op: 'sum', unused: 15, ints: [12, 13] }, '00')).toBe('unused-bits');
    expect(calculator.checkReply(schemas.replyExpectSchema.parse({ status: 'error' }), request({ op: 2, ints: [3] }), bytes('80 00 00 00 03'))?.cause).toBe('error-s-bit');
    expect(cause(sum([12, 13]), '80 00 00 00 1a')).toBeUndefined();
  });

  it('details (visible tests only) carry the request, the expected result and the bytes', () => {
    const req = calc.resolveRequest(schemas.requestSchema.parse({ op: 'sum', ints: [12, 13] }), () => 0);
    const f = calculator.checkReply(schemas.replyExpectSchema.parse(OK), req, bytes('80 19 00 00 00'));
    expect(f?.details).toBe('request: sum of 2 integers, integer answer (header 0x00); expected S=1 and 25 (00 00 00 19); got: 80 19 00 00 00');
    expect(f?.feedback).not.toContain('25');
  });
});

describe('calculator: what a client sent', () => {
  const sum12 = { op: 'sum', format: 'int', ints: [1, 2] };

  it('accepts the right request', () => {
    expect(requestFeedback(sum12, '00 00 00 00 01 00 00 00 02')).toBeNull();
    expect(requestFeedback({ op: 'product', format: 'text', ints: [1] }, '03 00 00 00 01')).toBeNull();
  });

  it('names a wrong opcode or F bit', () => {
    expect(requestFeedback(sum12, '02 00 00 00 01 00 00 00 02')).toBe("wrong opcode: bits 4-6 of the header ((header >> 1) & 7) are 1, expected 0 for '+'");
    expect(requestFeedback(sum12, '01 00 00 00 01 00 00 00 02')).toBe(
      'wrong F bit: the least significant bit of the header is 1, expected 0 (without -s the answer is an integer)',
    );
  });

  it('names byte-swapped, 8-byte and wrong integers, a wrong length, an empty datagram', () => {
    expect(requestFeedback(sum12, '00 01 00 00 00 02 00 00 00')).toBe('the integers arrived byte-swapped (byte order): convert each with htonl() before sending');
    expect(requestFeedback(sum12, '00' + ' 00'.repeat(7) + ' 01' + ' 00'.repeat(7) + ' 02')).toBe(
      'each integer took 8 bytes: send unsigned 32-bit integers (uint32_t), 4 bytes each',
    );
    expect(requestFeedback(sum12, '00 00 00 00 01')).toBe('the request must be 1 + 4 x 2 = 9 bytes long, got 5');
    expect(requestFeedback(sum12, '00 00 00 00 02 00 00 00 01')).toBe('the integers in the request are not the ones given on the command line');
    expect(requestFeedback(sum12, '')).toBe('sent an empty datagram: a request starts with its header byte');
  });
});

describe('calculator: a task author\'s mistakes', () => {
  it('refuses status ok for raw bytes without a result, or for what the reference answers S=0', () => {
    const raw = calc.requestFromRaw(bytes('00 00 00 00 01'));
    expect(calculator.expectationProblem(schemas.replyExpectSchema.parse(OK), raw)).toBe('give the expected int or text: the request is raw bytes');
    const unknown = calc.resolveRequest(schemas.requestSchema.parse({ op: 3, ints: [1] }), () => 0);
    expect(calculator.expectationProblem(schemas.replyExpectSchema.parse(OK), unknown)).toBe(
      'status ok, but the reference calculator answers S=0 to this request',
    );
    expect(calculator.expectationProblem(schemas.replyExpectSchema.parse({ status: 'ok', int: 1 }), raw)).toBeNull();
  });
});
