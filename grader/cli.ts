// The command line. Every failure the user can fix ends in one line naming
// what and how, never a stack trace (exit statuses: EXIT below, README.md).
import { accessSync, constants, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SandboxUnavailableError, SubmissionError } from '../runner/errors.js';
import { deliverFeedback } from '../runner/platforms/inginious.js';
import { packageRoot } from '../runner/paths.js';
import type { SandboxKind } from '../runner/types.js';
import { gradeSubmission } from './grade.js';
import { log, logLevelProblem, wantsStacks } from './log.js';
import { FORMATS, PLATFORM_ENFORCES_DUE_DATE } from './report/formats.js';
import { inginiousCalls } from './report/inginious.js';
import type { Report } from './report/model.js';
import { useColour } from './report/text.js';
import { dueDatePassed, viewReport, type ViewOptions } from './report/visibility.js';
import { listTaskIds, loadTask, resolveTaskDir, type Task } from './task/load.js';
import { TaskError } from './task/yaml-file.js';
import type { TraceOptions } from './trace/files.js';
import { watchAndGrade } from './watch.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit statuses, the same for every command. */
export const EXIT = {
  /** Done: graded (whatever the score), listed, every doctor check passed. */
  ok: 0,
  /** `check` only: a task or fixture check failed. */
  checkFailed: 1,
  /** Bad command line, environment (SOCKGRADE_LOG), task, submission or --out. */
  usage: 2,
  /** This machine cannot grade (safely): the message or the doctor's table says the fix. */
  machine: 3,
  /** A fault of sockgrade itself: one line asking for a report; the stack with SOCKGRADE_LOG=debug. */
  internal: 4,
} as const;

const USAGE = `usage:
  sockgrade grade TASK SUBMISSION [--format text|json|junit|gradescope|inginious] [--out FILE] [--seed N] [--test ID]... [--sandbox bwrap|none] [--show-all] [--after-due-date] [--trace DIR] [--watch]
  sockgrade check [TASK...] [--format text|junit] [--out FILE] [--repeat N] [--jobs N] [--fixtures DIR] [--fixture NAME]... [--strict]
  sockgrade batch TASK SUBMISSIONS_DIR [--out DIR] [--jobs N] [--regrade] [--seed N] [--show-all]
  sockgrade doctor [--format text|json]
  sockgrade tasks
  sockgrade demo

TASK is a task id (a folder under tasks/) or a path to a task folder.
SUBMISSION is a file (C source, executable), a folder, or an archive.`;

export function tasksDir(): string {
  return process.env.SOCKGRADE_TASKS ? path.resolve(process.env.SOCKGRADE_TASKS) : path.join(packageRoot, 'tasks');
}

/** The command being run, for the usage line of its errors. */
let currentCommand = '';

/** One line: the usage of the command being run, or where to find every command's. */
function usageLine(): string {
  const line = USAGE.split('\n').find((l) => l.startsWith(`  sockgrade ${currentCommand} `) || l === `  sockgrade ${currentCommand}`);
  return currentCommand && line ? `usage: ${line.trim()}` : 'see: sockgrade --help';
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
    // Node's first sentence ("Unknown option '--x'"), without its advice on '--'.
    const first = ((err as Error).message.split('\n')[0] ?? '').split(/\.( |$)/)[0] ?? '';
    throw new UsageError(`${first.charAt(0).toLowerCase()}${first.slice(1)}; ${usageLine()}`);
  }
  const [min, max] = typeof positionals === 'number' ? [positionals, positionals] : positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    throw new UsageError(`wrong number of arguments; ${usageLine()}`);
  }
  return parsed;
}

function sandboxOption(value: unknown): SandboxKind {
  const v = (value as string | undefined) ?? process.env.SOCKGRADE_SANDBOX ?? 'bwrap';
  if (v !== 'bwrap' && v !== 'none') throw new UsageError(`--sandbox takes bwrap or none, not '${v}'`);
  if (v === 'none') {
    process.stderr.write('sockgrade: WARNING: --sandbox none runs the submission unconfined, on this machine\'s own network; use it only to debug trusted code\n');
  }
  return v;
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

/** --trace DIR: the folder is made now, so that a folder that cannot be made is a usage error, not a lost trace. */
function traceOption(value: unknown, view: ViewOptions): TraceOptions | null {
  if (value === undefined) return null;
  const dir = value as string;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new UsageError(`--trace ${dir}: cannot make the folder (${(err as NodeJS.ErrnoException).code ?? err}); give a folder you can write to`);
  }
  return { dir, view };
}

function formatOption(value: unknown): string {
  const f = (value as string | undefined) ?? 'text';
  if (!FORMATS[f]) throw new UsageError(`unknown format '${f}'; available: ${Object.keys(FORMATS).join(', ')}`);
  return f;
}

function isDir(p: string): boolean {
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

function emit(text: string, out: string | undefined): void {
  if (out !== undefined) writeFileSync(out, text);
  else process.stdout.write(text);
}

function render(report: Report, format: string, showAll: boolean, toTerminal: boolean, afterDueDate = false): string {
  return FORMATS[format]!(viewReport(report, { showAll, afterDueDate }), { colour: toTerminal && useColour() });
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
      test: { type: 'string', multiple: true },
      trace: { type: 'string' },
      watch: { type: 'boolean' },
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
  const out = outFileOption(values.out);
  const view: ViewOptions = {
    showAll: Boolean(values['show-all']),
    afterDueDate: dueDatePassed(Boolean(values['after-due-date'])) || PLATFORM_ENFORCES_DUE_DATE.has(format),
  };
  const trace = traceOption(values.trace, view);
  const gradeOnce = () => gradeSubmission(task, positionals[1]!, { seed, sandbox, ...(testIds ? { testIds } : {}), ...(trace ? { trace } : {}) });
  if (values.watch) {
    if (format === 'inginious') throw new UsageError('--watch is for a person at a terminal: use it without --format inginious');
    const written = [out, trace?.dir].filter((p): p is string => p !== undefined);
    return watchAndGrade(positionals[1]!, async () => emit(render(await gradeOnce(), format, view.showAll!, out === undefined, view.afterDueDate), out), written);
  }
  const report = await gradeOnce();
  const text = render(report, format, view.showAll!, out === undefined, view.afterDueDate);
  if (format === 'inginious') {
    // Inside INGInious the feedback commands take the report; elsewhere the calls are printed.
    const delivery = await deliverFeedback(inginiousCalls(viewReport(report, view)));
    if (delivery.status === 'failed') {
      process.stderr.write(`sockgrade: ${delivery.message}\n`);
      return EXIT.machine;
    }
    if (delivery.status === 'delivered' && out === undefined) return EXIT.ok;
  }
  emit(text, out);
  return EXIT.ok;
}

function cmdTasks(args: string[]): number {
  parse(args, {}, 0);
  const dir = tasksDir();
  // An empty listing would hide the mistake.
  if (!isDir(dir)) throw new UsageError(`tasks folder not found: ${dir}; SOCKGRADE_TASKS must name the folder holding the task folders`);
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
  if (logLevelProblem) {
    process.stderr.write(`sockgrade: ${logLevelProblem}\n`);
    return EXIT.usage;
  }
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command ? EXIT.ok : EXIT.usage;
  }
  const run = COMMANDS[command];
  currentCommand = command;
  guardProcess();
  try {
    if (!run) throw new UsageError(`unknown command '${command}'; commands: ${Object.keys(COMMANDS).join(', ')} (sockgrade --help)`);
    return await run(rest);
  } catch (err) {
    if (err instanceof UsageError || err instanceof SubmissionError) {
      process.stderr.write(`sockgrade: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof TaskError) {
      process.stderr.write(`${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof SandboxUnavailableError) {
      process.stderr.write(`sockgrade: ${err.message}\n`);
      return EXIT.machine;
    }
    return internalError(err);
  }
}

/**
 * Faults outside main's own await (an event handler, a stream) end the same
 * way as inside it; a reader that closed our stdout (`| head`) is no fault.
 */
function guardProcess(): void {
  const fatal = (err: unknown) => process.exit(internalError(err));
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  process.stdout.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? process.exit(EXIT.ok) : fatal(err)));
}

/** A fault of sockgrade: one line, and the stack only when asked for. */
function internalError(err: unknown): number {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  if (wantsStacks()) log.error({ err }, 'internal error');
  process.stderr.write(
    `sockgrade: internal error: ${message}; please report it with the command line` +
      `${wantsStacks() ? '' : ' (SOCKGRADE_LOG=debug shows the stack)'}\n`,
  );
  return EXIT.internal;
}
