// zod's issues in a task author's words: which test (by id) and step, the key,
// what is allowed and what was given ("test sum-int, step 1: expect.status
// must be ok or error, not okay"), never zod's bare "Invalid input".
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/** One problem: where (relative to the validated value) and what to say after its label. */
export interface IssueText {
  path: PropertyKey[];
  /** Said after the label: " must be ok or error, not okay" or ": a step has exactly one of ...". */
  text: string;
}

/** A value as the author wrote it, short: `okay`, `2`, `"two words"`, `[1, 2]`. */
export function shownValue(v: unknown): string {
  if (typeof v === 'string') return /^[\w.-]+$/.test(v) ? v : JSON.stringify(v);
  if (v === undefined) return 'nothing';
  if (v === null) return 'null (empty)';
  if (typeof v === 'object') {
    const json = JSON.stringify(v);
    return json.length > 40 ? (Array.isArray(v) ? 'a list' : 'a mapping') : json.replaceAll(',', ', ');
  }
  return String(v);
}

function typeOf(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v === 'string' ? 'the text' : typeof v === 'number' ? 'the number' : typeof v} ${shownValue(v)}`;
}

const TYPE_NAMES: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
  literal: 'a fixed value',
};

/** "a, b or c". */
function orList(values: readonly unknown[]): string {
  const shown = values.map(shownValue);
  return shown.length > 1 ? `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}` : (shown[0] ?? 'nothing');
}

function bound(issue: { origin: string; inclusive?: boolean }, limit: number | bigint, small: boolean): string {
  const n = Number(limit);
  if (issue.origin === 'array' || issue.origin === 'set') return small ? `needs at least ${n} item(s)` : `takes at most ${n} item(s)`;
  if (issue.origin === 'string') return small ? `needs at least ${n} character(s)` : `takes at most ${n} character(s)`;
  const op = small ? (issue.inclusive ? 'at least' : 'more than') : issue.inclusive ? 'at most' : 'less than';
  return `must be ${op} ${n}`;
}

/** The branch of a union the author most likely meant: one that got past the value's type, with the fewest issues. */
function likelyBranch(branches: Issue[][]): Issue[] | null {
  const inside = branches.filter((b) => b.some((i) => i.path.length > 0 || i.code === 'custom'));
  if (!inside.length) return null;
  return inside.reduce((a, b) => (b.length < a.length ? b : a));
}

/** What every branch of a union wanted, for a value none of them took: "silence or a mapping (key: value)". */
function unionWants(branches: Issue[][]): string {
  const wants = branches.map((b) => {
    const i = b[0];
    if (!i) return '';
    if (i.code === 'invalid_value') return orList(i.values);
    if (i.code === 'invalid_type') return TYPE_NAMES[i.expected] ?? i.expected;
    return i.message;
  });
  return [...new Set(wants.filter(Boolean))].join(' or ');
}

/** Every issue in the author's words (a union's issues become those of its likely branch). */
export function issueTexts(issue: Issue): IssueText[] {
  const input = (issue as { input?: unknown }).input;
  const not = `, not ${typeOf(input).replace(/^the (text|number) /, '')}`;
  switch (issue.code) {
    case 'invalid_union': {
      const branch = likelyBranch(issue.errors);
      if (branch) return branch.flatMap(issueTexts).map((t) => ({ ...t, path: [...issue.path, ...t.path] }));
      return [{ path: issue.path, text: ` must be ${unionWants(issue.errors)}, not ${typeOf(input)}` }];
    }
    case 'invalid_value':
      return [{ path: issue.path, text: ` must be ${orList(issue.values)}${input === undefined ? ' (it is missing)' : not}` }];
    case 'invalid_type': {
      const want = TYPE_NAMES[issue.expected] ?? issue.expected;
      if (input === undefined) return [{ path: issue.path, text: ` is missing (${want})` }];
      return [{ path: issue.path, text: ` must be ${want}, not ${typeOf(input)}` }];
    }
    case 'too_small':
      return [{ path: issue.path, text: ` ${bound(issue, issue.minimum, true)}${issue.origin === 'array' ? '' : not}` }];
    case 'too_big':
      return [{ path: issue.path, text: ` ${bound(issue, issue.maximum, false)}${issue.origin === 'array' ? `, not ${(input as unknown[]).length}` : not}` }];
    case 'invalid_format': {
      // A custom message (`regex(re, 'lower-case letters, digits and dashes')`) says what is allowed.
      const custom = !issue.message.startsWith('Invalid');
      return [{ path: issue.path, text: custom ? `: ${issue.message}, not ${shownValue(input)}` : ` must be a valid ${issue.format}, not ${shownValue(input)}` }];
    }
    case 'not_multiple_of':
      return [{ path: issue.path, text: ` must be a multiple of ${String(issue.divisor)}${not}` }];
    default:
      return [{ path: issue.path, text: `: ${issue.message}` }];
  }
}
