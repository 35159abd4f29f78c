// Which tests get a trace file, and writing it: TRACE_DIR/<test id>.pcapng
// for each test whose inputs the audience may see (a visible test, or every
// test in the staff view, as for `details` in visibility.ts): a trace shows
// every byte sent, so a hidden test's trace would give its inputs away.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestObservation } from '../../runner/types.js';
import { log } from '../log.js';
import type { TestReport } from '../report/model.js';
import { visibilityLevel, type ViewOptions } from '../report/visibility.js';
import { pcapng } from './pcapng.js';

export interface TraceOptions {
  /** The folder the test's files go in (created when the first is written). */
  dir: string;
  /** The audience of the report: decides which tests may have a trace. */
  view: ViewOptions;
}

/**
 * Writes the test's capture; returns its path (as `dir` was given), or null
 * when the test gets none (not visible to this audience, nothing exchanged,
 * or the file could not be written: the grade does not depend on it).
 */
export function writeTrace(opts: TraceOptions, taskId: string, test: TestReport, observed: TestObservation): string | null {
  if (visibilityLevel(test, opts.view) !== 'visible') return null;
  const packets = observed.traffic ?? [];
  if (!packets.length || observed.startedAt === undefined) return null;
  const file = path.join(opts.dir, `${test.id}.pcapng`);
  try {
    mkdirSync(opts.dir, { recursive: true });
    writeFileSync(file, pcapng({ startedAt: observed.startedAt, packets, comment: `sockgrade: task ${taskId}, test ${test.id}: ${test.name}` }));
    return file;
  } catch (err) {
    log.error({ err, file }, 'cannot write a trace');
    return null;
  }
}
