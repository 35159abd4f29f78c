// Datagrams of bare integers on their own (grader/protocols/integers/): the
// codec, and the feedback a student gets for each mistake a wrong answer or a
// wrong datagram reveals, from real byte sequences.
import { describe, expect, it } from 'vitest';
import { parseHex } from '../../grader/protocols/bytes.js';
import * as ints from '../../grader/protocols/integers/codec.js';
import * as schemas from '../../grader/protocols/integers/schemas.js';
import { integersProtocol as integers } from '../../grader/protocols/integers/index.js';

const bytes = parseHex;
const digits = (text: string) => Buffer.from(text, 'latin1').toString('hex');

/** The feedback for `reply` (hex, or null for no answer) to the integers `sent`. */
function replyFeedback(sent: number[], expectation: object, reply: string | null): string | null {
  const built = integers.buildRequest(schemas.integersSchema.parse({ ints: sent }), () => 0);
  return integers.checkReply(schemas.replyExpectSchema.parse(expectation), built.resolved, reply === null ? null : bytes(reply))?.feedback ?? null;
}

/** The feedback for a program's datagram `got` (hex) when it must send `want`. */
function requestFeedback(want: number[], got: string): string | null {
  return integers.checkRequest(schemas.requestExpectSchema.parse({ ints: want }), bytes(got))?.feedback ?? null;
}

describe('integers codec', () => {
  it('encodes 4 bytes per integer, most significant first, and decodes them back', () => {
    const datagram = ints.encodeIntegers([1, 0x01020304, 0xffffffff]);
    expect(datagram).toEqual(bytes('00 00 00 01 01 02 03 04 ff ff ff ff'));
    expect(ints.decodeIntegers(datagram)).toEqual([1, 0x01020304, 0xffffffff]);
    expect(ints.decodeIntegers(bytes('00 00 01'))).toBeNull();
    expect(ints.decodeIntegers(Buffer.alloc(0))).toEqual([]);
  });

  it('sums modulo 2^32 and draws random integers below the bound given', () => {
    expect(ints.sum([0xffffffff, 2])).toBe(1);
    let n = 0;
    const drawn = ints.resolveIntegers(schemas.integersSchema.parse({ random_ints: 4, below: 10 }), () => 0xfffffff0 + n++);
    expect(drawn).toEqual([0xfffffff0 % 10, 0xfffffff1 % 10, 0xfffffff2 % 10, 0xfffffff3 % 10]);
  });

  it('reads raw bytes as far as they are integers', () => {
    expect(integers.requestFromRaw(bytes('00 00 00 05'))).toEqual({ resolved: { ints: [5], rawLength: 4 }, describe: 'a raw datagram of 4 bytes' });
    expect(integers.requestFromRaw(bytes('05'))).toEqual({ resolved: { ints: [], rawLength: 1 }, describe: 'a raw datagram of 1 bytes' });
  });
});

describe('integers: the answer to the integers sent', () => {
  it('accepts the sum as one integer or as digits', () => {
    expect(replyFeedback([12, 13], { sum: 'int' }, '00 00 00 19')).toBeNull();
    expect(replyFeedback([12, 13], { sum: 'text' }, digits('25'))).toBeNull();
    expect(replyFeedback([12, 13], { int: 7 }, '00 00 00 07')).toBeNull();
  });

  it('byte order: the sum sent without htonl(), the integers added without ntohl()', () => {
    expect(replyFeedback([12, 13], { sum: 'int' }, '19 00 00 00')).toBe('the sum arrived byte-swapped (byte order): convert it with htonl() before sending');
    // 0x1ff + 1 added as they arrive: 0xff010000 + 0x01000000 wraps to 0x00010000.
    expect(replyFeedback([0x1ff, 1], { sum: 'int' }, '00 01 00 00')).toBe(
      'the received integers were added in network byte order: convert each with ntohl() before adding, and the sum with htonl() before sending',
    );
    expect(replyFeedback([0x1ff, 1], { sum: 'text' }, digits('65536'))).toBe(
      'the received integers were added in network byte order: convert each with ntohl() before adding',
    );
  });

  it('text or binary: the wrong one of the two, or 8 bytes for a long', () => {
    expect(replyFeedback([12, 13], { sum: 'int' }, digits('25\0'))).toBe(
      'answered with the sum as text: this task wants it as one 4-byte integer in network byte order',
    );
    expect(replyFeedback([12, 13], { sum: 'text' }, '00 00 00 19')).toBe('answered with a 4-byte integer: this task wants the sum as decimal text (sprintf)');
    expect(replyFeedback([12, 13], { sum: 'int' }, '00 00 00 00 00 00 00 19')).toBe('the answer took 8 bytes: send the sum as a 4-byte int (not a long)');
    expect(replyFeedback([12, 13], { sum: 'int' }, '00 19')).toBe('the answer must be exactly 4 bytes (one integer), got 2');
  });

  it('text terminators: a NUL anywhere, a newline at the end, anything but digits', () => {
    expect(replyFeedback([12, 13], { sum: 'text' }, digits('25\0'))).toBe(
      'the text answer carries a NUL byte (\\0): send only the digits (strlen() of them, not strlen() + 1 or the buffer size); the datagram length delimits them',
    );
    expect(replyFeedback([12, 13], { sum: 'text' }, digits('25\n'))).toBe('the text answer ends with a newline: send only the digits');
    expect(replyFeedback([12, 13], { sum: 'text' }, digits('+25'))).toBe('the text answer must be decimal digits only (no sign, spaces or terminator)');
  });

  it('no answer, an empty one, a plain wrong sum', () => {
    expect(replyFeedback([12, 13], { sum: 'int' }, null)).toBe(
      'no answer came back to the address the integers came from (use the address recvfrom() filled in)',
    );
    expect(replyFeedback([12, 13], { sum: 'int' }, '')).toBe('answered with an empty datagram');
    expect(replyFeedback([12, 13], { sum: 'int' }, '00 00 00 0c')).toBe('wrong sum: add every integer of the datagram (its length / 4 of them)');
    expect(replyFeedback([12, 13], { sum: 'text' }, digits('12'))).toBe('wrong sum: add every integer of the datagram (its length / 4 of them)');
  });

  it('details carry what was sent, the expected sum and the bytes', () => {
    const built = integers.buildRequest({ ints: [12, 13] }, () => 0);
    const f = integers.checkReply({ sum: 'text' }, built.resolved, bytes('32 35 00'));
    expect(f?.details).toBe('sent: 2 integers; expected "25"; got: 32 35 00');
  });
});

describe('integers: the datagram a program sent', () => {
  it('accepts exactly the integers, 4 bytes each, in network byte order', () => {
    expect(requestFeedback([1, 2], '00 00 00 01 00 00 00 02')).toBeNull();
  });

  it('names byte-swapped, reordered, 8-byte, 1-byte and text integers, and a wrong length', () => {
    expect(requestFeedback([1, 2], '01 00 00 00 02 00 00 00')).toBe('the integers arrived byte-swapped (byte order): convert each with htonl() before sending');
    expect(requestFeedback([1, 2], '00 00 00 02 00 00 00 01')).toBe('the datagram has the right length but not the right integers, in the right order');
    expect(requestFeedback([1, 2], '00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 02')).toBe(
      'each integer took 8 bytes: send 4-byte ints (int or uint32_t, not long)',
    );
    expect(requestFeedback([1, 2], '01 02')).toBe('each integer took 1 byte: send 4-byte ints in network byte order, not chars');
    expect(requestFeedback([1, 2], digits('1,2\0'))).toBe('sent the integers as text: send them as 4-byte binary integers in network byte order');
    expect(requestFeedback([1, 2], '00 00 00 01 00')).toBe('the datagram must be exactly 8 bytes (2 integers of 4 bytes), got 5');
  });
});

describe('integers: a task author\'s mistakes', () => {
  it('refuses a sum expected of raw bytes', () => {
    const raw = integers.requestFromRaw(bytes('00 00 00 01')).resolved;
    expect(integers.expectationProblem({ sum: 'int' }, raw)).toBe('give the expected int or text: the request is raw bytes');
    expect(integers.expectationProblem({ int: 1 }, raw)).toBeNull();
  });
});
