// Datagrams of bare integers (docs/exercises.md, tasks 1-3): unsigned
// 32-bit integers, most significant byte first, nothing else; the answer is
// their sum, as one such integer or as decimal text. Pure functions, no I/O.
import { readU32s, writeU32s } from '../bytes.js';
import type { IntegersSpec } from './schemas.js';

/** The shapes a task writes (./schemas.ts), as types: no zod when grading. */
export type { IntegersSpec };

/** The integers a test sent, with the length of raw bytes when it sent those instead. */
export interface Sent {
  ints: number[];
  rawLength?: number;
}

export function resolveIntegers(spec: IntegersSpec, random: () => number): number[] {
  if (spec.ints) return spec.ints;
  const below = spec.below ?? 0x100000000;
  return Array.from({ length: spec.random_ints ?? 0 }, () => random() % below);
}

export function encodeIntegers(ints: readonly number[]): Buffer {
  return writeU32s(ints);
}

/** The integers of a datagram, or null when its length is not a whole number of them. */
export function decodeIntegers(buf: Buffer): number[] | null {
  if (buf.length % 4 !== 0) return null;
  return readU32s(buf, 0, buf.length / 4);
}

/** The reference: the sum modulo 2^32. */
export function sum(ints: readonly number[]): number {
  return ints.reduce((acc, n) => (acc + n) >>> 0, 0);
}

export function describeIntegers(ints: readonly number[]): string {
  return `${ints.length} integer${ints.length === 1 ? '' : 's'}`;
}
