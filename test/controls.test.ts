// Verdicts a TA can sign: a negative test earns nothing unless its control
// passed (a server that starts on no address scores 0), and a mistake that
// fails many tests is said once in the text report. Real grades, real
// sandbox; the task files read as a user writes them.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { controlsCheck } from '../grader/check/controls.js';
import { gradescopeResults } from '../grader/report/gradescope.js';
import { inginiousCalls } from '../grader/report/inginious.js';
import { formatJunit } from '../grader/report/junit.js';
import type { Report } from '../grader/report/model.js';
import { loadTask } from '../grader/task/load.js';
import { TASKS, fixture, grade, runCli, summary, task, tempDir } from './helpers.js';

const refuses = fixture('calculator-server', 'refuses-every-address');
const correct = fixture('calculator-server', 'correct-c-plain');
const byteOrder = fixture('calculator-server', 'host-byte-order');

/** A copy of a task whose tests file is edited by `edit`. */
function editedTask(id: string, edit: (yaml: string) => string): string {
  const dir = path.join(tempDir('sockgrade-controls-'), id);
  cpSync(path.join(TASKS, id), dir, { recursive: true });
  const file = path.join(dir, 'tests.yaml');
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return dir;
}

describe('no credit without a control', () => {
  it('a server that refuses every address scores 0: its error handling is not credited', async () => {
    const r = await grade('calculator-server', refuses);
    expect(r.score, summary(r)).toBe(0);
    for (const id of ['port-taken', 'bad-address']) {
      const t = r.tests.find((x) => x.id === id)!;
      expect(t.result).toBe('failed');
      expect(t.feedback).toBe('error handling is credited once your server answers a valid request: see tests sum-int, sum-text or one-int');
    }
  });

  it('a correct server keeps the credit of its negative tests', async () => {
    const r = await grade('calculator-server', correct, ['port-taken', 'bad-address', 'sum-int', 'sum-text', 'one-int']);
    expect(r.score, summary(r)).toBe(100);
  });

  it('--test runs the controls of the selected negative test and reports only the selection', async () => {
    const failed = JSON.parse((await runCli(['grade', 'calculator-server', refuses, '--test', 'port-taken', '--format', 'json'])).stdout) as Report;
    expect(failed.tests.map((t) => t.id)).toEqual(['port-taken']);
    expect(failed.tests[0]!.feedback).toContain('see tests sum-int, sum-text or one-int');
    expect(failed.score).toBe(0);
    const passed = JSON.parse((await runCli(['grade', 'calculator-server', correct, '--test', 'port-taken', '--format', 'json'])).stdout) as Report;
    expect(passed.tests.map((t) => [t.id, t.passed])).toEqual([['port-taken', true]]);
    expect(passed.score).toBe(100);
  });

  it('a control failed only of a diagnosed byte-order mistake still counts: the error handling is not charged twice', async () => {
    const r = await grade('calculator-client', fixture('calculator-client', 'host-byte-order'), ['cli-no-int']);
    expect(r.tests.map((t) => [t.id, t.result])).toEqual([['cli-no-int', 'success']]);
    const wrongF = await grade('calculator-client', fixture('calculator-client', 'wrong-f-bit'), ['cli-no-int']);
    expect(wrongF.tests[0]!.feedback).toBe('error handling is credited once your client completes a valid exchange: see tests sum-int or sum-text');
  });

  it('a control that is not a test of the task is a task error naming the file, the line and the known tests', () => {
    const dir = editedTask('calculator-server', (y) => y.replace('control: [sum-int, sum-text, one-int]', 'control: sum-it'));
    let message = '';
    try {
      loadTask(dir);
    } catch (err) {
      message = String(err);
    }
    expect(message).toMatch(/tests\.yaml:\d+:1: test 'port-taken': control 'sum-it' is not a test of this task; name a positive test \(known: sum-int, /);
    expect(message).not.toContain('port-taken,'); // negative tests are no controls: not offered
  });

  it('sockgrade check fails a negative test that names no control, and passes every shipped task', () => {
    const dir = editedTask('calculator-server', (y) => y.replace(/^\s*control: .*\n/gm, ''));
    const outcome = controlsCheck(loadTask(dir));
    expect(outcome.status).toBe('fail');
    expect(outcome.details.join('\n')).toMatch(/test port-taken is negative \(occupy: .*\) but names no control/);
    expect(outcome.details.join('\n')).toMatch(/test bad-address is negative \(after\.exit: .*\) but names no control/);
    for (const id of ['calculator-server', 'calculator-client', 'sockets-creating-a-socket', 'sockets-server-application']) {
      expect(controlsCheck(task(id)).status, id).toBe('ok');
    }
  });
});

describe('one cause, one message', () => {
  it('the text report says the byte-order mistake once, each test pointing to it; the JSON keeps every feedback', async () => {
    const [text, json] = await Promise.all([
      runCli(['grade', 'calculator-server', byteOrder, '--no-color']),
      runCli(['grade', 'calculator-server', byteOrder, '--format', 'json']),
    ]);
    const report = JSON.parse(json.stdout) as Report;
    const cause = report.causes!.find((c) => c.id === 'byte-order')!;
    const failing = report.tests.filter((t) => !t.passed).map((t) => t.id);
    expect(cause.tests).toEqual(failing);
    expect(cause.tests.length).toBeGreaterThanOrEqual(10);
    // JSON: each test still says byte order itself.
    for (const t of report.tests.filter((x) => !x.passed)) expect(t.feedback).toContain('byte order');

    const out = text.stdout;
    expect(out.split(cause.message).length - 1).toBe(1);
    expect(out.indexOf(cause.message)).toBeLessThan(out.indexOf('sum-int'));
    expect(out.split('byte order: see above').length - 1).toBe(cause.tests.length);
    // No test repeats the diagnosis in the text report.
    expect(out).not.toContain('arrived byte-swapped');
  });

  it('platforms that show tests one by one keep each full feedback and say the cause once at the top', async () => {
    const r = await grade('calculator-server', byteOrder);
    const cause = r.causes![0]!;
    const gs = gradescopeResults(r);
    expect(gs.output.split(cause.message).length - 1).toBe(1);
    for (const t of r.tests.filter((x) => !x.passed)) expect(gs.tests.find((g) => g.extra_data.id === t.id)!.output).toContain(t.feedback);
    const junit = formatJunit(r);
    expect(junit).toContain('name="cause:byte-order"');
    expect(junit.split('arrived byte-swapped').length - 1).toBeGreaterThanOrEqual(2);
    const header = inginiousCalls(r).find((c) => c[0] === 'feedback-msg' && c[1] !== '--append')!;
    expect(header.join(' ')).toContain(`One mistake explains ${cause.tests.length} failed tests`);
  });

  it('a hidden test does not count towards a cause the student sees', async () => {
    const r = await grade('calculator-server', byteOrder);
    const { viewReport } = await import('../grader/report/visibility.js');
    const asHidden = { ...r, tests: r.tests.map((t) => (t.id === 'sum-int' ? t : { ...t, visibility: 'hidden' as const })) };
    // Only sum-int shows its feedback now: one test is no longer a shared cause.
    expect(viewReport(asHidden, {}).causes).toEqual([]);
    expect(viewReport(r, {}).causes![0]!.tests.length).toBe(r.causes![0]!.tests.length);
  });
});
