// `sockgrade batch TASK SUBMISSIONS_DIR [--out DIR] [--jobs N] [--regrade]`:
// the command line of runBatch. Bad input (no such folder, an empty one, an
// output folder of another task) is one line and exit 2, before anything is graded.
// Ctrl-C stops it cleanly: what was graded is written out, the lock released,
// exit 130; the same command again resumes. A second Ctrl-C quits at once.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBatch, type BatchSummary } from '../batch/run.js';
import { EXIT } from './exit.js';
import type { ParsedArgs } from './options.js';
import { countOption, openTask, outDirOption, seedOption } from './values.js';

export async function run({ values, positionals }: ParsedArgs): Promise<number> {
  const jobs = countOption('--jobs', values.jobs, os.availableParallelism());
  const seed = seedOption(values.seed);
  const task = await openTask(positionals[0]!);
  const dir = positionals[1]!;
  // Next to the submissions by default, never inside them. Checked before any
  // grading (the default only when the submissions are there: else that is the error to show).
  const out = (values.out as string | undefined) ?? `${path.resolve(dir)}-grades`;
  if (values.out !== undefined || existsSync(dir)) outDirOption(out);
  const interrupt = new AbortController();
  const onSigint = () => {
    // The records on disk are fsynced per student: even quitting now loses no grade, only the gradebook's refresh.
    if (interrupt.signal.aborted) process.exit(EXIT.interrupted);
    interrupt.abort();
  };
  process.on('SIGINT', onSigint);
  const summary = await runBatch({
    task,
    dir,
    out,
    jobs,
    regrade: Boolean(values.regrade),
    seed,
    sandbox: 'bwrap',
    showAll: Boolean(values['show-all']),
    progress: 'auto',
    signal: interrupt.signal,
  }).finally(() => process.off('SIGINT', onSigint));
  return printSummary(summary, out);
}

/** What was done and where it is; an interrupted batch says how to resume. */
function printSummary(summary: BatchSummary, out: string): number {
  const failing = summary.errors ? `, ${summary.errors} grader error(s)` : '';
  process.stdout.write(
    `${summary.students} student(s): ${summary.gradedNow} graded now, ${summary.alreadyGraded} already graded; ` +
      `${summary.notPassing} not passing${failing}\n` +
      `grades: ${path.join(out, 'grades.csv')}  summary: ${path.join(out, 'summary.html')}  reports: ${path.join(out, 'reports')}${path.sep}\n`,
  );
  if (summary.interrupted) {
    process.stdout.write(`interrupted: ${summary.remaining} student(s) left to grade; run the same command again to resume\n`);
    return EXIT.interrupted;
  }
  return EXIT.ok;
}
