// How far a batch is: on a terminal a live bar (done/total, rate, ETA,
// failures so far); otherwise one plain line per graded student, which reads
// well in a log file or a CI job.
import cliProgress from 'cli-progress';
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
  graded(id: string, score: number, result: string, ms: number, counts: ProgressCounts): void;
  stop(): void;
}

export type ProgressMode = 'auto' | 'plain' | 'silent';

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

class Clock {
  private readonly started = performance.now();
  rate(c: ProgressCounts): number {
    const s = (performance.now() - this.started) / 1000;
    return s > 0 ? c.gradedNow / s : 0;
  }
  eta(c: ProgressCounts): string {
    const r = this.rate(c);
    return c.done >= c.total ? '0s' : r > 0 ? duration((c.total - c.done) / r) : '?';
  }
}

class BarProgress implements Progress {
  private readonly clock = new Clock();
  private readonly bar = new cliProgress.SingleBar(
    {
      format: '{bar} {value}/{total} | {rate}/s | ETA {etaText} | not passing {notPassing} | errors {errors}',
      stream: process.stderr,
      // A TA may stop the batch with Ctrl-C: a hidden cursor would stay hidden.
      hideCursor: false,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  private payload(c: ProgressCounts) {
    return { rate: this.clock.rate(c).toFixed(2), etaText: this.clock.eta(c), notPassing: c.notPassing, errors: c.errors };
  }
  start(c: ProgressCounts): void {
    this.bar.start(c.total, c.done, this.payload(c));
  }
  graded(_id: string, _score: number, _result: string, _ms: number, c: ProgressCounts): void {
    this.bar.update(c.done, this.payload(c));
  }
  stop(): void {
    this.bar.stop();
  }
}

class LineProgress implements Progress {
  private readonly clock = new Clock();
  constructor(private readonly out: NodeJS.WritableStream) {}
  start(c: ProgressCounts): void {
    this.out.write(`sockgrade batch: ${c.total} student(s), ${c.done} already graded, ${c.total - c.done} to grade\n`);
  }
  graded(id: string, score: number, result: string, ms: number, c: ProgressCounts): void {
    const width = String(c.total).length;
    this.out.write(
      // The id comes from a file name a student chose: never raw on the terminal.
      `[${String(c.done).padStart(width)}/${c.total}] ${visibleLine(id)}: ${score} ${result} (${(ms / 1000).toFixed(1)} s) | ` +
        `${this.clock.rate(c).toFixed(2)}/s, ETA ${this.clock.eta(c)} | not passing ${c.notPassing}, errors ${c.errors}\n`,
    );
  }
  stop(): void {}
}

const silent: Progress = { start() {}, graded() {}, stop() {} };

export function makeProgress(mode: ProgressMode, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (mode === 'silent') return silent;
  return mode === 'auto' && stream.isTTY ? new BarProgress() : new LineProgress(stream);
}
