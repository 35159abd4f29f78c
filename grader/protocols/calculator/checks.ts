// What a right calculator datagram looks like: the expectations a task writes
// (`expect:` of a send step, `receive:` of a client's request) and the checks
// against them, step by step (their schemas: ./schemas.ts). The mistake behind a wrong datagram is named by
// ./diagnoses.ts; feedback never quotes the test's inputs, `details` carries
// inputs and bytes, shown for visible tests only.
import { hexBytes, u32Hex } from '../bytes.js';
import type { Finding, Mistake, StepHistory } from '../protocol.js';
import * as calc from './codec.js';
import * as why from './diagnoses.js';
import type { ReplyExpect, RequestExpect } from './schemas.js';

/** The shapes a task writes (./schemas.ts), as types: no zod when grading. */
export type { ReplyExpect, RequestExpect };
type AnswerExpect = Exclude<ReplyExpect, 'silence'>;

function finding(m: Mistake | string, details: string): Finding {
  return typeof m === 'string' ? { feedback: m, details } : { ...m, details };
}

/** The result a valid request is due, the form it travels in, and the details shown with any mistake (made only then: most answers are right). */
interface ResultDue {
  expected: bigint;
  form: why.ResultForm;
  details: () => string;
}

function resultDue(expect: AnswerExpect, req: calc.Request, asked: () => string, reply: Buffer): ResultDue {
  const expected = expect.int !== undefined ? BigInt(expect.int) : expect.text !== undefined ? BigInt(expect.text) : calc.referenceResult(req);
  if (expected === null) throw new Error('task bug: expected ok for a request the reference calculator rejects');
  const text = expect.text !== undefined || (expect.int === undefined && calc.wantsText(req.header));
  const want = () => `expected S=1 and ${text ? `"${expected}"` : `${expected} (${u32Hex(expected)})`}`;
  return { expected, form: text ? 'text' : 'int', details: () => `${asked()}; ${want()}; got: ${hexBytes(reply)}` };
}

/** A valid request's answer: S=1, then the result in the form F asked for. */
function checkResult(due: ResultDue, req: calc.Request, res: calc.DecodedResponse, earlier: readonly why.Earlier[]): Finding | null {
  if (!res.success) return finding(why.refusedValidMistake(req), due.details());
  const read = due.form === 'text' ? why.readTextResult(res.payload, due.expected) : why.readIntResult(res.payload, due.expected);
  if ('mistake' in read) return finding(read.mistake, due.details());
  if (read.got === due.expected) return null;
  return finding(why.wrongResultMistake(read.got, due.expected, req, due.form, earlier.map((e) => e.request)), due.details());
}

/** A server's answer (or silence) to one request. */
export function checkReply(expect: ReplyExpect, req: calc.Request, reply: Buffer | null, history?: StepHistory): Finding | null {
  // The requests a calculator test sent are calculator requests: read as such, not copied (a long test checks hundreds).
  const earlier = (history?.earlier ?? []) as readonly why.Earlier[];
  const asked = () => `request: ${calc.describeRequest(req)}`;
  if (expect === 'silence') {
    return reply === null ? null : finding('answered a datagram that must get no answer', `${asked()}; got: ${hexBytes(reply)}`);
  }
  if (reply === null) return expect.optional ? null : finding(why.missingReplyMistake(req, expect.status, history?.socket, earlier), asked());
  const res = calc.decodeResponse(reply);
  if (!res) return finding('answered with an empty datagram: a response has at least its header byte', asked());
  if (expect.status === 'error') {
    return res.success ? finding(why.servedInvalidMistake(req), `${asked()}; got: ${hexBytes(reply)}`) : null;
  }
  return checkResult(resultDue(expect, req, asked, reply), req, res, earlier);
}

/** A client's request: header (opcode, F) then the integers it was given. */
export function checkRequest(expect: RequestExpect, got: Buffer): Finding | null {
  const want = `expected: ${expect.op}, ${expect.format} answer, ${expect.ints.length} integer(s)`;
  const details = `${want}; got: ${hexBytes(got)}`;
  const req = calc.decodeRequest(got);
  if (!req) return finding('sent an empty datagram: a request starts with its header byte', details);
  const mistake = why.headerMistake(req, expect.op, expect.format) ?? why.integersMistake(req, expect.ints, got.length);
  return mistake === null ? null : finding(mistake, details);
}

/**
 * The answer every correct server sends: S=1 and no other header bit, then
 * the result as the test expects it (F=0: four bytes, network order; F=1:
 * its decimal digits alone); S=0 alone for a request it must refuse. Null
 * where the test fixes no single answer (silence, an optional answer).
 */
export function referenceReply(expect: ReplyExpect, req: calc.Request): Buffer | null {
  if (expect === 'silence' || expect.optional) return null;
  if (expect.status === 'error') return calc.encodeResponse({ status: 'error', unused: 0 });
  const result = expect.int !== undefined ? BigInt(expect.int) : expect.text !== undefined ? BigInt(expect.text) : calc.referenceResult(req);
  if (result === null) return null;
  const text = expect.text !== undefined || (expect.int === undefined && calc.wantsText(req.header));
  return calc.encodeResponse(text ? { status: 'ok', unused: 0, text: result.toString() } : { status: 'ok', unused: 0, int: Number(result) });
}

/** A task-authoring mistake in an expectation, or null. */
export function expectationProblem(expect: ReplyExpect, request: calc.Request): string | null {
  if (expect !== 'silence' && expect.status === 'ok' && expect.int === undefined && expect.text === undefined) {
    if (request.rawLength !== undefined) return 'give the expected int or text: the request is raw bytes';
    if (calc.referenceResult(request) === null) return 'status ok, but the reference calculator answers S=0 to this request';
  }
  return null;
}
