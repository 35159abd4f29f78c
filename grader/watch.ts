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

/**
 * Runs `gradeAndShow` now and after every change; resolves to the exit status
 * when the user stops it (SIGINT, SIGTERM). A submission that cannot be read
 * mid-edit is said on stderr, and the watch goes on.
 */
export async function watchAndGrade(submission: string, gradeAndShow: () => Promise<void>, ignore: string[] = []): Promise<number> {
  const note = (line: string) => process.stderr.write(`sockgrade: ${line}\n`);
  let grading: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let failure: unknown = null;
  let timer: NodeJS.Timeout | undefined;
  let finish: (status: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));

  const gradeNow = async (): Promise<void> => {
    try {
      await gradeAndShow();
    } catch (err) {
      if (!(err instanceof SubmissionError)) throw err;
      note(err.message);
    }
    if (!stopped) note(`watching ${submission}: the report comes again when a file changes (Ctrl-C ends)`);
  };
  const start = () => {
    if (stopped) return;
    if (grading) {
      again = true; // changed while grading: grade once more when this one is over
      return;
    }
    grading = gradeNow()
      .catch((err) => {
        failure = err;
        stop();
      })
      .finally(() => {
        grading = null;
        if (again && !stopped) {
          again = false;
          start();
        }
      });
  };
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(start, DEBOUNCE_MS);
  };

  const watcher = await watchSubmission(submission, ignore, changed);
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    watcher.close();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    // A grading under way ends first: its job is cleaned up as usual.
    void Promise.resolve(grading).then(() => finish(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  start();
  const status = await done;
  if (failure) throw failure; // the machine cannot grade, or an internal error: as without --watch
  return status;
}
