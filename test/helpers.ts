// Shared by the tests: grade real submissions with the real sandbox, run the
// sockgrade command as users do, and make the folders (tasks, fixtures,
// submissions) a test needs. Each helper lives here once.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { afterAll, expect } from 'vitest';
import { gradeSubmission } from '../grader/grade.js';
import { canRead } from '../runner/sandbox/native-cache.js';
import type { Report } from '../grader/report/model.js';
import type { Task } from '../grader/model/task.js';
import { loadTask } from '../grader/task/load.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const TASKS = path.join(ROOT, 'tasks');
export const FIXTURES = path.join(ROOT, 'fixtures');
/** The sockgrade command, as users run it. */
export const BIN = path.join(ROOT, 'bin', 'sockgrade.js');

/**
 * Tests that run sockgrade as another user (65534, INGInious's 4242) need a
 * checkout that user can read; a clone in a private (0700) folder is not one
 * (.ci/run then runs the suite from a readable clone; .ci/fresh-install.sh
 * grades from a 0700 folder as root on purpose).
 */
export function checkoutReadableBy(uid: number): boolean {
  return process.getuid?.() === 0 && canRead(BIN, uid);
}

// Each test file imports this module afresh, so the hook below belongs to the
// file being collected: its temporary folders go when its tests are done.
const made: string[] = [];
afterAll(() => made.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs the sockgrade command as a user would; a non-zero exit is a result, not an exception. */
export function runCli(args: string[], options: { env?: Record<string, string>; extendEnv?: boolean; cwd?: string } = {}) {
  return execa(process.execPath, [BIN, ...args], {
    reject: false,
    cwd: options.cwd ?? ROOT,
    ...(options.env ? { env: options.env } : {}),
    extendEnv: options.extendEnv ?? true,
  });
}

/** The sockgrade command with these variables added to the environment. */
export function sockgrade(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { env });
}

/** The sockgrade command with no due date from the environment (and no INGInious feedback commands on PATH). */
export function sockgradeNoDueDate(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { env: { SOCKGRADE_AFTER_DUE_DATE: '', ...env } });
}

/** `sockgrade check` in `root` (its tasks/ and fixtures/), without colours. */
export function checkCli(root: string, args: string[] = [], env: Record<string, string> = {}) {
  return runCli(['check', ...args], { cwd: root, env: { SOCKGRADE_TASKS: path.join(root, 'tasks'), NO_COLOR: '1', ...env } });
}

/** Bad input gets a one-line error: no line of a stack trace in `text`. */
export function noStackTrace(text: string): void {
  expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

/** A fresh temporary folder, removed after this test file's tests. */
export function tempDir(prefix = 'sockgrade-test-'): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

const tasks = new Map<string, Task>();
export function task(id: string): Task {
  let t = tasks.get(id);
  if (!t) {
    t = loadTask(path.join(TASKS, id));
    tasks.set(id, t);
  }
  return t;
}

export function fixture(taskId: string, name: string): string {
  return path.join(FIXTURES, taskId, name, 'submission');
}

/** A copy of a fixture's submission folder at `to`. */
export function copyFixture(name: string, to: string, taskId = 'calculator-server'): void {
  cpSync(fixture(taskId, name), to, { recursive: true });
}

/** Writes these files (name -> text) under `dir`, making their folders; `mode` for each. */
export function writeFiles(dir: string, files: Record<string, string>, mode: (name: string) => number = () => 0o644): string {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text, { mode: mode(name) });
  }
  return dir;
}

/** A copy of the task folder `id` (in a temporary folder, under the same name), with some files replaced. */
export function taskCopy(id: string, files: Record<string, string> = {}): string {
  const dir = path.join(tempDir('sockgrade-task-'), id);
  cpSync(path.join(TASKS, id), dir, { recursive: true });
  return writeFiles(dir, files);
}

/**
 * `root`/tasks/<id>: calculator-server with only the tests named; each kept
 * test (`test`) and task.yaml (`taskYaml`) optionally edited, `header` put
 * above the tests in tests.yaml.
 */
export function addTask(
  root: string,
  id: string,
  tests: string[],
  edit: { taskYaml?: (yaml: string) => string; test?: (t: Record<string, unknown>) => void; header?: string } = {},
): string {
  const dir = path.join(root, 'tasks', id);
  cpSync(path.join(TASKS, 'calculator-server'), dir, { recursive: true });
  const all = parse(readFileSync(path.join(dir, 'tests.yaml'), 'utf8')) as { tests: Record<string, unknown>[] };
  const kept = all.tests.filter((t) => tests.includes(t.id as string));
  if (edit.test) kept.forEach(edit.test);
  writeFileSync(path.join(dir, 'tests.yaml'), `${edit.header ?? ''}${stringify({ tests: kept })}`);
  if (edit.taskYaml) writeFileSync(path.join(dir, 'task.yaml'), edit.taskYaml(readFileSync(path.join(dir, 'task.yaml'), 'utf8')));
  return dir;
}

/** `fixturesRoot`/<task>/<name>: a calculator-server fixture's submission with this expect.yaml; its server script optionally edited. */
export function addFixture(fixturesRoot: string, task: string, name: string, from: string, expectYaml: string, patchServer?: (src: string) => string): void {
  const dir = path.join(fixturesRoot, task, name);
  copyFixture(from, path.join(dir, 'submission'));
  writeFileSync(path.join(dir, 'expect.yaml'), expectYaml);
  if (patchServer) {
    const server = path.join(dir, 'submission', 'server');
    writeFileSync(server, patchServer(readFileSync(server, 'utf8')), { mode: 0o755 });
  }
}

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') field += text[++i];
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

export function grade(taskId: string, submission: string, testIds?: string[]): Promise<Report> {
  return gradeSubmission(task(taskId), submission, { seed: 1, sandbox: 'bwrap', ...(testIds ? { testIds } : {}) });
}

/** One line per failing test, for assertion messages. */
export function summary(r: Report): string {
  return `${r.result} ${r.score}\n${r.tests.filter((t) => !t.passed).map((t) => `  ${t.id} [${t.result}] ${t.feedback}`).join('\n')}\n${r.build.ok ? '' : r.build.output}`;
}

const GRADESCOPE_SCHEMA = JSON.parse(readFileSync(path.join(ROOT, 'docker', 'gradescope', 'results.schema.json'), 'utf8'));

/** Checks a results.json against the schema written from Gradescope's spec: '' when valid, else why not. */
export function validateGradescope(results: unknown): string {
  const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(GRADESCOPE_SCHEMA);
  return validate(results) ? '' : new Ajv().errorsText(validate.errors);
}
