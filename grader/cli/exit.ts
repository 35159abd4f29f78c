// Exit statuses, and the one place an error becomes one: every failure the
// user can fix ends in one line naming what and how, never a stack trace; a
// fault of sockgrade is one line asking for a report (README.md lists them).
import { SandboxUnavailableError, SubmissionError } from '../../runner/errors.js';
import { BatchInputError } from '../errors.js';
import { wantsStacks } from '../log-level.js';
import { visibleLine, visibleText } from '../report/neutralise.js';

/** A command line that cannot be run as given. Exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Asked for with --help / -h: main prints it and exits 0. */
export class HelpRequest {
  constructor(readonly text: string) {}
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

/**
 * What a command's error prints, and its exit status. Messages may quote a
 * student's bytes (a file name, an archive entry): shown, never obeyed by the terminal.
 */
export async function exitFor(err: unknown): Promise<number> {
  if (err instanceof HelpRequest) {
    process.stdout.write(err.text);
    return EXIT.ok;
  }
  if (err instanceof UsageError || err instanceof SubmissionError || err instanceof BatchInputError) {
    process.stderr.write(`sockgrade: ${visibleText(err.message)}\n`);
    return EXIT.usage;
  }
  // Loaded here, not at start: the task loader (yaml, zod) is for the commands that read tasks.
  const { TaskError } = await import('../task/yaml-file.js');
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

/**
 * Faults outside main's own await (an event handler, a stream) end the same
 * way as inside it; a reader that closed our stdout (`| head`) is no fault.
 */
export function guardProcess(): void {
  const fatal = (err: unknown) => void internalError(err).then((status) => process.exit(status));
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  process.stdout.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? process.exit(EXIT.ok) : fatal(err)));
}

/** A fault of sockgrade: one line, and the stack only when asked for. */
async function internalError(err: unknown): Promise<number> {
  const message = visibleLine((err instanceof Error ? err.message : String(err)).split('\n')[0]!);
  if (wantsStacks()) {
    const { log } = await import('../log.js');
    log.error({ err }, 'internal error');
  }
  process.stderr.write(
    `sockgrade: internal error: ${message}; please report it with the command line` +
      `${wantsStacks() ? '' : ' (SOCKGRADE_LOG=debug shows the stack)'}\n`,
  );
  return EXIT.internal;
}
