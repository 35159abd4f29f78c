// `sockgrade check`'s work, once its command line is known
// (grader/cli/check.ts): for every task, is it well formed, does every
// fixture get its declared outcome (every time, with --repeat), do the tests
// tell right from wrong, and do correct fixtures keep a margin under every
// limit. The result is a CheckRun, which text.ts and junit.ts print.
import path from 'node:path';
import { isCorrectFixture, listFixtures } from '../fixtures.js';
import type { Task } from '../model/task.js';
import { listTaskIds } from '../task/load.js';
import { coverageCheck } from './coverage.js';
import { fixtureFoldersWithoutTask, inspectFixtures, type InspectedFixture } from './fixture-files.js';
import { fixtureOutcomeCheck } from './fixture-outcome.js';
import { gradeAll, type Graded, type Grading } from './gradings.js';
import { keyLine } from './key-line.js';
import { halveLimits, marginCheck } from './margins.js';
import { at, check, type CheckOutcome, type SuiteOutcome } from './model.js';
import { checkTaskFolder, foldersWithoutTask, shown, type LoadedTask } from './well-formed.js';
import { controlsCheck } from './controls.js';

// Results that mean "ran into a limit": such fixtures take the longest to grade.
const SLOW_RESULTS = new Set(['timeout', 'killed', 'overflow']);

export interface TaskUnderCheck {
  loaded: LoadedTask;
  fixtures: InspectedFixture[];
  halved: Task | null;
}

function plannedGradings(tasks: TaskUnderCheck[], repeat: number): Grading[] {
  const gradings: Grading[] = [];
  for (const { loaded, fixtures, halved } of tasks) {
    if (!loaded.task) continue;
    for (const { fixture, expect } of fixtures) {
      if (!expect) continue;
      const base = { fixture: fixture.name, submission: fixture.submission, slow: SLOW_RESULTS.has(expect.result ?? '') };
      for (let r = 0; r < repeat; r++) gradings.push({ ...base, task: loaded.task, kind: 'normal' });
      if (isCorrectFixture(expect)) gradings.push({ ...base, task: halved!, kind: 'halved' });
    }
  }
  return gradings;
}

/** The gradings of one fixture of a task, by kind. */
type RunsOf = (name: string, kind: Grading['kind']) => Graded[];

/** One check per fixture: malformed, not graded (the task is broken), or its outcome against expect.yaml. */
function fixtureChecks(t: TaskUnderCheck, runsOf: RunsOf): CheckOutcome[] {
  const task = t.loaded.task;
  const knownTests = task?.tests.map((x) => x.id) ?? [];
  return t.fixtures.map((f) => {
    const label = `fixture ${f.fixture.name}`;
    let outcome: CheckOutcome;
    if (!f.expect) outcome = check(label, 'fail', 'malformed, not graded', f.problems);
    else if (!task) outcome = check(label, 'skip', 'not graded: the task is not well formed');
    else outcome = fixtureOutcomeCheck({ name: f.fixture.name, expect: f.expect, expectFile: f.fixture.expectFile }, runsOf(f.fixture.name, 'normal'), knownTests);
    // A check points at its first finding (the expect.yaml key that differs), else at the fixture.
    return at(outcome, outcome.findings?.[0] ?? f.location);
  });
}

/** Do the tests tell right from wrong, over all the fixtures graded? */
function coverageOf(t: TaskUnderCheck, task: Task, runsOf: RunsOf, fixturesDir: string, someFixtures: boolean): CheckOutcome {
  // Coverage is about all the fixtures together: with some left out it would blame the wrong tests.
  if (someFixtures) return check('coverage', 'skip', 'not checked: --fixture grades only some fixtures');
  const gradedFixtures = t.fixtures.flatMap((f) =>
    f.expect ? [{ name: f.fixture.name, expect: f.expect, reports: runsOf(f.fixture.name, 'normal').flatMap((g) => (g.report ? [g.report] : [])) }] : [],
  );
  return coverageCheck(task, shown(fixturesDir), t.fixtures.length, gradedFixtures);
}

/** One margins check per correct fixture that got its declared outcome, pointing at task.yaml's limits. */
function marginChecks(t: TaskUnderCheck, task: Task, runsOf: RunsOf, fixtureOutcomes: CheckOutcome[]): CheckOutcome[] {
  const limitsLine = keyLine(path.join(task.dir, 'task.yaml'), 'limits');
  const checks: CheckOutcome[] = [];
  t.fixtures.forEach((f, i) => {
    if (!f.expect || !isCorrectFixture(f.expect)) return;
    const label = `margins ${f.fixture.name}`;
    const status = fixtureOutcomes[i]!.status;
    if (status !== 'ok' && status !== 'warn') {
      checks.push(check(label, 'skip', 'not measured: the fixture does not get its declared outcome'));
      return;
    }
    const normal = runsOf(f.fixture.name, 'normal').map((g) => g.report!);
    const halved = runsOf(f.fixture.name, 'halved')[0]!;
    checks.push(at(marginCheck(task, f.fixture.name, normal, halved), limitsLine));
  });
  return checks;
}

function taskSuite(t: TaskUnderCheck, graded: Graded[], fixturesDir: string, someFixtures: boolean): SuiteOutcome {
  const { loaded } = t;
  const mine = graded.filter((g) => g.grading.task.id === loaded.id && g.grading.task.dir === loaded.dir);
  const runsOf: RunsOf = (name, kind) => mine.filter((g) => g.grading.fixture === name && g.grading.kind === kind);
  const fixtureOutcomes = fixtureChecks(t, runsOf);
  const checks: CheckOutcome[] = [loaded.check, ...fixtureOutcomes];
  const task = loaded.task;
  if (task) checks.push(controlsCheck(task));
  if (!task) {
    checks.push(check('coverage', 'skip', 'not checked: the task is not well formed'));
    return { name: loaded.id, checks };
  }
  checks.push(coverageOf(t, task, runsOf, fixturesDir, someFixtures), ...marginChecks(t, task, runsOf, fixtureOutcomes));
  return { name: loaded.id, checks };
}

/** Folders that look like a task or its fixtures but are neither: checked only when no task is named. */
function strayFolderSuites(tasksRoot: string, fixturesDir: string): SuiteOutcome[] {
  const ids = listTaskIds(tasksRoot);
  const suites: SuiteOutcome[] = [];
  for (const dir of fixtureFoldersWithoutTask(fixturesDir, ids)) {
    const name = path.basename(dir);
    suites.push({
      name: shown(dir),
      checks: [at(check('task exists', 'fail', `${shown(dir)}: no task '${name}' in ${shown(tasksRoot)}, so these fixtures never run; rename the folder after a task (known: ${ids.join(', ') || 'none'}) or add the task`), { file: shown(dir), line: 1 })],
    });
  }
  for (const dir of foldersWithoutTask(tasksRoot)) {
    suites.push({
      name: shown(dir),
      checks: [at(check('well-formed', 'warn', `${shown(dir)}: no task.yaml, so it is not a task and is not checked (a misspelt task.yml?)`), { file: shown(dir), line: 1 })],
    });
  }
  return suites;
}

/** --strict (verifyproblem's -e): a warning is a failure, in every format and in the exit status. */
function strictly(suite: SuiteOutcome): SuiteOutcome {
  return {
    ...suite,
    checks: suite.checks.map((c) => (c.status === 'warn' ? { ...c, status: 'fail', summary: `${c.summary} (a warning; --strict makes it a failure)` } : c)),
  };
}

/** Each task folder, checked for being well formed, with its fixtures (only those named, when `only`). */
export async function inspectTasks(dirs: string[], fixturesDir: string, only: Set<string> | null): Promise<TaskUnderCheck[]> {
  const tasks: TaskUnderCheck[] = [];
  for (const dir of dirs) {
    const loaded = await checkTaskFolder(dir);
    const fixtures = inspectFixtures(fixturesDir, loaded.id, loaded.task ? loaded.task.tests.map((t) => t.id) : null).filter((f) => !only || only.has(f.fixture.name));
    tasks.push({ loaded, fixtures, halved: loaded.task ? halveLimits(loaded.task) : null });
  }
  return tasks;
}

/** Names in `only` that are no fixture of the tasks checked, and every fixture name those tasks have (for the message). */
export function unknownFixtures(tasks: TaskUnderCheck[], dirs: string[], fixturesDir: string, only: Set<string> | null): { missing: string[]; known: string[] } {
  const missing = [...(only ?? [])].filter((name) => !tasks.some((t) => t.fixtures.some((f) => f.fixture.name === name)));
  const known = missing.length ? [...new Set(dirs.flatMap((d) => listFixtures(fixturesDir, path.basename(d)).map((f) => f.name)))].sort() : [];
  return { missing, known };
}

export interface CheckOptions {
  tasksRoot: string;
  fixturesDir: string;
  /** Grade every fixture this many times: a verdict must not change. */
  repeat: number;
  jobs: number;
  /** Only some fixtures (--fixture): coverage is then skipped. */
  someFixtures: boolean;
  /** No task named: folders that look like a task or its fixtures but are neither are reported too. */
  strayFolders: boolean;
  /** Warnings are failures (--strict). */
  strict: boolean;
}

/** Grades every fixture the tasks need and makes one suite per task (and per stray folder). */
export async function checkTasks(tasks: TaskUnderCheck[], opts: CheckOptions, progress: (line: string) => void): Promise<SuiteOutcome[]> {
  const gradings = plannedGradings(tasks, opts.repeat);
  const fixtureCount = tasks.reduce((n, t) => n + t.fixtures.length, 0);
  progress(`${tasks.length} task(s), ${fixtureCount} fixture(s): ${gradings.length} gradings, ${opts.jobs} at a time`);
  const graded = await gradeAll(gradings, opts.jobs, progress);

  let suites = tasks.map((t) => taskSuite(t, graded, path.join(opts.fixturesDir, t.loaded.id), opts.someFixtures));
  if (opts.strayFolders) suites.push(...strayFolderSuites(opts.tasksRoot, opts.fixturesDir));
  if (opts.strict) suites = suites.map(strictly);
  return suites;
}
