// Every command of sockgrade, in one static table: its synopsis, one-line
// summary, options (one help line each) and environment, and a loader that
// imports the command's module only when that command runs, so that
// `sockgrade tasks` or `--help` does not load the grader, the sandbox or the
// batch machinery. `--help`, the synopsis in usage errors and the list an
// unknown option is shown with all come from this table (grader/cli/options.ts).
import type { JobAhead } from '../../runner/job/job-command.js';
import type { CommandSpec, ParsedArgs } from './options.js';

/** A command's module: it runs the command line that parsed against its table, and returns the exit status. */
export interface CommandModule {
  run(args: ParsedArgs): Promise<number> | number;
}

export interface Command extends CommandSpec {
  load: () => Promise<CommandModule>;
  /** Work to start before the command's module loads (grade: its jobs, taking one bin/sockgrade.js started `ahead`); returns what ends what was left unused. */
  early?: (args: ParsedArgs, ahead?: JobAhead) => Promise<() => Promise<void>>;
}

const ENV_TASK_CACHE = 'SOCKGRADE_TASK_CACHE=DIR  where loaded tasks are kept (default: tasks/ of the user cache; off: none)';
const ENV_LOG = 'SOCKGRADE_LOG=LEVEL    log level on stderr: silent, fatal, error, warn, info, debug, trace';
const ENV_TASKS = 'SOCKGRADE_TASKS=DIR    the folder holding the task folders (default: tasks/ of sockgrade)';
const ENV_SHARED = 'SOCKGRADE_SHARED_STARTS=0  every test on a server start of its own (default: one start serves the request/answer tests it answers exactly)';
const ENV_COLOUR = ['NO_COLOR=1  no colour (also TERM=dumb, --no-color)', 'FORCE_COLOR=1  colour even when not on a terminal'];

/**
 * Every command's options, one help line each. A new option is one line here
 * (and its handling in the command); `--help`, the synopsis in usage errors
 * and the list an unknown option is shown with all come from this table.
 */
export const COMMANDS: Record<string, Command> = {
  grade: {
    load: () => import('./grade.js'),
    early: async (args, ahead) => (await import('./early-jobs.js')).startGradeJobs(args, ahead),
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
      ENV_TASK_CACHE,
      'SOCKGRADE_SANDBOX=KIND  default of --sandbox',
      'SOCKGRADE_DUE_DATE=DATE  default of --due-date',
      'SOCKGRADE_AFTER_DUE_DATE=1  same as --after-due-date',
      'SOCKGRADE_LANES=1  run the tests that wait out a time-out after the others, not beside them',
      ENV_SHARED,
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
    load: () => import('./batch.js'),
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
    env: [ENV_TASKS, ENV_TASK_CACHE, ENV_SHARED, ENV_LOG, ...ENV_COLOUR],
    examples: [
      'sockgrade batch calculator-server ./submissions --out ./grades --jobs 2',
      'sockgrade batch calculator-server ./submissions --out ./grades   # after Ctrl-C: resumes',
    ],
  },
  check: {
    load: () => import('./check.js'),
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
    env: [ENV_TASKS, 'SOCKGRADE_FIXTURES=DIR  default of --fixtures', ENV_SHARED, ENV_LOG, ...ENV_COLOUR],
    examples: ['sockgrade check', 'sockgrade check calculator-server --repeat 3', 'sockgrade check --format junit --out reports/check.xml'],
  },
  doctor: {
    load: () => import('./doctor.js'),
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
    load: () => import('./tasks.js'),
    args: '',
    positionals: [],
    count: [0, 0],
    summary: 'list the tasks that can be graded',
    options: {},
    env: [ENV_TASKS, ENV_TASK_CACHE, ENV_LOG],
    examples: ['sockgrade tasks', 'SOCKGRADE_TASKS=./my-tasks sockgrade tasks'],
  },
  demo: {
    load: () => import('./demo.js'),
    args: '',
    positionals: [],
    count: [0, 0],
    summary: 'grade a correct and a broken bundled server and print both reports',
    options: {},
    env: [ENV_LOG, ...ENV_COLOUR],
    examples: ['sockgrade demo'],
  },
};

/** The order `unknown command` lists the commands in (the order sockgrade has always named them). */
export const NAMED_IN_ERRORS = ['grade', 'tasks', 'demo', 'check', 'batch', 'doctor'];
