// How far a batch is. On a terminal: a status block redrawn every second —
// done/total, the recent rate and the ETA it gives, failures so far, and each
// student being graded now with how long it has run, so a stuck one shows.
// Otherwise (a log file, CI, TERM=dumb): one plain line per graded student,
// and a "still grading" line when nothing has ended for a while.
import { visibleLine } from '../report/neutralise.js';

export interface ProgressCounts {
  done: number;
  total: number;
  /** Graded by this run (rate and ETA are computed from these). */
  gradedNow: number;
  /** Students whose result is not success, so far. */
  notPassing: number;
  /** Students whose result is error (the grader's fault), so far. */
  errors: number;
}

export interface Progress {
  start(counts: ProgressCounts): void;
  /** A student's grading starts. */
  begin(id: string): void;
  graded(id: string, score: number, result: string, ms: number, counts: ProgressCounts): void;
  /** A one-off message (e.g. "stopping"), kept in view. */
  note(text: string): void;
  stop(): void;
}

export type ProgressMode = 'auto' | 'plain' | 'silent';

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Students ended within the rate's window: the rate follows the recent pace, not the start's. */
const RATE_WINDOW = 10;

/**
 * Rate and ETA from the last RATE_WINDOW students graded: their count over the
 * time since the one before them ended (or the start). "Now" is the end of
 * that span, so a stall makes the rate fall and the ETA grow while it lasts.
 */
export class RecentRate {
  private readonly ends: number[] = [];
  constructor(private readonly started = performance.now()) {}
  ended(at = performance.now()): void {
    this.ends.push(at);
    if (this.ends.length > RATE_WINDOW + 1) this.ends.shift();
  }
  /** Students per second. */
  rate(now = performance.now()): number {
    const n = Math.min(this.ends.length, RATE_WINDOW);
    if (n === 0) return 0;
    const from = this.ends.length > n ? this.ends[0]! : this.started;
    const s = (now - from) / 1000;
    return s > 0 ? n / s : 0;
  }
  eta(c: ProgressCounts, now = performance.now()): string {
    if (c.done >= c.total) return '0s';
    const r = this.rate(now);
    return r > 0 ? duration((c.total - c.done) / r) : '?';
  }
}

/** The students being graded now, oldest first, each with how long it has run. */
class Running {
  private readonly since = new Map<string, number>();
  begin(id: string): void {
    this.since.set(id, performance.now());
  }
  end(id: string): void {
    this.since.delete(id);
  }
  get size(): number {
    return this.since.size;
  }
  /** "alice 4s, bob 1m02s" — the id comes from a file name a student chose: never raw on the terminal. */
  list(now = performance.now()): string {
    return [...this.since].map(([id, t]) => `${visibleLine(id)} ${duration((now - t) / 1000)}`).join(', ');
  }
}

function bar(c: ProgressCounts, width: number): string {
  const filled = c.total ? Math.round((c.done / c.total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** The terminal view: a block of lines rewritten in place once a second and at each event. */
class TerminalProgress implements Progress {
  private readonly rate = new RecentRate();
  private readonly running = new Running();
  private counts: ProgressCounts = { done: 0, total: 0, gradedNow: 0, notPassing: 0, errors: 0 };
  private drawn = 0;
  private message = '';
  private timer: NodeJS.Timeout | null = null;
  constructor(private readonly out: NodeJS.WriteStream) {}

  private lines(): string[] {
    const c = this.counts;
    const head =
      `${bar(c, 20)} ${c.done}/${c.total} | ${this.rate.rate().toFixed(2)}/s | ETA ${this.rate.eta(c)} | ` +
      `not passing ${c.notPassing} | errors ${c.errors}`;
    const lines = [head, this.running.size ? `grading: ${this.running.list()}` : 'grading: -'];
    if (this.message) lines.push(this.message);
    return lines;
  }

  private draw(): void {
    const cols = this.out.columns || 80;
    // A line longer than the terminal would wrap and break the redraw: cut it.
    const lines = this.lines().map((l) => (l.length >= cols ? `${l.slice(0, cols - 2)}…` : l));
    const up = this.drawn > 1 ? `\x1b[${this.drawn - 1}A` : '';
    this.out.write(`${up}\r${lines.map((l) => `${l}\x1b[K`).join('\n')}`);
    this.drawn = lines.length;
  }

  start(c: ProgressCounts): void {
    this.counts = { ...c };
    this.draw();
    this.timer = setInterval(() => this.draw(), 1000);
    this.timer.unref();
  }
  begin(id: string): void {
    this.running.begin(id);
    this.draw();
  }
  graded(id: string, _score: number, _result: string, _ms: number, c: ProgressCounts): void {
    this.running.end(id);
    this.rate.ended();
    this.counts = { ...c };
    this.draw();
  }
  note(text: string): void {
    this.message = text;
    this.draw();
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.draw();
    this.out.write('\n');
  }
}

/** Without a word for this long, the plain view says who is still being graded. */
const QUIET_MS = 30_000;

class LineProgress implements Progress {
  private readonly rate = new RecentRate();
  private readonly running = new Running();
  private lastWrite = performance.now();
  private timer: NodeJS.Timeout | null = null;
  constructor(private readonly out: NodeJS.WritableStream) {}
  private write(line: string): void {
    this.out.write(line);
    this.lastWrite = performance.now();
  }
  start(c: ProgressCounts): void {
    this.write(`sockgrade batch: ${c.total} student(s), ${c.done} already graded, ${c.total - c.done} to grade\n`);
    this.timer = setInterval(() => {
      if (this.running.size && performance.now() - this.lastWrite >= QUIET_MS) this.write(`still grading: ${this.running.list()}\n`);
    }, 5_000);
    this.timer.unref();
  }
  begin(id: string): void {
    this.running.begin(id);
  }
  graded(id: string, score: number, result: string, ms: number, c: ProgressCounts): void {
    this.running.end(id);
    this.rate.ended();
    const width = String(c.total).length;
    this.write(
      // The id comes from a file name a student chose: never raw on the terminal.
      `[${String(c.done).padStart(width)}/${c.total}] ${visibleLine(id)}: ${score} ${result} (${(ms / 1000).toFixed(1)} s) | ` +
        `${this.rate.rate().toFixed(2)}/s, ETA ${this.rate.eta(c)} | not passing ${c.notPassing}, errors ${c.errors}\n`,
    );
  }
  note(text: string): void {
    this.write(`${text}\n`);
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

const silent: Progress = { start() {}, begin() {}, graded() {}, note() {}, stop() {} };

export function makeProgress(mode: ProgressMode, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (mode === 'silent') return silent;
  // A dumb terminal cannot move the cursor: the plain lines then.
  const terminal = mode === 'auto' && stream.isTTY && process.env.TERM !== 'dumb';
  return terminal ? new TerminalProgress(stream) : new LineProgress(stream);
}
