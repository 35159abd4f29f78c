// Structured logs on stderr (pino). Quiet by default: a student's terminal
// shows the report, not the grader's chatter; SOCKGRADE_LOG=debug says more.
import { pino } from 'pino';

export const log = pino(
  { level: process.env.SOCKGRADE_LOG ?? 'warn', base: undefined },
  pino.destination(2),
);
