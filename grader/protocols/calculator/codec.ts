// The calculator protocol (docs/exercises.md): where its datagrams are
// built and parsed. Pure functions, no I/O.
//
// Request:  header byte [unused:4 | opcode:3 | F:1], then 1..64 u32 big-endian.
// Response: header byte [S:1 | unused:7], then a u32 (F=0) or decimal digits (F=1).
import { parseHex, readU32s, spacedHex, writeU32s } from '../bytes.js';
import type { RequestSpec, ResponseSpec } from './schemas.js';

export const MAX_INTS = 64;

export const OPS = { sum: 0, product: 1 } as const;
export type OpName = keyof typeof OPS;

/** The shapes a task writes (./schemas.ts), as types: no zod when grading. */
export type { RequestSpec, ResponseSpec };

/** A request with every field resolved. */
export interface Request {
  header: number;
  ints: number[];
  /** Set when the task gave raw bytes rather than a structured request. */
  rawLength?: number;
}

/** Reads raw bytes as a request, as far as they can be read as one. */
export function requestFromRaw(buf: Buffer): Request {
  const decoded = decodeRequest(buf);
  return { header: decoded?.header ?? 0, ints: decoded?.ints ?? [], rawLength: buf.length };
}


export function opcodeOf(header: number): number {
  return (header >> 1) & 7;
}
export function wantsText(header: number): boolean {
  return (header & 1) === 1;
}
export function unusedBits(header: number): number {
  return header >> 4;
}

export function resolveRequest(spec: RequestSpec, random: () => number): Request {
  const opcode = typeof spec.op === 'number' ? spec.op : OPS[spec.op];
  const header = spec.header ?? ((spec.unused << 4) | (opcode << 1) | (spec.format === 'text' ? 1 : 0));
  const ints = spec.ints ?? Array.from({ length: spec.random_ints ?? 0 }, () => random());
  return { header, ints };
}

export function encodeRequest(req: Request): Buffer {
  return Buffer.concat([Buffer.from([req.header]), writeU32s(req.ints)]);
}

/** The reference calculator: what a correct server answers, or null for S=0. */
export function referenceResult(req: Request): bigint | null {
  const op = opcodeOf(req.header);
  if (req.ints.length < 1 || req.ints.length > MAX_INTS || op > 1) return null;
  const mod = 1n << 32n;
  let acc = op === 0 ? 0n : 1n;
  for (const n of req.ints) acc = op === 0 ? (acc + BigInt(n)) % mod : (acc * BigInt(n)) % mod;
  return acc;
}

export function encodeResponse(res: ResponseSpec): Buffer {
  const header = Buffer.from([(res.status === 'ok' ? 0x80 : 0) | res.unused]);
  let payload: Buffer = Buffer.alloc(0);
  if (res.payload !== undefined) payload = parseHex(res.payload);
  else if (res.int !== undefined) payload = writeU32s([res.int]);
  else if (res.text !== undefined) payload = Buffer.from(res.text, 'latin1');
  return Buffer.concat([header, payload]);
}

export interface DecodedRequest {
  header: number;
  opcode: number;
  text: boolean;
  unused: number;
  /** Integers read big-endian; null when the payload is not 1..64 whole integers. */
  ints: number[] | null;
  payloadLength: number;
}

export function decodeRequest(buf: Buffer): DecodedRequest | null {
  if (buf.length === 0) return null;
  const header = buf[0]!;
  const payloadLength = buf.length - 1;
  const whole = payloadLength > 0 && payloadLength % 4 === 0 && payloadLength / 4 <= MAX_INTS;
  const ints = whole ? readU32s(buf, 1, payloadLength / 4) : null;
  return { header, opcode: opcodeOf(header), text: wantsText(header), unused: unusedBits(header), ints, payloadLength };
}

export interface DecodedResponse {
  success: boolean;
  header: number;
  payload: Buffer;
}

export function decodeResponse(buf: Buffer): DecodedResponse | null {
  if (buf.length === 0) return null;
  return { success: (buf[0]! & 0x80) !== 0, header: buf[0]!, payload: buf.subarray(1) };
}

const OP_NAMES = ['sum', 'product'];
export function describeRequest(req: Request): string {
  if (req.rawLength === 0) return "an empty datagram";
  if (req.rawLength !== undefined) return `a raw datagram of ${req.rawLength} byte${req.rawLength === 1 ? "" : "s"}`;
  const op = opcodeOf(req.header);
  const name = OP_NAMES[op] ?? `unknown opcode ${op}`;
  const n = req.ints.length;
  return `${name} of ${n} integer${n === 1 ? '' : 's'}, ${wantsText(req.header) ? 'text' : 'integer'} answer (header 0x${spacedHex(Buffer.from([req.header]))})`;
}
