// `grade --watch`: grade, then grade again each time the submission's files
// change, for a student iterating on a fix. Waits for file-system events
// (fs.watch), never polls; a burst of events (an editor's save, a `cp -r`)
// becomes one grading, DEBOUNCE_MS after the last event. Ctrl-C ends it, exit 0.
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { SubmissionError } from '../runner/errors.js';

/** Quiet time after the last change before grading: a save is often several writes. */
const DEBOUNCE_MS = 300;

/**
 * Watches a folder (and everything under it), or a single file through its
 * folder (editors replace files by renaming). Changes under `ignore` (the
 * report or traces, written inside the submission) are not the student's.
 */
async function watchSubmission(submission: string, ignore: string[], onChange: () => void): Promise<FSWatcher> {
  const full = path.resolve(submission);
  const isDir = (await stat(full)).isDirectory();
  const ignored = ignore.map((p) => path.resolve(p));
  const mine = (file: string) => ignored.some((p) => file === p || file.startsWith(p + path.sep));
  if (isDir) {
    return watch(full, { recursive: true }, (_event, file) => {
      if (file === null || !mine(path.join(full, file))) onChange();
    });
  }
  const name = path.basename(full);
  return watch(path.dirname(full), (_event, file) => {
    if (file === null || file === name) onChange();
  });
}

/** One watch: grades now, and again after each burst of changes; at most one grading at a time. */
class GradeOnChange {
  private grading: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** What made a grading throw (not a SubmissionError): the watch ends, and main reports it. */
  failure: unknown = null;
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | null = null;
  // Declared before `done`, whose initialiser replaces it with the promise's resolve.
  private finish: (status: number) => void = () => undefined;
  /** Resolves to the exit status once stopped, after the grading under way. */
  readonly done = new Promise<number>((resolve) => (this.finish = resolve));

  constructor(
    private readonly submission: string,
    private readonly gradeAndShow: () => Promise<void>,
  ) {}

  private note(line: string): void {
    process.stderr.write(`sockgrade: ${line}\n`);
  }

  private async gradeNow(): Promise<void> {
    try {
      await this.gradeAndShow();
    } catch (err) {
      if (!(err instanceof SubmissionError)) throw err;
      this.note(err.message);
    }
    if (!this.stopped) this.note(`watching ${this.submission}: the report comes again when a file changes (Ctrl-C ends)`);
  }

  readonly start = (): void => {
    if (this.stopped) return;
    if (this.grading) {
      this.again = true; // changed while grading: grade once more when this one is over
      return;
    }
    this.grading = this.gradeNow()
      .catch((err) => {
        this.failure = err;
        this.stop();
      })
      .finally(() => {
        this.grading = null;
        if (this.again && !this.stopped) {
          this.again = false;
          this.start();
        }
      });
  };

  readonly changed = (): void => {
    clearTimeout(this.timer);
    this.timer = setTimeout(this.start, DEBOUNCE_MS);
  };

  watching(watcher: FSWatcher): void {
    this.watcher = watcher;
    process.on('SIGINT', this.stop);
    process.on('SIGTERM', this.stop);
  }

  readonly stop = (): void => {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.watcher?.close();
    process.off('SIGINT', this.stop);
    process.off('SIGTERM', this.stop);
    // A grading under way ends first: its job is cleaned up as usual.
    void Promise.resolve(this.grading).then(() => this.finish(0));
  };
}

/**
 * Runs `gradeAndShow` now and after every change; resolves to the exit status
 * when the user stops it (SIGINT, SIGTERM). A submission that cannot be read
 * mid-edit is said on stderr, and the watch goes on.
 */
export async function watchAndGrade(submission: string, gradeAndShow: () => Promise<void>, ignore: string[] = []): Promise<number> {
  const watch = new GradeOnChange(submission, gradeAndShow);
  watch.watching(await watchSubmission(submission, ignore, watch.changed));
  watch.start();
  const status = await watch.done;
  if (watch.failure) throw watch.failure; // the machine cannot grade, or an internal error: as without --watch
  return status;
}
