// Structured logs on stderr (pino). Quiet by default: a student's terminal
// shows the report, not the grader's chatter; SOCKGRADE_LOG=debug says more
// (its level is read and checked in log-level.ts). pino is loaded at the first
// line actually logged, not at import: a grade that logs nothing (the usual
// case, at the default level) does not pay for it.
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { logLevel, shows } from './log-level.js';

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

let logger: Logger | undefined;

function pinoLogger(): Logger {
  if (!logger) {
    // pino is CommonJS: required here, synchronously, the first time a line is logged.
    const { pino } = createRequire(import.meta.url)('pino') as typeof import('pino');
    logger = pino({ level: logLevel, base: undefined }, pino.destination(2));
  }
  return logger;
}

function at(level: Level): (fields: object, message: string) => void {
  const shown = shows(level);
  return (fields, message) => {
    if (shown) pinoLogger()[level](fields, message);
  };
}

export const log = { fatal: at('fatal'), error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), trace: at('trace') };
