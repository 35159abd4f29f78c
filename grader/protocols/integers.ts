// What a right datagram of bare integers looks like (tasks 1-3), and what a
// wrong one tells about the mistake behind it. Feedback names the mistake
// without quoting the test's inputs; `details` carries inputs and bytes.
import { z } from 'zod';
import * as ints from '../../runner/codecs/integers.js';
import type { Finding, Protocol } from './protocol.js';
import { hexBytes } from '../excerpt.js';

const u32 = z.number().int().min(0).max(0xffffffff);

/** What the program must answer to a list of integers. */
const replyExpectSchema = z
  .object({
    /** Exactly this one integer, 4 bytes. */
    int: u32.optional(),
    /** Exactly these digits, nothing else. */
    text: z.string().regex(/^\d+$/, 'decimal digits').optional(),
    /** The sum of the integers sent, as one integer or as text. */
    sum: z.enum(['int', 'text']).optional(),
  })
  .strict()
  .refine((e) => [e.int, e.text, e.sum].filter((v) => v !== undefined).length === 1, { message: 'give exactly one of int, text or sum' });
type ReplyExpect = z.infer<typeof replyExpectSchema>;

/** What the program must send: these integers, and nothing else. */
const requestExpectSchema = z.object({ ints: z.array(u32).min(1).max(1024) }).strict();
type RequestExpect = z.infer<typeof requestExpectSchema>;

interface Sent {
  ints: number[];
  rawLength?: number;
}

const BYTE_ORDER = 'byte order';

/** `cause`: the mistake's id when several tests can fail of it (grader/causes.ts says it once for all). */
function finding(feedback: string, details: string, cause?: string): Finding {
  return { feedback, details, ...(cause ? { cause } : {}) };
}

/** The sums a program gets when it forgets a conversion: inputs not converted (then the sum converted or not). */
function unconvertedSums(sent: number[]): number[] {
  const raw = ints.sum(sent.map(ints.byteSwap32));
  return [raw, ints.byteSwap32(raw)];
}

function checkIntReply(want: number, sent: Sent, reply: Buffer, details: string): Finding | null {
  if (reply.length !== 4) {
    const text = reply.toString('latin1').replace(/\0+$/, '');
    if (/^\d+$/.test(text) && Number(text) === want) {
      return finding('answered with the sum as text: this task wants it as one 4-byte integer in network byte order', details);
    }
    if (reply.length === 8) return finding('the answer took 8 bytes: send the sum as a 4-byte int (not a long)', details);
    return finding(`the answer must be exactly 4 bytes (one integer), got ${reply.length}`, details);
  }
  const got = reply.readUInt32BE(0);
  if (got === want) return null;
  if (got === ints.byteSwap32(want)) {
    return finding(`the sum arrived byte-swapped (${BYTE_ORDER}): convert it with htonl() before sending`, details, 'byte-order');
  }
  if (sent.rawLength === undefined && unconvertedSums(sent.ints).includes(got)) {
    return finding(`the received integers were added in network ${BYTE_ORDER}: convert each with ntohl() before adding, and the sum with htonl() before sending`, details, 'byte-order');
  }
  return finding('wrong sum: add every integer of the datagram (its length / 4 of them)', details);
}

function checkTextReply(want: number, sent: Sent, reply: Buffer, details: string): Finding | null {
  const str = reply.toString('latin1');
  if (reply.length === 4 && !/^\d+$/.test(str) && reply.readUInt32BE(0) === want) {
    return finding('answered with a 4-byte integer: this task wants the sum as decimal text (sprintf)', details);
  }
  if (reply.includes(0)) {
    return finding('the text answer carries a NUL byte (\\0): send only the digits (strlen() of them, not strlen() + 1 or the buffer size); the datagram length delimits them', details, 'text-nul');
  }
  if (/[\r\n]$/.test(str)) return finding('the text answer ends with a newline: send only the digits', details);
  if (!/^\d+$/.test(str)) return finding('the text answer must be decimal digits only (no sign, spaces or terminator)', details);
  const got = Number(str);
  if (got === want) return null;
  if (sent.rawLength === undefined && unconvertedSums(sent.ints).includes(got)) {
    return finding(`the received integers were added in network ${BYTE_ORDER}: convert each with ntohl() before adding`, details, 'byte-order');
  }
  return finding('wrong sum: add every integer of the datagram (its length / 4 of them)', details);
}

function checkReply(expect: ReplyExpect, sent: Sent, reply: Buffer | null): Finding | null {
  const asked = `sent: ${sent.rawLength !== undefined ? `${sent.rawLength} raw bytes` : ints.describeIntegers(sent.ints)}`;
  if (reply === null) return finding('no answer came back to the address the integers came from (use the address recvfrom() filled in)', asked);
  const text = expect.text !== undefined || expect.sum === 'text';
  const want = expect.int ?? (expect.text !== undefined ? Number(expect.text) : ints.sum(sent.ints));
  const details = `${asked}; expected ${text ? `"${want}"` : want}; got: ${hexBytes(reply)}`;
  if (reply.length === 0) return finding('answered with an empty datagram', details);
  return text ? checkTextReply(want, sent, reply, details) : checkIntReply(want, sent, reply, details);
}

function checkRequest(expect: RequestExpect, got: Buffer): Finding | null {
  const want = ints.encodeIntegers(expect.ints);
  const n = expect.ints.length;
  const details = `expected ${n} integers: ${hexBytes(want)}; got: ${hexBytes(got)}`;
  if (got.equals(want)) return null;
  if (got.length === want.length) {
    const values = ints.decodeIntegers(got)!;
    if (values.every((v, i) => v === ints.byteSwap32(expect.ints[i]!))) {
      return finding(`the integers arrived byte-swapped (${BYTE_ORDER}): convert each with htonl() before sending`, details, 'byte-order');
    }
    return finding('the datagram has the right length but not the right integers, in the right order', details);
  }
  if (got.length === 8 * n) return finding('each integer took 8 bytes: send 4-byte ints (int or uint32_t, not long)', details);
  if (got.length === n && expect.ints.every((v, i) => got[i] === v)) {
    return finding('each integer took 1 byte: send 4-byte ints in network byte order, not chars', details);
  }
  const text = got.toString('latin1');
  if (/^[\d\s,]+\0?$/.test(text)) return finding('sent the integers as text: send them as 4-byte binary integers in network byte order', details);
  return finding(`the datagram must be exactly ${want.length} bytes (${n} integers of 4 bytes), got ${got.length}`, details);
}

export const integersProtocol: Protocol = {
  name: 'integers',
  requestSchema: ints.integersSchema,
  responseSchema: ints.integersSchema,
  replyExpectSchema,
  requestExpectSchema,
  buildRequest(spec, random) {
    const list = ints.resolveIntegers(spec as ints.IntegersSpec, random);
    return { datagram: ints.encodeIntegers(list), resolved: { ints: list } satisfies Sent, describe: ints.describeIntegers(list) };
  },
  requestFromRaw(datagram) {
    const sent: Sent = { ints: ints.decodeIntegers(datagram) ?? [], rawLength: datagram.length };
    return { resolved: sent, describe: `a raw datagram of ${datagram.length} bytes` };
  },
  buildResponse(spec) {
    return ints.encodeIntegers(ints.resolveIntegers(spec as ints.IntegersSpec, () => 0));
  },
  checkReply: (expect, request, reply) => checkReply(expect as ReplyExpect, request as Sent, reply),
  checkRequest: (expect, got) => checkRequest(expect as RequestExpect, got),
  expectationProblem(expect, request) {
    const e = expect as ReplyExpect;
    if (e.sum !== undefined && (request as Sent).rawLength !== undefined) return 'give the expected int or text: the request is raw bytes';
    return null;
  },
};
