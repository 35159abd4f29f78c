// Does every negative test name its control? A negative test (the port is
// taken, a call fails, a bad command line) is passed by a program that gives
// up on everything; only a control, a positive test that must pass too, makes
// its credit mean something (grader/verdict/controls.ts).
import { negativeBecause } from '../verdict/controls.js';
import type { Task } from '../model/task.js';
import { at, check, type CheckOutcome } from './model.js';

export function controlsCheck(task: Task): CheckOutcome {
  const negative = task.tests.filter((t) => negativeBecause(t));
  const missing = negative.filter((t) => !t.control?.length);
  const details = missing.map(
    (t) => `${t.source}: test ${t.id} is negative (${negativeBecause(t)}) but names no control: add e.g. control: ${task.tests.find((x) => !negativeBecause(x))?.id ?? 'a-positive-test'}, a positive test that must pass for it to earn credit`,
  );
  const first = missing[0];
  if (first) return at(check('controls', 'fail', `${missing.length} of ${negative.length} negative test(s) name no control`, details), { file: first.file, line: first.line });
  return check('controls', 'ok', negative.length ? `each of ${negative.length} negative test(s) names a control` : 'no negative test');
}
