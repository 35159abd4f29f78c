// The command line (shared/spec/contract.md). Every failure the user can fix
// ends in one line naming what and how, never a stack trace:
// exit 2 for a bad command line, task or submission, exit 3 for a machine
// that cannot grade.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SandboxUnavailableError, SubmissionError } from '../runner/errors.js';
import { deliverFeedback } from '../runner/platforms/inginious.js';
import { packageRoot } from '../runner/paths.js';
import type { SandboxKind } from '../runner/types.js';
import { chooseSandbox, parseSandboxChoice, SANDBOX_KINDS } from '../runner/sandbox/choose.js';
import { gradeSubmission } from './grade.js';
import { log } from './log.js';
import { FORMATS, PLATFORM_ENFORCES_DUE_DATE } from './report/formats.js';
import { DUE_DATE, inginiousCalls } from './report/inginious.js';
import type { Report } from './report/model.js';
import { useColour } from './report/text.js';
import { dueDatePassed, viewReport, type ViewOptions } from './report/visibility.js';
import { listTaskIds, loadTask, resolveTaskDir, type Task } from './task/load.js';
import { TaskError } from './task/yaml-file.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const USAGE = `usage:
  sockgrade grade TASK SUBMISSION [--format text|json|junit|gradescope|inginious] [--out FILE] [--seed N] [--sandbox auto|bwrap|inginious|user|none] [--show-all] [--after-due-date] [--due-date 'YYYY-MM-DD hh:mm:ss']
  sockgrade check [TASK...] [--format text|junit] [--out FILE] [--repeat N] [--jobs N] [--fixtures DIR]
  sockgrade batch TASK SUBMISSIONS_DIR [--out DIR] [--jobs N] [--regrade] [--seed N] [--show-all]
  sockgrade tasks
  sockgrade demo

TASK is a task id (a folder under tasks/) or a path to a task folder.
SUBMISSION is a file (C source, executable), a folder, or an archive.`;

export function tasksDir(): string {
  return process.env.SOCKGRADE_TASKS ? path.resolve(process.env.SOCKGRADE_TASKS) : path.join(packageRoot, 'tasks');
}

export function openTask(name: string): Task {
  const dir = resolveTaskDir(name, tasksDir());
  if (!dir) {
    const known = listTaskIds(tasksDir());
    throw new UsageError(`unknown task '${name}': not a folder with a task.yaml; known tasks: ${known.join(', ') || '(none)'}`);
  }
  return loadTask(dir);
}

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export function parse(
  args: string[],
  options: ParseArgsConfig['options'],
  positionals: number | [number, number],
): { values: Values; positionals: string[] } {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]}\n${USAGE}`);
  }
  const [min, max] = typeof positionals === 'number' ? [positionals, positionals] : positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    throw new UsageError(`wrong number of arguments\n${USAGE}`);
  }
  return parsed;
}

function sandboxOption(value: unknown): SandboxKind {
  const v = (value as string | undefined) ?? process.env.SOCKGRADE_SANDBOX ?? 'auto';
  const kinds = parseSandboxChoice(v);
  if (!kinds) throw new UsageError(`--sandbox takes auto, or one or more of ${SANDBOX_KINDS.join(', ')} separated by commas, not '${v}'`);
  const kind = chooseSandbox(kinds);
  if (kind === 'none') {
    process.stderr.write('sockgrade: WARNING: --sandbox none runs the submission unconfined, on this machine\'s own network; use it only to debug trusted code\n');
  }
  return kind;
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

function formatOption(value: unknown): string {
  const f = (value as string | undefined) ?? 'text';
  if (!FORMATS[f]) throw new UsageError(`unknown format '${f}'; available: ${Object.keys(FORMATS).join(', ')}`);
  return f;
}

function emit(text: string, out: unknown): void {
  if (typeof out === 'string') {
    mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    writeFileSync(out, text);
  } else process.stdout.write(text);
}

function render(report: Report, format: string, showAll: boolean, toTerminal: boolean, afterDueDate = false, dueDate?: string): string {
  return FORMATS[format]!(viewReport(report, { showAll, afterDueDate }), { colour: toTerminal && useColour(), ...(dueDate ? { dueDate } : {}) });
}

async function cmdGrade(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      format: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      sandbox: { type: 'string' },
      'show-all': { type: 'boolean' },
      'after-due-date': { type: 'boolean' },
      'due-date': { type: 'string' },
      test: { type: 'string', multiple: true },
    },
    2,
  );
  const format = formatOption(values.format);
  const seed = seedOption(values.seed);
  const sandbox = sandboxOption(values.sandbox);
  const task = openTask(positionals[0]!);
  const testIds = values.test as string[] | undefined;
  for (const id of testIds ?? []) {
    if (!task.tests.some((t) => t.id === id)) throw new UsageError(`task ${task.id} has no test '${id}'`);
  }
  // INGInious reveals after_due_date tests itself from this date (its hidden-until directive).
  const dueDate = (values['due-date'] as string | undefined) ?? process.env.SOCKGRADE_DUE_DATE;
  if (dueDate !== undefined && !DUE_DATE.test(dueDate)) throw new UsageError(`--due-date takes 'YYYY-MM-DD hh:mm:ss', not '${dueDate}'`);
  const report = await gradeSubmission(task, positionals[1]!, { seed, sandbox, ...(testIds ? { testIds } : {}) });
  const view: ViewOptions = {
    showAll: Boolean(values['show-all']),
    afterDueDate: dueDatePassed(Boolean(values['after-due-date'])) || PLATFORM_ENFORCES_DUE_DATE.has(format) || (format === 'inginious' && dueDate !== undefined),
  };
  const text = render(report, format, view.showAll!, values.out === undefined, view.afterDueDate, dueDate);
  if (format === 'inginious') {
    // Inside INGInious the feedback commands take the report; elsewhere the calls are printed.
    const delivery = await deliverFeedback(inginiousCalls(viewReport(report, view), dueDate ? { dueDate } : {}));
    if (delivery.status === 'failed') {
      process.stderr.write(`sockgrade: ${delivery.message}\n`);
      return 3;
    }
    if (delivery.status === 'delivered' && values.out === undefined) return 0;
  }
  emit(text, values.out);
  return 0;
}

function cmdTasks(args: string[]): number {
  parse(args, {}, 0);
  const dir = tasksDir();
  for (const id of listTaskIds(dir)) {
    try {
      const t = loadTask(path.join(dir, id));
      process.stdout.write(`${id.padEnd(36)} ${t.role.padEnd(7)} ${String(t.tests.length).padStart(3)} tests  ${t.title}\n`);
    } catch (err) {
      process.stdout.write(`${id.padEnd(36)} INVALID (run: sockgrade check ${id})\n`);
      log.debug({ err }, 'task failed to load');
    }
  }
  return 0;
}

/** Grades a correct and a broken bundled submission, to show what sockgrade does. */
async function cmdDemo(args: string[]): Promise<number> {
  parse(args, {}, 0);
  const task = openTask('calculator-server');
  for (const name of ['correct-c-makefile', 'host-byte-order']) {
    const submission = path.relative(process.cwd(), path.join(packageRoot, 'fixtures', 'calculator-server', name, 'submission'));
    const report = await gradeSubmission(task, submission, { seed: 1, sandbox: sandboxOption(undefined) });
    process.stdout.write(render(report, 'text', false, true) + '\n');
  }
  return 0;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number> | number> = {
  grade: cmdGrade,
  tasks: cmdTasks,
  demo: cmdDemo,
};

export function registerCommand(name: string, run: (args: string[]) => Promise<number> | number): void {
  COMMANDS[name] = run;
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  try {
    if (!run) throw new UsageError(`unknown command '${command}'\n${USAGE}`);
    return await run(rest);
  } catch (err) {
    if (err instanceof UsageError || err instanceof SubmissionError) {
      process.stderr.write(`sockgrade: ${err.message}\n`);
      return 2;
    }
    if (err instanceof TaskError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    if (err instanceof SandboxUnavailableError) {
      process.stderr.write(`sockgrade: ${err.message}\n`);
      return 3;
    }
    log.error({ err }, 'internal error');
    process.stderr.write(`sockgrade: internal error: ${(err as Error).message ?? err} (set SOCKGRADE_LOG=debug for details)\n`);
    return 1;
  }
}
