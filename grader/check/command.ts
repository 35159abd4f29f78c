// `sockgrade check [TASK...]`: CI for task definitions. For every task (or
// those named): is it well formed, does every fixture get its declared
// outcome (every time, with --repeat), do the tests tell right from wrong,
// and do correct fixtures keep a margin under every limit. Exit 0 only when
// all of that holds; 1 when something does not.
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countOption, outFileOption, parse, tasksDir, UsageError } from '../cli.js';
import { isCorrectFixture, listFixtures } from '../fixtures.js';
import { useColour } from '../report/text.js';
import { listTaskIds, resolveTaskDir, type Task } from '../task/load.js';
import { controlsCheck } from './controls.js';
import { coverageCheck } from './coverage.js';
import { fixtureFoldersWithoutTask, inspectFixtures, type InspectedFixture } from './fixture-files.js';
import { fixtureOutcomeCheck } from './fixture-outcome.js';
import { gradeAll, type Graded, type Grading } from './gradings.js';
import { formatCheckJunit } from './junit.js';
import { halveLimits, marginCheck } from './margins.js';
import { YamlFile } from '../task/yaml-file.js';
import { at, check, failed, type CheckOutcome, type CheckRun, type SuiteOutcome } from './model.js';
import { formatCheckText } from './text.js';
import { checkTaskFolder, foldersWithoutTask, shown, type LoadedTask } from './well-formed.js';

const FORMATS = ['text', 'junit'] as const;
// Results that mean "ran into a limit": such fixtures take the longest to grade.
const SLOW_RESULTS = new Set(['timeout', 'killed', 'overflow']);

/** --fixtures, else SOCKGRADE_FIXTURES, else the fixtures folder beside the tasks folder. */
function fixturesRoot(option: unknown, tasksRoot: string): string {
  const given = (option as string | undefined) ?? process.env.SOCKGRADE_FIXTURES;
  if (given === undefined) return path.join(path.dirname(tasksRoot), 'fixtures');
  const dir = path.resolve(given);
  if (!existsSync(dir)) throw new UsageError(`fixtures folder not found: ${given}; give --fixtures DIR (or SOCKGRADE_FIXTURES) a folder holding one folder per task`);
  return dir;
}

function taskDirs(names: string[], tasksRoot: string): string[] {
  if (names.length) {
    return names.map((name) => {
      const dir = resolveTaskDir(name, tasksRoot);
      if (!dir) throw new UsageError(`unknown task '${name}': not a folder with a task.yaml; known tasks: ${listTaskIds(tasksRoot).join(', ') || '(none)'}`);
      return dir;
    });
  }
  const dirs = listTaskIds(tasksRoot).map((id) => path.join(tasksRoot, id));
  if (!dirs.length) throw new UsageError(`no tasks in ${shown(tasksRoot)} (no folder with a task.yaml); name a task folder, or set SOCKGRADE_TASKS to the folder of your tasks`);
  return dirs;
}

interface TaskUnderCheck {
  loaded: LoadedTask;
  fixtures: InspectedFixture[];
  halved: Task | null;
}

/** The line of `key` (a top-level key) in a YAML file, 1 when it has none. */
function keyLine(file: string, key: string): { file: string; line: number } {
  const y = YamlFile.read(file);
  const has = y.ok && Object.hasOwn((y.data() ?? {}) as object, key);
  return { file: shown(file), line: has ? y.position([], key).line : 1 };
}

// Which expect.yaml key a fixture's first difference is about: the line CI points at.
const EXPECT_KEYS: [RegExp, string][] = [
  [/^(run \d+: )?score /, 'score'],
  [/^(run \d+: )?result /, 'result'],
  [/which it must (fail|pass)/, 'fails'],
  [/feedback contains/, 'feedback_contains'],
  [/^(flaky|varies)/, 'may_fail'],
];

function fixtureLocation(f: InspectedFixture, outcome: CheckOutcome): { file: string; line: number } {
  if (!f.expect) return f.location;
  const first = outcome.details[0] ?? '';
  const key = EXPECT_KEYS.find(([re]) => re.test(first))?.[1];
  return key ? keyLine(f.fixture.expectFile, key) : f.location;
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

function taskSuite(t: TaskUnderCheck, graded: Graded[], fixturesDir: string, someFixtures: boolean): SuiteOutcome {
  const { loaded, fixtures } = t;
  const checks: CheckOutcome[] = [loaded.check];
  const task = loaded.task;
  const mine = graded.filter((g) => g.grading.task.id === loaded.id && g.grading.task.dir === loaded.dir);
  const runsOf = (name: string, kind: Grading['kind']) => mine.filter((g) => g.grading.fixture === name && g.grading.kind === kind);
  const knownTests = task?.tests.map((x) => x.id) ?? [];

  const outcomes = new Map<string, CheckOutcome>();
  for (const f of fixtures) {
    const label = `fixture ${f.fixture.name}`;
    let outcome: CheckOutcome;
    if (!f.expect) outcome = check(label, 'fail', 'malformed, not graded', f.problems);
    else if (!task) outcome = check(label, 'skip', 'not graded: the task is not well formed');
    else outcome = fixtureOutcomeCheck(f.fixture.name, f.expect, runsOf(f.fixture.name, 'normal'), knownTests);
    outcome = at(outcome, fixtureLocation(f, outcome));
    outcomes.set(f.fixture.name, outcome);
    checks.push(outcome);
  }

  if (task) checks.push(controlsCheck(task));
  if (!task) {
    checks.push(check('coverage', 'skip', 'not checked: the task is not well formed'));
    return { name: loaded.id, checks };
  }
  const gradedFixtures = fixtures.flatMap((f) =>
    f.expect ? [{ name: f.fixture.name, expect: f.expect, reports: runsOf(f.fixture.name, 'normal').flatMap((g) => (g.report ? [g.report] : [])) }] : [],
  );
  // Coverage is about all the fixtures together: with some left out it would blame the wrong tests.
  if (someFixtures) checks.push(check('coverage', 'skip', 'not checked: --fixture grades only some fixtures'));
  else checks.push(coverageCheck(task, shown(fixturesDir), fixtures.length, gradedFixtures));
  const limitsLine = keyLine(path.join(task.dir, 'task.yaml'), 'limits');

  for (const f of fixtures) {
    if (!f.expect || !isCorrectFixture(f.expect)) continue;
    const label = `margins ${f.fixture.name}`;
    const status = outcomes.get(f.fixture.name)?.status;
    if (status !== 'ok' && status !== 'warn') {
      checks.push(check(label, 'skip', 'not measured: the fixture does not get its declared outcome'));
      continue;
    }
    const normal = runsOf(f.fixture.name, 'normal').map((g) => g.report!);
    const halved = runsOf(f.fixture.name, 'halved')[0]!;
    checks.push(at(marginCheck(task, f.fixture.name, normal, halved), limitsLine));
  }
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

export async function cmdCheck(args: string[]): Promise<number> {
  const { values, positionals } = parse(args);
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
  const progress = (line: string) => process.stderr.write(`check: ${line}\n`);
  const tasks: TaskUnderCheck[] = [];
  for (const dir of dirs) {
    const loaded = await checkTaskFolder(dir);
    const fixtures = inspectFixtures(fixturesDir, loaded.id, loaded.task ? loaded.task.tests.map((t) => t.id) : null).filter((f) => !only || only.has(f.fixture.name));
    tasks.push({ loaded, fixtures, halved: loaded.task ? halveLimits(loaded.task) : null });
  }
  const missing = [...(only ?? [])].filter((name) => !tasks.some((t) => t.fixtures.some((f) => f.fixture.name === name)));
  if (missing.length) {
    const known = [...new Set(dirs.flatMap((d) => listFixtures(fixturesDir, path.basename(d)).map((f) => f.name)))].sort();
    throw new UsageError(`--fixture ${missing.join(', ')}: no such fixture in ${shown(fixturesDir)} for the task(s) checked; fixtures: ${known.join(', ') || '(none)'}`);
  }
  const gradings = plannedGradings(tasks, repeat);
  const fixtureCount = tasks.reduce((n, t) => n + t.fixtures.length, 0);
  progress(`${tasks.length} task(s), ${fixtureCount} fixture(s): ${gradings.length} gradings, ${jobs} at a time`);
  const graded = await gradeAll(gradings, jobs, progress);

  let suites = tasks.map((t) => taskSuite(t, graded, path.join(fixturesDir, t.loaded.id), only !== null));
  if (!positionals.length) suites.push(...strayFolderSuites(tasksRoot, fixturesDir));
  if (values.strict) suites = suites.map(strictly);
  const run: CheckRun = { suites, durationMs: performance.now() - started };

  if (out !== undefined) {
    writeFileSync(out, format === 'junit' ? formatCheckJunit(run) : formatCheckText(run));
    process.stdout.write(formatCheckText(run, useColour()));
  } else {
    process.stdout.write(format === 'junit' ? formatCheckJunit(run) : formatCheckText(run, useColour()));
  }
  return failed(run).length ? 1 : 0;
}
