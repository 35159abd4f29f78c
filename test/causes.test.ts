// Causes carried as data (grader/report/causes.ts): which ids a report groups
// tests by, and which of them let a failed control count. Pure: verdicts in,
// causes out; the same grouping on real grades is test/controls.test.ts.
import { describe, expect, it } from 'vitest';
import { CAUSE_MESSAGES, causesOf, exchangeCauses } from '../grader/report/causes.js';
import type { TestReport } from '../grader/report/model.js';
import { applyControls } from '../grader/verdict/controls.js';
import type { CauseId } from '../grader/protocols/protocol.js';
import { task } from './helpers.js';

function report(id: string, result: TestReport['result'], feedback = ''): TestReport {
  return { id, name: id, tags: [], weight: 1, passed: result === 'success', result, feedback, visibility: 'visible', duration_ms: 1 };
}

describe('one cause, named once', () => {
  it('groups the failed and crashed tests of one cause, from two tests on', () => {
    const tests = [report('a', 'failed'), report('b', 'crash'), report('c', 'failed'), report('d', 'timeout'), report('e', 'success')];
    const causeOf = new Map<string, CauseId>([['a', 'exited-before-binding'], ['b', 'exited-before-binding'], ['c', 'leak'], ['d', 'leak'], ['e', 'leak']]);
    // c alone is failed of a leak: d hit a limit, e passed.
    expect(causesOf(tests, causeOf)).toEqual([{ id: 'exited-before-binding', message: CAUSE_MESSAGES['exited-before-binding'].message, tests: ['a', 'b'] }]);
  });

  it('the text report points to a cause by its label, which opens its message', () => {
    for (const c of Object.values(CAUSE_MESSAGES)) expect(c.message.startsWith(`${c.label}: `), c.label).toBe(true);
  });
});

describe('which causes a failed control may carry', () => {
  it('only a mistake in the bytes of a completed exchange: not a server that never started, nor one that served only its first client', () => {
    const causeOf = new Map<string, CauseId>([['sum-int', 'byte-order'], ['sum-text', 'exited-before-binding'], ['one-int', 'first-client-only'], ['x', 'f-bit']]);
    expect([...exchangeCauses(causeOf).keys()]).toEqual(['sum-int']);

    const calc = task('calculator-server');
    const tests = calc.tests.map((t) => report(t.id, ['port-taken', 'bad-address'].includes(t.id) ? 'success' : 'failed'));
    const neverStarted = new Map<string, CauseId>(['sum-int', 'sum-text', 'one-int'].map((id) => [id, 'exited-before-binding']));
    expect(applyControls(calc, tests, exchangeCauses(neverStarted)).find((t) => t.id === 'port-taken')!.passed).toBe(false);
    const swapped = new Map<string, CauseId>([['sum-int', 'byte-order']]);
    expect(applyControls(calc, tests, exchangeCauses(swapped)).find((t) => t.id === 'port-taken')!.passed).toBe(true);
  });
});
