// The log level SOCKGRADE_LOG asks for, read without loading the logger: the
// CLI checks it before every command, and `--help` should not pay for pino.
// A level pino does not know is not thrown, at import, as a stack trace:
// the CLI reports it as a usage error (logLevelProblem).

const LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'];
const asked = process.env.SOCKGRADE_LOG;

/** Why SOCKGRADE_LOG is unusable, or null. */
export const logLevelProblem: string | null =
  asked !== undefined && asked !== '' && !LEVELS.includes(asked)
    ? `SOCKGRADE_LOG takes ${LEVELS.join(', ')}, not '${asked}'`
    : null;

/** The level the logger runs at: the one asked for, else warn. */
export const logLevel: string = asked && !logLevelProblem ? asked : 'warn';

/** Whether lines of `level` are shown at the level the logger runs at. */
export function shows(level: string): boolean {
  return LEVELS.indexOf(level) <= LEVELS.indexOf(logLevel);
}

/** Internal errors show their stack only when asked for (SOCKGRADE_LOG=debug or trace). */
export function wantsStacks(): boolean {
  return shows('debug');
}
