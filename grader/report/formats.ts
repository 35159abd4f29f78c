// Every output format, by name. Each renders the one Report structure.
import type { Report } from './model.js';
import { formatText } from './text.js';

export type Formatter = (report: Report, opts: { colour: boolean }) => string;

export const FORMATS: Record<string, Formatter> = {
  text: (r, o) => formatText(r, o.colour),
  json: (r) => JSON.stringify(r, null, 2) + '\n',
};
