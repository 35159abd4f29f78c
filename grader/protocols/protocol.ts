// What the grader needs from a protocol: how to turn a task's YAML messages
// into datagrams (through the protocol's codec) and how to judge what came back;
// and, apart, the schemas its YAML messages are checked against when a task is
// loaded (ProtocolSchemas), so that grading a loaded task needs no zod.
// A new protocol is one folder beside this file implementing both, plus one
// line in ./registry.ts and one in ./schemas.ts (docs/architecture.md, "Adding a protocol").
import type { z } from 'zod';

/**
 * The stable id of a mistake that can fail several tests at once, so a report
 * says it once (grader/report/causes.ts holds each one's message; the list is
 * documented in docs/controls.md). Never read back from a feedback string.
 */
export type CauseId =
  // In the bytes of a completed exchange (a control failed only of one of these still counts):
  | 'byte-order'
  | 'opcode'
  | 'f-bit'
  | 'text-nul'
  | 'text-newline'
  | 'text-signed'
  | 'unused-bits'
  | 'error-s-bit'
  // How a program or a function behaves (no exchange completed, or a rule of every path):
  | 'exited-before-binding'
  | 'first-client-only'
  | 'cut-address'
  | 'wrong-destination'
  | 'leak'
  | 'went-on-after-failure';

/** What a diagnosis found: the feedback for the student, and the cause it names when it names one. */
export interface Mistake {
  feedback: string;
  cause?: CauseId;
}

export interface Finding {
  /** For the student: names the mistake and what to do, without the test's inputs. */
  feedback: string;
  /** Inputs, expected and actual bytes: shown only for visible tests. */
  details?: string;
  /** The mistake diagnosed, as a stable id (grader/report/causes.ts), when the feedback names one. */
  cause?: CauseId;
}

/** What the program did with the requests sent before this one in the same test: evidence for a diagnosis. */
export interface StepHistory {
  /** The peer socket this request came from (each name one source port). */
  socket: string;
  /** Read during the call only: the caller goes on adding to it. */
  earlier: readonly { request: unknown; socket: string; answered: boolean }[];
}

export interface BuiltRequest {
  datagram: Buffer;
  /** The request with every field resolved, handed back to checkReply. */
  resolved: unknown;
  describe: string;
}

/** A protocol's YAML messages, as task.yaml's loader checks them (grader/protocols/<name>/schemas.ts). */
export interface ProtocolSchemas {
  /** A message the peer sends to a server (the `send:` of a step). */
  requestSchema: z.ZodType;
  /** A message the peer answers a client with (the `answer:` of a step). */
  responseSchema: z.ZodType;
  /** What the program must answer (the `expect:` of a send step). */
  replyExpectSchema: z.ZodType;
  /** What the program must send (the `receive:` of a step). */
  requestExpectSchema: z.ZodType;
}

export interface Protocol {
  name: string;
  buildRequest(spec: unknown, random: () => number): BuiltRequest;
  /** Raw bytes given by a task, read as a request as far as possible. */
  requestFromRaw(datagram: Buffer): { resolved: unknown; describe: string };
  buildResponse(spec: unknown): Buffer;
  /** `history`: the earlier requests of the same test, when the caller knows them. */
  checkReply(expect: unknown, request: unknown, reply: Buffer | null, history?: StepHistory): Finding | null;
  checkRequest(expect: unknown, got: Buffer): Finding | null;
  /**
   * Client tasks: the mistake behind a wrong printed result, given the answers
   * the peer sent (oldest first). `expected` null: no result was due. Null when
   * nothing more specific than "wrong result" can be said.
   */
  explainResult?(printed: string, expected: string | null, answers: Buffer[]): Mistake | null;
  /** A task-authoring mistake in an expectation (checked when the task loads), or null. */
  expectationProblem(expect: unknown, request: unknown): string | null;
  /**
   * The answer a correct program gives to `request` under `expect`, byte for
   * byte, when the protocol fixes one (checkReply accepts it); null when it
   * does not. A server may then serve several tests from one start
   * (grader/kinds/program/share.ts): the runner compares bytes, never judges.
   */
  referenceReply?(expect: unknown, request: unknown): Buffer | null;
}
