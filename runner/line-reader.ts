// The lines of a stream as they arrive, and whether it has ended: what the
// job and the CLI read each other's JSON lines with. readline would do it,
// but loading it is ~2 ms of each process's start, and both starts are on a
// grade's critical path (docs/speed.md). Flowing, as readline reads: a line
// waits here until it is asked for, and the end is seen even while nobody asks.
import type { Readable } from 'node:stream';

export class LineReader implements AsyncIterableIterator<string> {
  private lines: string[] = [];
  /** The next line to give in `lines` (a burst of events is half a megabyte of lines: no shift() each). */
  private head = 0;
  private partial = '';
  private waiting: ((r: IteratorResult<string>) => void) | null = null;
  /** The stream has ended (or failed): no line comes after those already read. */
  ended = false;

  constructor(stream: Readable) {
    stream.setEncoding('utf8'); // a character cut between two chunks is joined
    stream.on('data', (text: string) => {
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        this.push(this.partial + text.slice(start, nl));
        this.partial = '';
        start = nl + 1;
      }
      this.partial += text.slice(start);
    });
    const end = () => {
      if (this.ended) return;
      if (this.partial) this.push(this.partial); // the last line, without its newline
      this.partial = '';
      this.ended = true;
      this.waiting?.({ done: true, value: undefined });
      this.waiting = null;
    };
    stream.once('end', end);
    stream.once('close', end);
    stream.once('error', end);
  }

  private push(line: string): void {
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) waiting({ done: false, value: line });
    else this.lines.push(line);
  }

  next(): Promise<IteratorResult<string>> {
    if (this.head < this.lines.length) {
      const value = this.lines[this.head++]!;
      if (this.head === this.lines.length) [this.lines, this.head] = [[], 0];
      return Promise.resolve({ done: false, value });
    }
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
