// What a wrong datagram of bare integers tells about the mistake behind it:
// byte order, text instead of binary (or the reverse), a NUL or newline after
// the digits, 8-byte or 1-byte integers. Each function returns a Mistake (the
// feedback for the student, naming the mistake without the test's inputs, and
// the cause it names when several tests can fail of it), or null.
import { byteSwap32, readU32 } from '../bytes.js';
import type { CauseId, Mistake } from '../protocol.js';
import * as ints from './codec.js';

const BYTE_ORDER = 'byte order';
const DIGITS = /^\d+$/;

function said(feedback: string, cause?: CauseId): Mistake {
  return cause ? { feedback, cause } : { feedback };
}

/** The sums a program gets when it forgets a conversion: inputs not converted (then the sum converted or not). */
function unconvertedSums(sent: number[]): number[] {
  const raw = ints.sum(sent.map(byteSwap32));
  return [raw, byteSwap32(raw)];
}

/** A well-formed sum that is not the expected one: `unconverted` is the advice when the inputs skipped ntohl(). */
function wrongSumMistake(got: number, sent: ints.Sent, unconverted: string): Mistake {
  if (sent.rawLength === undefined && unconvertedSums(sent.ints).includes(got)) return said(unconverted, 'byte-order');
  return said('wrong sum: add every integer of the datagram (its length / 4 of them)');
}

/** An answer due as one 4-byte integer. */
export function intReplyMistake(want: number, sent: ints.Sent, reply: Buffer): Mistake | null {
  if (reply.length !== 4) {
    const text = reply.toString('latin1').replace(/\0+$/, '');
    if (DIGITS.test(text) && Number(text) === want) {
      return said('answered with the sum as text: this task wants it as one 4-byte integer in network byte order');
    }
    if (reply.length === 8) return said('the answer took 8 bytes: send the sum as a 4-byte int (not a long)');
    return said(`the answer must be exactly 4 bytes (one integer), got ${reply.length}`);
  }
  const got = readU32(reply);
  if (got === want) return null;
  if (got === byteSwap32(want)) return said(`the sum arrived byte-swapped (${BYTE_ORDER}): convert it with htonl() before sending`, 'byte-order');
  return wrongSumMistake(got, sent, `the received integers were added in network ${BYTE_ORDER}: convert each with ntohl() before adding, and the sum with htonl() before sending`);
}

/** An answer due as decimal digits. */
export function textReplyMistake(want: number, sent: ints.Sent, reply: Buffer): Mistake | null {
  const str = reply.toString('latin1');
  if (reply.length === 4 && !DIGITS.test(str) && readU32(reply) === want) {
    return said('answered with a 4-byte integer: this task wants the sum as decimal text (sprintf)');
  }
  if (reply.includes(0)) {
    return said('the text answer carries a NUL byte (\\0): send only the digits (strlen() of them, not strlen() + 1 or the buffer size); the datagram length delimits them', 'text-nul');
  }
  if (/[\r\n]$/.test(str)) return said('the text answer ends with a newline: send only the digits', 'text-newline');
  if (!DIGITS.test(str)) return said('the text answer must be decimal digits only (no sign, spaces or terminator)');
  const got = Number(str);
  if (got === want) return null;
  return wrongSumMistake(got, sent, `the received integers were added in network ${BYTE_ORDER}: convert each with ntohl() before adding`);
}

/** A program's datagram that is not exactly `want` (the integers, 4 bytes each, network byte order). */
export function requestMistake(expected: readonly number[], want: Buffer, got: Buffer): Mistake | null {
  if (got.equals(want)) return null;
  const n = expected.length;
  if (got.length === want.length) {
    const values = ints.decodeIntegers(got)!;
    if (values.every((v, i) => v === byteSwap32(expected[i]!))) {
      return said(`the integers arrived byte-swapped (${BYTE_ORDER}): convert each with htonl() before sending`, 'byte-order');
    }
    return said('the datagram has the right length but not the right integers, in the right order');
  }
  if (got.length === 8 * n) return said('each integer took 8 bytes: send 4-byte ints (int or uint32_t, not long)');
  if (got.length === n && expected.every((v, i) => got[i] === v)) {
    return said('each integer took 1 byte: send 4-byte ints in network byte order, not chars');
  }
  if (/^[\d\s,]+\0?$/.test(got.toString('latin1'))) return said('sent the integers as text: send them as 4-byte binary integers in network byte order');
  return said(`the datagram must be exactly ${want.length} bytes (${n} integers of 4 bytes), got ${got.length}`);
}
