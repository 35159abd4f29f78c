// Every output format, by name. Each renders the one Report structure.
import type { Report } from './model.js';
import { formatGradescope } from './gradescope.js';
import { formatInginious } from './inginious.js';
import { formatJunit } from './junit.js';
import { jsonSafe } from './neutralise.js';
import { formatText } from './text.js';

/** dueDate: INGInious hides after_due_date tests until then itself (its hidden-until directive). */
export type Formatter = (report: Report, opts: { colour: boolean; dueDate?: string }) => string;

export const FORMATS: Record<string, Formatter> = {
  text: (r, o) => formatText(r, o.colour),
  // The contract's data, unchanged; only written so that printing it to a terminal is safe.
  json: (r) => jsonSafe(JSON.stringify(r, null, 2)) + '\n',
  junit: (r) => formatJunit(r),
  gradescope: (r) => formatGradescope(r),
  // The calls to INGInious's feedback commands, as a script; the CLI makes them when they exist.
  inginious: (r, o) => formatInginious(r, o.dueDate ? { dueDate: o.dueDate } : {}),
};

/** Formats whose platform hides after_due_date tests itself until the due date (it knows the date). */
export const PLATFORM_ENFORCES_DUE_DATE: ReadonlySet<string> = new Set(['gradescope']);
