// Structured logs on stderr (pino). Quiet by default: a student's terminal
// shows the report, not the grader's chatter; SOCKGRADE_LOG=debug says more
// (its level is read and checked in log-level.ts).
import { pino } from 'pino';
import { logLevel } from './log-level.js';

export const log = pino({ level: logLevel, base: undefined }, pino.destination(2));
