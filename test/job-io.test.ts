// The small parts the job and the CLI use instead of loading readline and
// node:crypto as they start: the lines of a stream (runner/line-reader.ts)
// and random nonces from the kernel (runner/random-hex.ts).
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineReader } from '../runner/line-reader.js';
import { randomHex } from '../runner/random-hex.js';

/** Every line `reader` gives until the end. */
async function all(reader: LineReader): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of reader) lines.push(line);
  return lines;
}

describe('the lines of a stream', () => {
  it('gives each line once, whatever the chunks, with a character cut between two chunks joined', async () => {
    const stream = new PassThrough();
    const reader = new LineReader(stream);
    const text = Buffer.from('{"a":1}\nsecond line é\n\nlast, with no newline');
    const cut = text.indexOf(Buffer.from('é')) + 1; // inside the two bytes of é
    stream.write(text.subarray(0, 3));
    stream.write(text.subarray(3, cut));
    stream.write(text.subarray(cut));
    stream.end();
    expect(await all(reader)).toEqual(['{"a":1}', 'second line é', '', 'last, with no newline']);
  });

  it('sees the end while nobody asks, and keeps the lines read before it', async () => {
    const stream = new PassThrough();
    const reader = new LineReader(stream);
    stream.end('one\ntwo\n');
    await new Promise((r) => setImmediate(r));
    expect(reader.ended).toBe(true);
    expect(await all(reader)).toEqual(['one', 'two']);
    expect((await reader.next()).done).toBe(true);
  });

  it('gives a burst of many lines in order, and a line asked for before it comes', async () => {
    const stream = new PassThrough();
    const reader = new LineReader(stream);
    const first = reader.next();
    stream.write('early\n');
    expect(await first).toEqual({ done: false, value: 'early' });
    const many = Array.from({ length: 20_000 }, (_, i) => `{"n":${i}}`);
    stream.end(many.join('\n') + '\n');
    expect(await all(reader)).toEqual(many);
  });
});

describe('random nonces', () => {
  it('are as many bytes as asked, in hex, and differ', () => {
    const a = randomHex(16);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(Array.from({ length: 50 }, () => randomHex(16))).size).toBe(50);
  });
});
