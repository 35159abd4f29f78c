// What `sockgrade check` found: one suite per task, one check per thing
// proved (well-formedness, each fixture, coverage, each correct fixture's
// margins). Every output format is made from this one structure.

/** fail: the task is not fit for students; warn: worth a look, never fails the run; skip: could not be checked. */
export type CheckStatus = 'ok' | 'fail' | 'warn' | 'skip';

export interface CheckOutcome {
  name: string;
  status: CheckStatus;
  /** One line: what holds, or what is wrong. */
  summary: string;
  /** The differences and problems, one per line (PATH:LINE:COL: message for file problems). */
  details: string[];
  durationMs: number;
  /** The file and line the check is about (JUnit file/line: CI annotates that line). */
  file?: string;
  line?: number;
  /** What it found, as data (details are their text): the first one is where the check points. */
  findings?: Finding[];
}

/** One thing a check found: what kind of thing, the file and line it is about, and the line that says it. */
export interface Finding {
  /** e.g. the expect.yaml key a fixture's outcome differs on (`score`, `fails`, ...), `flaky`, `grader-error`. */
  kind: string;
  file: string;
  line?: number;
  message: string;
}

export interface SuiteOutcome {
  /** A task id, or the folder that claims to be one. */
  name: string;
  checks: CheckOutcome[];
}

export interface CheckRun {
  suites: SuiteOutcome[];
  durationMs: number;
}

export function check(name: string, status: CheckStatus, summary: string, details: string[] = [], durationMs = 0): CheckOutcome {
  return { name, status, summary, details, durationMs };
}

/** The outcome, said to be about that line of that file. */
export function at(outcome: CheckOutcome, where: { file: string; line?: number } | null): CheckOutcome {
  return where ? { ...outcome, file: where.file, ...(where.line !== undefined ? { line: where.line } : {}) } : outcome;
}

export function failed(run: CheckRun): CheckOutcome[] {
  return run.suites.flatMap((s) => s.checks.filter((c) => c.status === 'fail'));
}
