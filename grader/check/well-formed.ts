// Is a task folder usable at all: task.yaml, its hidden tests and every file
// they name validate (grader/task/load.ts collects every problem at once),
// and its harness compiles. The verdict is a CheckOutcome, never a throw,
// so that one broken task does not hide the others.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Task } from '../model/task.js';
import { loadTask } from '../task/load.js';
import { formatProblem, TaskError, type Problem } from '../task/yaml-file.js';
import { harnessProblems } from './harness.js';
import { at, check, type CheckOutcome, type Finding } from './model.js';

export interface LoadedTask {
  id: string;
  dir: string;
  /** null when the task does not load: nothing can be graded against it. */
  task: Task | null;
  check: CheckOutcome;
}

export function shown(p: string): string {
  return path.relative(process.cwd(), p) || p;
}

/** A failed well-formed check: each problem a finding (PATH:LINE:COL: message), the check at the first one. */
function problemsCheck(summary: string, kind: 'task' | 'harness', problems: Problem[], durationMs: number, fallback: { file: string; line: number }): CheckOutcome {
  const findings: Finding[] = problems.map((p) => ({ kind, file: p.file, line: p.line, message: formatProblem(p) }));
  const outcome = { ...check('well-formed', 'fail', summary, findings.map((f) => f.message), durationMs), findings };
  return at(outcome, findings[0] ?? fallback);
}

export async function checkTaskFolder(dir: string): Promise<LoadedTask> {
  const started = performance.now();
  const id = path.basename(dir);
  const elapsed = () => performance.now() - started;
  const taskYaml = { file: shown(path.join(dir, 'task.yaml')), line: 1 };
  let task: Task;
  try {
    task = loadTask(dir);
  } catch (err) {
    if (!(err instanceof TaskError)) throw err;
    const summary = err.problems.length ? `${err.problems.length} problem(s); the task cannot be used until they are fixed` : 'the task does not load';
    return { id, dir, task: null, check: problemsCheck(summary, 'task', err.problems, elapsed(), taskYaml) };
  }
  const harness = await harnessProblems(task);
  if (harness.length) {
    return { id, dir, task: null, check: problemsCheck('the harness does not compile', 'harness', harness, elapsed(), taskYaml) };
  }
  const summary = `${task.tests.length} tests, ${task.role}, protocol ${task.protocol.name}`;
  return { id, dir, task, check: at(check('well-formed', 'ok', summary, [], elapsed()), taskYaml) };
}

/** Folders under the tasks folder without a task.yaml: a misspelt task.yml, or a shared folder. */
export function foldersWithoutTask(tasksRoot: string): string[] {
  if (!existsSync(tasksRoot)) return [];
  return readdirSync(tasksRoot)
    .filter((name) => !name.startsWith('.'))
    .map((name) => path.join(tasksRoot, name))
    .filter((dir) => statSync(dir).isDirectory() && !existsSync(path.join(dir, 'task.yaml')))
    .sort();
}
