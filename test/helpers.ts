// Shared by the tests: grade real submissions with the real sandbox.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { execa } from 'execa';
import { afterAll } from 'vitest';
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
