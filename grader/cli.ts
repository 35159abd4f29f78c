// The command line. Every failure the user can fix ends in one line naming
// what and how, never a stack trace (exit statuses: EXIT below, README.md).
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SandboxUnavailableError, SubmissionError } from '../runner/errors.js';
import { deliverFeedback } from '../runner/platforms/inginious.js';
import { packageRoot } from '../runner/paths.js';
import type { SandboxKind } from '../runner/types.js';
import { chooseSandbox, parseSandboxChoice, SANDBOX_KINDS } from '../runner/sandbox/choose.js';
import { gradeSubmission } from './grade.js';
import { log, logLevelProblem, wantsStacks } from './log.js';
import { FORMATS, PLATFORM_ENFORCES_DUE_DATE } from './report/formats.js';
import { DUE_DATE, inginiousCalls } from './report/inginious.js';
import type { Report } from './report/model.js';
import { visibleLine, visibleText } from './report/neutralise.js';
import { disableColour, useColour } from './report/text.js';
import { dueDatePassed, viewReport, type ViewOptions } from './report/visibility.js';
import type { Task } from './model/task.js';
import { listTaskIds, loadTask, resolveTaskDir } from './task/load.js';
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
  /** Stopped by Ctrl-C (128 + SIGINT, as shells report it): what was done is written out. */
  interrupted: 130,
} as const;

/** One option of a command: how it parses, and its line in `--help`. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** What the value is, in the synopsis and help: `FILE`, `N`, `text|json`. */
  value?: string;
  help: string;
}

/** A command's command line: its synopsis, options and help text, all from this one table. */
export interface CommandSpec {
  /** The positionals in the synopsis, e.g. `TASK SUBMISSION`, `[TASK...]`. */
  args: string;
  /** Their names in order, for "SUBMISSION is missing"; the last one repeats when max is Infinity. */
  positionals: string[];
  count: [number, number];
  summary: string;
  options: Record<string, OptionSpec>;
  /** Environment variables the command reads, with one line each. */
  env: string[];
  examples: string[];
}

const ENV_LOG = 'SOCKGRADE_LOG=LEVEL    log level on stderr: silent, fatal, error, warn, info, debug, trace';
const ENV_TASKS = 'SOCKGRADE_TASKS=DIR    the folder holding the task folders (default: tasks/ of sockgrade)';
const ENV_COLOUR = ['NO_COLOR=1  no colour (also TERM=dumb, --no-color)', 'FORCE_COLOR=1  colour even when not on a terminal'];

/**
 * Every command's options, one help line each. A new option is one line here
 * (and its handling in the command); `--help`, the synopsis in usage errors
 * and the list an unknown option is shown with all come from this table.
 */
export const COMMAND_SPECS: Record<string, CommandSpec> = {
  grade: {
    args: 'TASK SUBMISSION',
    positionals: ['TASK', 'SUBMISSION'],
    count: [2, 2],
    summary: 'grade one submission and print its report',
    options: {
      format: { type: 'string', value: 'text|json|junit|gradescope|inginious', help: 'report format (default text)' },
      out: { type: 'string', value: 'FILE', help: 'write the report to FILE rather than stdout (its folder is made if missing)' },
      seed: { type: 'string', value: 'N', help: 'seed of the random integers some tests draw (default 1: the same for every student)' },
      test: { type: 'string', multiple: true, value: 'ID', help: 'grade only test ID (repeatable)' },
      sandbox: { type: 'string', value: 'auto|bwrap|inginious|user|none', help: 'where student code runs; a list (bwrap,user) takes the first that works; none runs it unconfined, only to debug trusted code (default auto: bwrap, or INGInious\'s run_student where bwrap cannot run)' },
      'show-all': { type: 'boolean', help: 'show every test in full, inputs included (staff view)' },
      'after-due-date': { type: 'boolean', help: 'also show the tests whose visibility is after_due_date' },
      'due-date': { type: 'string', value: "'YYYY-MM-DD hh:mm:ss'", help: 'with --format inginious: INGInious reveals after_due_date tests from this date' },
      trace: { type: 'string', value: 'DIR', help: 'save the datagrams of each test the report may show as DIR/TEST.pcapng (Wireshark, tshark)' },
      watch: { type: 'boolean', help: 'grade again whenever the submission\'s files change (Ctrl-C ends)' },
    },
    env: [
      ENV_TASKS,
      'SOCKGRADE_SANDBOX=KIND  default of --sandbox',
      'SOCKGRADE_DUE_DATE=DATE  default of --due-date',
      'SOCKGRADE_AFTER_DUE_DATE=1  same as --after-due-date',
      ENV_LOG,
      ...ENV_COLOUR,
    ],
    examples: [
      'sockgrade grade calculator-server ./my-work',
      'sockgrade grade calculator-server server.c --test sum-int',
      'sockgrade grade calculator-server work.zip --format json --out report.json',
    ],
  },
  batch: {
    args: 'TASK SUBMISSIONS_DIR',
    positionals: ['TASK', 'SUBMISSIONS_DIR'],
    count: [2, 2],
    summary: 'grade every submission in a folder (one entry per student); a rerun grades only what changed',
    options: {
      out: { type: 'string', value: 'DIR', help: 'folder for grades.csv, summary.html and reports/ (default: SUBMISSIONS_DIR-grades)' },
      jobs: { type: 'string', value: 'N', help: 'students graded at once (default: the number of CPUs)' },
      regrade: { type: 'boolean', help: 'grade every student again, even those with a valid grade' },
      seed: { type: 'string', value: 'N', help: 'seed of the random integers some tests draw (default 1)' },
      'show-all': { type: 'boolean', help: 'reports show every test in full (staff view)' },
    },
    env: [ENV_TASKS, ENV_LOG, ...ENV_COLOUR],
    examples: [
      'sockgrade batch calculator-server ./submissions --out ./grades --jobs 2',
      'sockgrade batch calculator-server ./submissions --out ./grades   # after Ctrl-C: resumes',
    ],
  },
  check: {
    args: '[TASK...]',
    positionals: ['TASK'],
    count: [0, Number.POSITIVE_INFINITY],
    summary: 'CI for tasks: each is well formed and every fixture gets its declared outcome (exit 1 if not)',
    options: {
      format: { type: 'string', value: 'text|junit', help: 'output format (default text)' },
      out: { type: 'string', value: 'FILE', help: 'write the result to FILE rather than stdout' },
      repeat: { type: 'string', value: 'N', help: 'grade every fixture N times: a verdict must not change (default 1)' },
      jobs: { type: 'string', value: 'N', help: 'fixtures graded at once (default 2)' },
      fixtures: { type: 'string', value: 'DIR', help: 'the fixtures folder (default: fixtures/ beside the tasks folder)' },
      fixture: { type: 'string', multiple: true, value: 'NAME', help: 'check only fixture NAME (repeatable; coverage is then skipped)' },
      strict: { type: 'boolean', help: 'treat warnings (margins, coverage) as failures' },
    },
    env: [ENV_TASKS, 'SOCKGRADE_FIXTURES=DIR  default of --fixtures', ENV_LOG, ...ENV_COLOUR],
    examples: ['sockgrade check', 'sockgrade check calculator-server --repeat 3', 'sockgrade check --format junit --out reports/check.xml'],
  },
  doctor: {
    args: '',
    positionals: [],
    count: [0, 0],
    summary: 'try every isolation property in the real sandbox: can this machine grade safely? (exit 3 if not)',
    options: {
      format: { type: 'string', value: 'text|json', help: 'output format (default text)' },
    },
    env: [ENV_LOG, ...ENV_COLOUR],
    examples: ['sockgrade doctor', 'sockgrade doctor --format json'],
  },
  tasks: {
    args: '',
    positionals: [],
    count: [0, 0],
    summary: 'list the tasks that can be graded',
    options: {},
    env: [ENV_TASKS, ENV_LOG],
    examples: ['sockgrade tasks', 'SOCKGRADE_TASKS=./my-tasks sockgrade tasks'],
  },
  demo: {
    args: '',
    positionals: [],
    count: [0, 0],
    summary: 'grade a correct and a broken bundled server and print both reports',
    options: {},
    env: [ENV_LOG, ...ENV_COLOUR],
    examples: ['sockgrade demo'],
  },
};

/** Options every command takes. */
const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', help: 'show this help and exit' },
  'no-color': { type: 'boolean', help: 'no colour, even on a terminal' },
};

const VERSION: string = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

function optionSynopsis(name: string, o: OptionSpec): string {
  return `--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
}

/** `sockgrade grade TASK SUBMISSION [--format text|json|...] ...`: the command and every option. */
export function synopsis(command: string): string {
  const spec = COMMAND_SPECS[command]!;
  const opts = Object.entries(spec.options).map(([n, o]) => `[${optionSynopsis(n, o)}]${o.multiple ? '...' : ''}`);
  return ['sockgrade', command, spec.args, ...opts].filter(Boolean).join(' ');
}

/** `sockgrade COMMAND --help`: what it does, its synopsis, every option with one line, the environment, examples. */
export function commandHelp(command: string): string {
  const spec = COMMAND_SPECS[command]!;
  const options = { ...spec.options, ...COMMON_OPTIONS };
  const left = Object.entries(options).map(([n, o]) => `${o.short ? `-${o.short}, ` : '    '}${optionSynopsis(n, o)}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  const lines = [`usage: ${synopsis(command)}`, '', `${spec.summary}.`, '', 'options:'];
  Object.values(options).forEach((o, i) => lines.push(`  ${left[i]!.padEnd(width)}${o.help}`));
  if (spec.env.length) {
    // Each entry is 'NAME=VALUE  what it does': the second column aligned.
    const rows = spec.env.map((e) => /^(\S+)\s+(.*)$/.exec(e)!.slice(1) as [string, string]);
    const w = Math.max(...rows.map(([n]) => n.length)) + 2;
    lines.push('', 'environment:', ...rows.map(([n, h]) => `  ${n.padEnd(w)}${h}`));
  }
  if (spec.examples.length) lines.push('', 'examples:', ...spec.examples.map((e) => `  ${e}`));
  if (command === 'grade' || command === 'batch') {
    lines.push('', 'TASK is a task id (a folder under tasks/, see: sockgrade tasks) or the path of a task folder.');
  }
  if (command === 'grade') lines.push('SUBMISSION is a folder, a single file (C source or executable), or a .zip / .tar.gz.');
  const interrupted = command === 'batch' ? ', 130 stopped by Ctrl-C (rerun to resume)' : '';
  lines.push('', `exit status: 0 done, 1 check failed, 2 bad command line/task/submission, 3 machine cannot grade, 4 internal error${interrupted}`);
  return lines.join('\n') + '\n';
}

/** `sockgrade --help`: every command in one line. */
function mainHelp(): string {
  const names = Object.keys(COMMAND_SPECS).filter((c) => COMMANDS[c]);
  const width = Math.max(...names.map((n) => `${n} ${COMMAND_SPECS[n]!.args}`.length)) + 2;
  return [
    'usage: sockgrade COMMAND [ARGS] [OPTIONS]',
    '',
    'commands:',
    ...names.map((n) => `  ${`${n} ${COMMAND_SPECS[n]!.args}`.padEnd(width)}${COMMAND_SPECS[n]!.summary}`),
    '',
    'sockgrade COMMAND --help   that command\'s options, environment and examples',
    'sockgrade --version        the version',
    '',
    'TASK is a task id (a folder under tasks/) or a path to a task folder.',
    'SUBMISSION is a file (C source, executable), a folder, or an archive.',
  ].join('\n') + '\n';
}

export function tasksDir(): string {
  return process.env.SOCKGRADE_TASKS ? path.resolve(process.env.SOCKGRADE_TASKS) : path.join(packageRoot, 'tasks');
}

/** The command being run, for the usage line of its errors. */
let currentCommand = '';

/** One line: the usage of the command being run, or where to find every command's. */
function usageLine(): string {
  return COMMAND_SPECS[currentCommand] ? `usage: ${synopsis(currentCommand)}` : 'see: sockgrade --help';
}

/** Asked for with --help / -h: main prints it and exits 0. */
class HelpRequest {
  constructor(readonly text: string) {}
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

/**
 * The command line of the command being run, against its table in
 * COMMAND_SPECS. Errors are ours, not Node's: an unknown option is named with
 * the options the command does take; a missing argument by its name.
 */
export function parse(args: string[]): { values: Values; positionals: string[] } {
  const spec = COMMAND_SPECS[currentCommand];
  if (!spec) throw new Error(`no command line table for '${currentCommand}'`);
  const options = { ...spec.options, ...COMMON_OPTIONS };
  const config: ParseArgsConfig['options'] = {};
  for (const [name, o] of Object.entries(options)) {
    config[name] = { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) };
  }
  const known = () => Object.entries(spec.options).map(([n, o]) => optionSynopsis(n, o)).join(', ');
  const takes = () => (Object.keys(spec.options).length ? `${currentCommand} takes ${known()}` : `${currentCommand} takes no options`);
  // Not strict: every token is checked here, so that each mistake has its own message.
  const { values, positionals, tokens } = parseArgs({ args, options: config, allowPositionals: true, strict: false, tokens: true });
  if (values.help) throw new HelpRequest(commandHelp(currentCommand));
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const o = options[t.name];
    if (!o) throw new UsageError(`unknown option '${t.rawName}'; ${takes()} (sockgrade ${currentCommand} --help)`);
    if (o.type === 'string' && t.value === undefined) {
      throw new UsageError(`${t.rawName} needs a value (${optionSynopsis(t.name, o)}); ${usageLine()}`);
    }
    if (o.type === 'boolean' && t.inlineValue) throw new UsageError(`${t.rawName} takes no value; ${usageLine()}`);
  }
  if (values['no-color']) disableColour();
  const [min, max] = spec.count;
  if (positionals.length < min) {
    throw new UsageError(`${spec.positionals.slice(positionals.length, min).join(' and ')} ${min - positionals.length > 1 ? 'are' : 'is'} missing; ${usageLine()}`);
  }
  if (positionals.length > max) {
    const extra = positionals.slice(max).map((p) => `'${p}'`).join(' ');
    throw new UsageError(`${max === 0 ? `${currentCommand} takes no arguments` : `too many arguments`}: ${extra}; ${usageLine()}`);
  }
  return { values: values as Values, positionals };
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

function render(report: Report, format: string, showAll: boolean, toTerminal: boolean, afterDueDate = false, dueDate?: string): string {
  return FORMATS[format]!(viewReport(report, { showAll, afterDueDate }), { colour: toTerminal && useColour(), ...(dueDate ? { dueDate } : {}) });
}

async function cmdGrade(args: string[]): Promise<number> {
  const { values, positionals } = parse(args);
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
  const out = outFileOption(values.out);
  const view: ViewOptions = {
    showAll: Boolean(values['show-all']),
    afterDueDate: dueDatePassed(Boolean(values['after-due-date'])) || PLATFORM_ENFORCES_DUE_DATE.has(format) || (format === 'inginious' && dueDate !== undefined),
  };
  const trace = traceOption(values.trace, view);
  const gradeOnce = () => gradeSubmission(task, positionals[1]!, { seed, sandbox, ...(testIds ? { testIds } : {}), ...(trace ? { trace } : {}) });
  if (values.watch) {
    if (format === 'inginious') throw new UsageError('--watch is for a person at a terminal: use it without --format inginious');
    const written = [out, trace?.dir].filter((p): p is string => p !== undefined);
    return watchAndGrade(positionals[1]!, async () => emit(render(await gradeOnce(), format, view.showAll!, out === undefined, view.afterDueDate), out), written);
  }
  const report = await gradeOnce();
  const text = render(report, format, view.showAll!, out === undefined, view.afterDueDate, dueDate);
  if (format === 'inginious') {
    // Inside INGInious the feedback commands take the report; elsewhere the calls are printed.
    const delivery = await deliverFeedback(inginiousCalls(viewReport(report, view), dueDate ? { dueDate } : {}));
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
  parse(args);
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
  parse(args);
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
    // `sockgrade help grade` is `sockgrade grade --help`.
    const topic = command === 'help' ? rest[0] : undefined;
    process.stdout.write(topic && COMMAND_SPECS[topic] && COMMANDS[topic] ? commandHelp(topic) : mainHelp());
    return command ? EXIT.ok : EXIT.usage;
  }
  if (command === '--version' || command === '-V') {
    process.stdout.write(`sockgrade ${VERSION}\n`);
    return EXIT.ok;
  }
  const run = COMMANDS[command];
  currentCommand = command;
  guardProcess();
  try {
    if (!run && command.startsWith('-')) throw new UsageError(`unknown option '${command}'; before a command sockgrade takes --help or --version; commands: ${Object.keys(COMMANDS).join(', ')}`);
    if (!run) throw new UsageError(`unknown command '${command}'; commands: ${Object.keys(COMMANDS).join(', ')} (sockgrade --help)`);
    return await run(rest);
  } catch (err) {
    if (err instanceof HelpRequest) {
      process.stdout.write(err.text);
      return EXIT.ok;
    }
    // Messages may quote a student's bytes (a file name, an archive entry): shown, never obeyed by the terminal.
    if (err instanceof UsageError || err instanceof SubmissionError) {
      process.stderr.write(`sockgrade: ${visibleText(err.message)}\n`);
      return EXIT.usage;
    }
    if (err instanceof TaskError) {
      process.stderr.write(`${visibleText(err.message)}\n`);
      return EXIT.usage;
    }
    if (err instanceof SandboxUnavailableError) {
      process.stderr.write(`sockgrade: ${visibleText(err.message)}\n`);
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
  const message = visibleLine((err instanceof Error ? err.message : String(err)).split('\n')[0]!);
  if (wantsStacks()) log.error({ err }, 'internal error');
  process.stderr.write(
    `sockgrade: internal error: ${message}; please report it with the command line` +
      `${wantsStacks() ? '' : ' (SOCKGRADE_LOG=debug shows the stack)'}\n`,
  );
  return EXIT.internal;
}
