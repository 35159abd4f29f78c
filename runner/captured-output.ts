// What the runner keeps of a program's stdout and stderr. Everything the
// program writes is read (a program blocked on a full pipe would look hung),
// but only a bounded part is kept for the report: the first half of the budget
// goes to the output in the order it came, the rest to the last bytes of each
// stream (where a client prints its result, and a crash its last words). The
// total is counted so that the runner can stop output that would hurt the
// machine (OUTPUT_STOP_BYTES), which debug output never comes near.

interface Stream {
  head: Buffer[];
  headBytes: number;
  /** Whole chunks; the oldest are dropped once the rest still hold tailBytes. */
  tail: Buffer[];
  tailBytes: number;
  total: number;
}

const fresh = (): Stream => ({ head: [], headBytes: 0, tail: [], tailBytes: 0, total: 0 });

export class CapturedOutput {
  private readonly streams = { stdout: fresh(), stderr: fresh() };
  /** Room left in the shared head, in bytes. */
  private headRoom: number;
  /** Bytes kept at the end of each stream. */
  private readonly tailKeep: number;
  /** Bytes written to both streams so far. */
  total = 0;

  /** `keepBytes`: the most kept of both streams together (the task's `output_kb`). */
  constructor(keepBytes: number) {
    this.headRoom = Math.floor(keepBytes / 2);
    this.tailKeep = Math.floor(keepBytes / 4);
  }

  add(which: 'stdout' | 'stderr', chunk: Buffer): void {
    const s = this.streams[which];
    this.total += chunk.length;
    s.total += chunk.length;
    if (this.headRoom > 0) {
      const head = chunk.subarray(0, this.headRoom);
      s.head.push(head);
      s.headBytes += head.length;
      this.headRoom -= head.length;
      chunk = chunk.subarray(head.length);
    }
    if (chunk.length === 0) return;
    s.tail.push(chunk);
    s.tailBytes += chunk.length;
    while (s.tail.length > 1 && s.tailBytes - s.tail[0]!.length >= this.tailKeep) s.tailBytes -= s.tail.shift()!.length;
  }

  /** Bytes written but not kept, over both streams. */
  get dropped(): number {
    return this.droppedFrom('stdout') + this.droppedFrom('stderr');
  }

  private droppedFrom(which: 'stdout' | 'stderr'): number {
    const s = this.streams[which];
    return s.total - s.headBytes - Math.min(s.tailBytes, this.tailKeep);
  }

  /** What is kept of one stream, with a line saying how much is missing where it is. */
  text(which: 'stdout' | 'stderr'): string {
    const s = this.streams[which];
    const tail = Buffer.concat(s.tail);
    const end = tail.subarray(Math.max(0, tail.length - this.tailKeep));
    const dropped = this.droppedFrom(which);
    // Decoded whole when nothing is missing: a character cut between head and tail stays whole.
    if (dropped <= 0) return Buffer.concat([...s.head, end]).toString('utf8');
    return `${Buffer.concat(s.head).toString('utf8')}\n[... ${dropped} bytes not kept ...]\n${end.toString('utf8')}`;
  }
}
