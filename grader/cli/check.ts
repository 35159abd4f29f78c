// `sockgrade check [TASK...]`: CI for task definitions (the work is
// grader/check/run.ts). Exit 0 only when every check holds; 1 when one does
// not. Every argument is checked before any grading, --out included, so that
// a run is never lost to a bad command line.
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatCheckJunit } from '../check/junit.js';
import { failed, type CheckRun } from '../check/model.js';
import { checkTasks, inspectTasks, unknownFixtures } from '../check/run.js';
import { formatCheckText } from '../check/text.js';
import { shown } from '../check/well-formed.js';
import { useColour } from '../report/text.js';
import { listTaskIds } from '../task/find.js';
import { EXIT, UsageError } from './exit.js';
import type { ParsedArgs } from './options.js';
import { countOption, outFileOption, taskDirOption, tasksDir } from './values.js';

const FORMATS = ['text', 'junit'] as const;

/** --fixtures, else SOCKGRADE_FIXTURES, else the fixtures folder beside the tasks folder. */
function fixturesRoot(option: unknown, tasksRoot: string): string {
  const given = (option as string | undefined) ?? process.env.SOCKGRADE_FIXTURES;
  if (given === undefined) return path.join(path.dirname(tasksRoot), 'fixtures');
  const dir = path.resolve(given);
  if (!existsSync(dir)) throw new UsageError(`fixtures folder not found: ${given}; give --fixtures DIR (or SOCKGRADE_FIXTURES) a folder holding one folder per task`);
  return dir;
}

/** The task folders named, else every task of the tasks folder (none is an error: nothing would be checked). */
function taskDirs(names: string[], tasksRoot: string): string[] {
  if (names.length) return names.map((name) => taskDirOption(name, tasksRoot));
  const dirs = listTaskIds(tasksRoot).map((id) => path.join(tasksRoot, id));
  if (!dirs.length) throw new UsageError(`no tasks in ${shown(tasksRoot)} (no folder with a task.yaml); name a task folder, or set SOCKGRADE_TASKS to the folder of your tasks`);
  return dirs;
}

/** The result to stdout in the format asked for; with --out, the file gets that format and stdout the text. */
function printRun(run: CheckRun, format: string, out: string | undefined): void {
  if (out !== undefined) {
    writeFileSync(out, format === 'junit' ? formatCheckJunit(run) : formatCheckText(run));
    process.stdout.write(formatCheckText(run, useColour()));
  } else {
    process.stdout.write(format === 'junit' ? formatCheckJunit(run) : formatCheckText(run, useColour()));
  }
}

export async function run({ values, positionals }: ParsedArgs): Promise<number> {
  const format = (values.format as string | undefined) ?? 'text';
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`check --format takes ${FORMATS.join(' or ')}, not '${format}'`);
  const repeat = countOption('--repeat', values.repeat, 1);
  const jobs = countOption('--jobs', values.jobs, Math.min(2, os.availableParallelism()));
  const tasksRoot = tasksDir();
  const fixturesDir = fixturesRoot(values.fixtures, tasksRoot);
  const dirs = taskDirs(positionals, tasksRoot);
  const only = values.fixture ? new Set(values.fixture as string[]) : null;
  const out = outFileOption(values.out); // before any grading: a run is never lost to a bad --out

  const started = performance.now();
  const tasks = await inspectTasks(dirs, fixturesDir, only);
  const { missing, known } = unknownFixtures(tasks, dirs, fixturesDir, only);
  if (missing.length) {
    throw new UsageError(`--fixture ${missing.join(', ')}: no such fixture in ${shown(fixturesDir)} for the task(s) checked; fixtures: ${known.join(', ') || '(none)'}`);
  }
  const progress = (line: string) => process.stderr.write(`check: ${line}\n`);
  const suites = await checkTasks(
    tasks,
    { tasksRoot, fixturesDir, repeat, jobs, someFixtures: only !== null, strayFolders: !positionals.length, strict: Boolean(values.strict) },
    progress,
  );
  const checkRun: CheckRun = { suites, durationMs: performance.now() - started };
  printRun(checkRun, format, out);
  return failed(checkRun).length ? EXIT.checkFailed : EXIT.ok;
}
