// The option values and arguments more than one command takes, checked before
// any work: the tasks folder and a task by name, counts (--jobs, --repeat),
// --seed, and --out as a file (grade, check) or a folder (batch). Each
// mistake is a UsageError naming the option and what it takes.
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../runner/paths.js';
import type { Task } from '../model/task.js';
import { loadTaskCached } from '../task/cache.js';
import { listTaskIds, resolveTaskDir } from '../task/find.js';
import { UsageError } from './exit.js';

/** SOCKGRADE_TASKS, else the tasks/ of sockgrade. */
export function tasksDir(): string {
  return process.env.SOCKGRADE_TASKS ? path.resolve(process.env.SOCKGRADE_TASKS) : path.join(packageRoot, 'tasks');
}

/** The folder of task `name` (an id under tasksRoot, or a path): unknown is a UsageError listing the known ones. */
export function taskDirOption(name: string, tasksRoot: string): string {
  const dir = resolveTaskDir(name, tasksRoot);
  if (!dir) {
    const known = listTaskIds(tasksRoot);
    throw new UsageError(`unknown task '${name}': not a folder with a task.yaml; known tasks: ${known.join(', ') || '(none)'}`);
  }
  return dir;
}

/** Task `name`, loaded (from the task cache when it still matches; a TaskError when it does not load). */
export function openTask(name: string): Promise<Task> {
  return loadTaskCached(taskDirOption(name, tasksDir()));
}

/** A --jobs/--repeat style option: a whole number of at least 1, or the fallback when absent. */
export function countOption(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} takes a whole number of at least 1, not '${value}'`);
  return n;
}

export function seedOption(value: unknown): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--seed takes a whole number, not '${value}'`);
  return n;
}

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function writable(p: string): boolean {
  try {
    accessSync(p, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The folder an --out path goes in: made if missing (`--out reports/check.xml`
 * in CI), and writable. Called just before the work starts, after every other
 * argument is known good, so no grade is lost to it and no folder is made for
 * a command line that fails anyway.
 */
function prepareOutParent(out: string): void {
  const parent = path.dirname(path.resolve(out));
  try {
    mkdirSync(parent, { recursive: true });
  } catch (err) {
    throw new UsageError(`--out ${out}: cannot make folder ${parent} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!isDir(parent)) throw new UsageError(`--out ${out}: ${parent} is not a folder`);
  if (!writable(parent)) throw new UsageError(`--out ${out}: folder ${parent} is not writable`);
}

/** An --out FILE option (grade, check), checked before any work; undefined when absent. */
export function outFileOption(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const out = String(value);
  if (out === '') throw new UsageError('--out takes a file name');
  if (isDir(out)) throw new UsageError(`--out ${out} is a folder; give the name of a file to write`);
  prepareOutParent(out);
  if (existsSync(out) && !writable(out)) throw new UsageError(`--out ${out} exists and is not writable`);
  return out;
}

/** An --out DIR option (batch): an existing writable folder, or one that can be made. */
export function outDirOption(out: string): string {
  if (out === '') throw new UsageError('--out takes a folder name');
  if (existsSync(out)) {
    if (!isDir(out)) throw new UsageError(`--out ${out} is a file; give a folder for the grades`);
    if (!writable(out)) throw new UsageError(`--out ${out} is not writable`);
  } else prepareOutParent(out);
  return out;
}
