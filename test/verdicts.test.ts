// The fast verdict lane: every verdict rule held against a real observation
// recorded from a fixture (test/verdicts/<case>/), in milliseconds, without a
// sandbox. Re-record with `npm run record-verdicts`; see test/verdicts/README.md.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide, ROOT, type Verdict, type VerdictCase } from './verdicts/decide.js';
import { RULES } from './verdicts/rules.js';

const LANE = path.join(ROOT, 'test', 'verdicts');
const cases = readdirSync(LANE)
  .filter((n) => existsSync(path.join(LANE, n, 'observation.json')))
  .sort();

function read<T>(name: string, file: string): T {
  return JSON.parse(readFileSync(path.join(LANE, name, file), 'utf8')) as T;
}

describe('verdict lane', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it('names, for every rule, a grader file that exists (the README table points there)', () => {
    expect(RULES.flatMap((r) => r.file.split(', ').filter((f) => !existsSync(path.join(ROOT, f))).map((f) => `${r.name}: ${f}`))).toEqual([]);
  });

  // calculator-client/busy-wait, test no-answer: recorded once stopped at its CPU limit
  // (a quiet machine), once at the end of the wait for its exit (a loaded one).
  it('gives a busy program one verdict whichever stop came first (that depends on the load)', () => {
    const atCpuLimit = decide(read<VerdictCase>('limit-cpu', 'observation.json'));
    const atWaitEnd = decide(read<VerdictCase>('not-exited-busy', 'observation.json'));
    expect({ result: atWaitEnd.result, feedback: atWaitEnd.feedback }).toEqual({ result: atCpuLimit.result, feedback: atCpuLimit.feedback });
    expect(atCpuLimit.details).not.toEqual(atWaitEnd.details); // what was measured tells them apart
  });

  it.each(cases)('%s', (name) => {
    const got = decide(read<VerdictCase>(name, 'observation.json'));
    expect(got).toEqual(read<Verdict>(name, 'expected.json'));
  });
});
