// The byte helpers every protocol shares (grader/protocols/bytes.ts) and the
// seeded generator behind `random_ints:` (grader/protocols/random.ts): the
// bytes a datagram travels as, and the hex a report shows of it.
import { describe, expect, it } from 'vitest';
import { byteSwap32, hexBytes, parseHex, readU32, readU32s, spacedHex, u32Hex, writeU32s } from '../../grader/protocols/bytes.js';
import { seededRandom } from '../../grader/protocols/random.js';

describe('u32 in network byte order', () => {
  it('writes most significant byte first and reads back what it wrote', () => {
    const ints = [0, 25, 0x01020304, 0xffffffff];
    const bytes = writeU32s(ints);
    expect(bytes.toString('hex')).toBe('00000000' + '00000019' + '01020304' + 'ffffffff');
    expect(readU32s(bytes, 0, 4)).toEqual(ints);
    expect(readU32s(Buffer.concat([Buffer.from([0x80]), bytes]), 1, 2)).toEqual([0, 25]);
    expect(readU32(parseHex('00 00 01 00 ff'))).toBe(256);
  });

  it('byte-swaps as a missing htonl() does, and swapping twice gives the value back', () => {
    expect(byteSwap32(25)).toBe(0x19000000);
    expect(byteSwap32(0x01020304)).toBe(0x04030201);
    expect(byteSwap32(0xff000000)).toBe(0xff);
    for (const n of [0, 1, 0x80000000, 0xdeadbeef]) expect(byteSwap32(byteSwap32(n))).toBe(n);
  });
});

describe('hex', () => {
  it('shows bytes as spaced pairs, a u32 as its four bytes', () => {
    expect(spacedHex(Buffer.from([0x80, 0, 0x19]))).toBe('80 00 19');
    expect(u32Hex(25)).toBe('00 00 00 19');
    expect(u32Hex(4294967295n)).toBe('ff ff ff ff');
  });

  it('shows a datagram up to 24 bytes, then its length; an empty one as (empty)', () => {
    expect(hexBytes(Buffer.alloc(0))).toBe('(empty)');
    expect(hexBytes(Buffer.alloc(24, 0xab))).toBe(Array(24).fill('ab').join(' '));
    expect(hexBytes(Buffer.alloc(30, 1))).toBe(`${Array(24).fill('01').join(' ')} ... (30 bytes)`);
  });

  it('reads hex as a task writes it, spaces and line breaks allowed', () => {
    expect(parseHex('80 00\n 00 00 19')).toEqual(Buffer.from([0x80, 0, 0, 0, 0x19]));
    expect(parseHex('')).toEqual(Buffer.alloc(0));
  });
});

describe('the seeded generator', () => {
  it('replays the same u32 sequence for the same seed, another for another seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const first = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(first);
    for (const n of first) expect(n >= 0 && n <= 0xffffffff && Number.isInteger(n)).toBe(true);
    const c = seededRandom(43);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(first);
  });

  it('is mulberry32: a seed given to --seed draws the integers it drew before', () => {
    const r = seededRandom(1);
    // mulberry32(1) starts 0.6270739405881613 as a fraction of 2^32.
    expect([r(), r(), r()]).toEqual([2693262067, 11749833, 2265367787]);
  });
});
