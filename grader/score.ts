// Where a score is computed: the weighted share of passed tests, and the one
// overall result a submission gets.
import type { TestResult } from './verdict/primitives.js';

export interface Scored {
  weight: number;
  result: TestResult;
}

/** 0..100, weighted by test weights, rounded to two decimals. */
export function computeScore(tests: Scored[]): number {
  const total = tests.reduce((sum, t) => sum + t.weight, 0);
  if (total === 0) return 0;
  const passed = tests.filter((t) => t.result === 'success').reduce((sum, t) => sum + t.weight, 0);
  return Math.round((passed / total) * 10000) / 100;
}

// The most telling failure names the whole submission: a memory blow-up
// explains the wrong answers around it, not the other way round.
const SEVERITY: TestResult[] = ['overflow', 'killed', 'timeout', 'crash', 'failed'];

export function overallResult(tests: Scored[], buildOk: boolean): TestResult {
  if (!buildOk) return 'failed';
  if (tests.some((t) => t.result === 'error')) return 'error';
  for (const r of SEVERITY) if (tests.some((t) => t.result === r)) return r;
  return tests.length ? 'success' : 'error';
}
