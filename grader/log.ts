// Structured logs on stderr (pino). Quiet by default: a student's terminal
// shows the report, not the grader's chatter; SOCKGRADE_LOG=debug says more.
// A level pino does not know is not thrown here, at import, as a stack trace:
// the CLI reports it as a usage error (logLevelProblem).
import { pino } from 'pino';

const LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'];
const asked = process.env.SOCKGRADE_LOG;

/** Why SOCKGRADE_LOG is unusable, or null. */
export const logLevelProblem: string | null =
  asked !== undefined && asked !== '' && !LEVELS.includes(asked)
    ? `SOCKGRADE_LOG takes ${LEVELS.join(', ')}, not '${asked}'`
    : null;

export const log = pino(
  { level: asked && !logLevelProblem ? asked : 'warn', base: undefined },
  pino.destination(2),
);

/** Internal errors show their stack only when asked for (SOCKGRADE_LOG=debug or trace). */
export function wantsStacks(): boolean {
  return log.isLevelEnabled('debug');
}
