// What a right datagram of bare integers looks like (tasks 1-3): the
// expectations a task writes (their schemas: ./schemas.ts) and the checks against them. The mistake behind
// a wrong datagram is named by ./diagnoses.ts; feedback never quotes the
// test's inputs, `details` carries inputs and bytes.
import { hexBytes } from '../bytes.js';
import type { Finding, Mistake } from '../protocol.js';
import * as ints from './codec.js';
import { intReplyMistake, requestMistake, textReplyMistake } from './diagnoses.js';
import type { ReplyExpect, RequestExpect } from './schemas.js';

/** The shapes a task writes (./schemas.ts), as types: no zod when grading. */
export type { ReplyExpect, RequestExpect };

function finding(m: Mistake | string, details: string): Finding {
  return typeof m === 'string' ? { feedback: m, details } : { ...m, details };
}

/** A program's answer to the integers a test sent. */
export function checkReply(expect: ReplyExpect, sent: ints.Sent, reply: Buffer | null): Finding | null {
  const asked = `sent: ${sent.rawLength !== undefined ? `${sent.rawLength} raw bytes` : ints.describeIntegers(sent.ints)}`;
  if (reply === null) return finding('no answer came back to the address the integers came from (use the address recvfrom() filled in)', asked);
  const text = expect.text !== undefined || expect.sum === 'text';
  const want = expect.int ?? (expect.text !== undefined ? Number(expect.text) : ints.sum(sent.ints));
  const details = `${asked}; expected ${text ? `"${want}"` : want}; got: ${hexBytes(reply)}`;
  if (reply.length === 0) return finding('answered with an empty datagram', details);
  const mistake = text ? textReplyMistake(want, sent, reply) : intReplyMistake(want, sent, reply);
  return mistake === null ? null : finding(mistake, details);
}

/** A program's datagram of integers. */
export function checkRequest(expect: RequestExpect, got: Buffer): Finding | null {
  const want = ints.encodeIntegers(expect.ints);
  const details = `expected ${expect.ints.length} integers: ${hexBytes(want)}; got: ${hexBytes(got)}`;
  const mistake = requestMistake(expect.ints, want, got);
  return mistake === null ? null : finding(mistake, details);
}

/** A task-authoring mistake in an expectation, or null. */
export function expectationProblem(expect: ReplyExpect, sent: ints.Sent): string | null {
  if (expect.sum !== undefined && sent.rawLength !== undefined) return 'give the expected int or text: the request is raw bytes';
  return null;
}
