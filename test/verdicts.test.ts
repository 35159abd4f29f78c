// The fast verdict lane: every verdict rule held against a real observation
// recorded from a fixture (test/verdicts/<case>/), in milliseconds, without a
// sandbox. Re-record with `npm run record-verdicts`; see test/verdicts/README.md.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decide, ROOT, type Verdict, type VerdictCase } from './verdicts/decide.js';
import { RULES, ruleOf } from './verdicts/rules.js';
import { taskById } from './verdicts/decide.js';

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
    const c = read<VerdictCase>(name, 'observation.json');
    const got = decide(c);
    expect(got).toEqual(read<Verdict>(name, 'expected.json'));
    // A case shows the rule it is named after (derived cases too), so the coverage table cannot lie.
    const task = taskById(c.task);
    const kind = task.function ? 'function' : task.role;
    expect(ruleOf(got, kind, task.protocol.name)?.name).toBe(name.replace(/^derived-/, ''));
  });
});
