// What each audience may see of a test. Students get the mistake, never a
// hidden test's inputs; staff (--show-all) see everything.
import { visibleCauses } from './causes.js';
import type { Report, TestReport } from './model.js';

export interface ViewOptions {
  /** Staff view: every test in full. */
  showAll?: boolean;
  /** The due date has passed: after_due_date tests become visible. */
  afterDueDate?: boolean;
}

/** What this audience sees of the test: 'visible' (inputs too), 'feedback' or 'hidden'. */
export function visibilityLevel(t: TestReport, opts: ViewOptions): 'visible' | 'feedback' | 'hidden' {
  if (opts.showAll) return 'visible';
  return t.visibility === 'after_due_date' ? (opts.afterDueDate ? 'visible' : 'hidden') : t.visibility;
}

export function viewTest(t: TestReport, opts: ViewOptions): TestReport {
  if (opts.showAll) return t;
  const level = visibilityLevel(t, opts);
  if (level === 'visible') return t;
  const { details: _details, ...rest } = t;
  if (level === 'feedback') return rest;
  return { ...rest, feedback: '' }; // hidden: name and verdict only
}

export function viewReport(r: Report, opts: ViewOptions): Report {
  const tests = r.tests.map((t) => viewTest(t, opts));
  return { ...r, tests, causes: visibleCauses(r.causes ?? [], tests) };
}

/**
 * Whether the due date has passed. sockgrade cannot know a course's deadline:
 * whoever runs it says so, with --after-due-date or, from a platform's run
 * script, SOCKGRADE_AFTER_DUE_DATE=1.
 */
export function dueDatePassed(flag: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.SOCKGRADE_AFTER_DUE_DATE ?? '').trim().toLowerCase();
  return flag || (v !== '' && v !== '0' && v !== 'false' && v !== 'no');
}
