// `sockgrade grade TASK SUBMISSION`: grade one submission and print (or
// write, --out) its report in the format asked for; --watch grades again on
// every change; --format inginious hands the report to INGInious's feedback
// commands when they are there.
import { mkdirSync, writeFileSync } from 'node:fs';
import { deliverFeedback } from '../../runner/platforms/inginious.js';
import { chooseSandbox, parseSandboxChoice, SANDBOX_KINDS } from '../../runner/sandbox/choose.js';
import type { SandboxKind } from '../../runner/types.js';
import { gradeLanes, gradeSubmission } from '../grade.js';
import { FORMATS, PLATFORM_ENFORCES_DUE_DATE } from '../report/formats.js';
import { DUE_DATE, inginiousCalls } from '../report/inginious.js';
import type { Report } from '../report/model.js';
import { useColour } from '../report/text.js';
import { dueDatePassed, viewReport, type ViewOptions } from '../report/visibility.js';
import type { Task } from '../model/task.js';
import type { TraceOptions } from '../trace/files.js';
import { EXIT, UsageError } from './exit.js';
import type { ParsedArgs } from './options.js';
import { openTask, outFileOption, seedOption } from './values.js';

/** --sandbox, else SOCKGRADE_SANDBOX, else auto: the first kind that works on this machine. */
export function sandboxOption(value: unknown): SandboxKind {
  const v = (value as string | undefined) ?? process.env.SOCKGRADE_SANDBOX ?? 'auto';
  const kinds = parseSandboxChoice(v);
  if (!kinds) throw new UsageError(`--sandbox takes auto, or one or more of ${SANDBOX_KINDS.join(', ')} separated by commas, not '${v}'`);
  const kind = chooseSandbox(kinds);
  if (kind === 'none') {
    process.stderr.write('sockgrade: WARNING: --sandbox none runs the submission unconfined, on this machine\'s own network; use it only to debug trusted code\n');
  }
  return kind;
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

function emit(text: string, out: string | undefined): void {
  if (out !== undefined) writeFileSync(out, text);
  else process.stdout.write(text);
}

/** The report in `format`, as the view asks; coloured only on a terminal. */
export function render(report: Report, format: string, showAll: boolean, toTerminal: boolean, afterDueDate = false, dueDate?: string): string {
  return FORMATS[format]!(viewReport(report, { showAll, afterDueDate }), { colour: toTerminal && useColour(), ...(dueDate ? { dueDate } : {}) });
}

/** Everything `grade` was asked for, checked in the order its errors are reported. */
interface GradeRequest {
  task: Task;
  submission: string;
  format: string;
  seed: number;
  sandbox: SandboxKind;
  testIds: string[] | undefined;
  dueDate: string | undefined;
  out: string | undefined;
  view: ViewOptions;
  trace: TraceOptions | null;
}

async function gradeRequest({ values, positionals }: ParsedArgs): Promise<GradeRequest> {
  const format = formatOption(values.format);
  const seed = seedOption(values.seed);
  const sandbox = sandboxOption(values.sandbox);
  const task = await openTask(positionals[0]!);
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
  return { task, submission: positionals[1]!, format, seed, sandbox, testIds, dueDate, out, view, trace };
}

function gradeOnce(r: GradeRequest): Promise<Report> {
  return gradeSubmission(r.task, r.submission, { seed: r.seed, sandbox: r.sandbox, lanes: gradeLanes(), ...(r.testIds ? { testIds: r.testIds } : {}), ...(r.trace ? { trace: r.trace } : {}) });
}

/** --watch: grade again on every change of the submission's files, until Ctrl-C (its module loaded only then). */
async function watch(r: GradeRequest): Promise<number> {
  if (r.format === 'inginious') throw new UsageError('--watch is for a person at a terminal: use it without --format inginious');
  const written = [r.out, r.trace?.dir].filter((p): p is string => p !== undefined);
  const { watchAndGrade } = await import('../watch.js');
  return watchAndGrade(r.submission, async () => emit(render(await gradeOnce(r), r.format, r.view.showAll!, r.out === undefined, r.view.afterDueDate), r.out), written);
}

export async function run(args: ParsedArgs): Promise<number> {
  const r = await gradeRequest(args);
  if (args.values.watch) return watch(r);
  const { format, dueDate, out, view } = r;
  const report = await gradeOnce(r);
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
