// The byte-level vocabulary every protocol shares: unsigned 32-bit integers
// in network byte order, the byte-swapped value a forgotten htonl()/ntohl()
// produces, and datagrams shown or written as hex. Defined here once.

/** The integers as consecutive u32, most significant byte first. */
export function writeU32s(ints: readonly number[]): Buffer {
  const buf = Buffer.alloc(4 * ints.length);
  ints.forEach((n, i) => buf.writeUInt32BE(n >>> 0, 4 * i));
  return buf;
}

/** `count` u32 read most significant byte first, from `offset` on. */
export function readU32s(buf: Buffer, offset: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => buf.readUInt32BE(offset + 4 * i));
}

/** The first four bytes of a datagram as a u32, in network byte order. */
export function readU32(buf: Buffer): number {
  return buf.readUInt32BE(0);
}

/** A u32 with its byte order reversed: what a missing htonl() or ntohl() turns it into. */
export function byteSwap32(n: number): number {
  return (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | (n >>> 24)) >>> 0;
}

/** Bytes as hex pairs separated by spaces ("80 00 00 00 19"). */
export function spacedHex(buf: Buffer): string {
  return buf.toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

/** A u32 as the four bytes it travels as ("00 00 00 19"). */
export function u32Hex(n: number | bigint): string {
  return spacedHex(writeU32s([Number(n)]));
}

/** A datagram's first 24 bytes as spaced hex ("80 00 00 00 19"), and its length when longer. */
export function hexBytes(buf: Buffer): string {
  const shown = spacedHex(buf.subarray(0, 24));
  return buf.length > 24 ? `${shown} ... (${buf.length} bytes)` : shown || '(empty)';
}

/** Hex as a task writes it, spaces allowed ("80 00 00 00 19"), as bytes. */
export function parseHex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}
