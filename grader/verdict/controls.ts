// No credit without a control. A negative test (the port is taken, a socket
// call fails, the command line is wrong) passes when the program gives up with
// an error, and a program that gives up on everything passes it too. So each
// negative test names its control, a positive test of the same task; the
// negative test earns its credit only when one of its controls passed, which
// shows the same program works when nothing is wrong. A pure pass over the
// verdicts, after they are decided: nothing here runs anything.
import type { TestReport } from '../report/model.js';
import type { AfterSpec, Task, TestSpec } from '../model/task.js';
import type { Problem } from '../task/yaml-file.js';

type Shape = Pick<TestSpec, 'occupy' | 'fail'> & { after: AfterSpec };

/**
 * Why a test is negative, or null when it is not: it takes the port first
 * (`occupy`), makes a socket call fail (`fail`), demands a failing exit
 * (`after.exit` other than 0, which covers a bad address or a bad command
 * line), demands a failing return (`after.returns` below 0) or demands that
 * nothing be sent (`after.datagrams: none`). Each is passed by a program that
 * stops at once with an error.
 */
export function negativeBecause(t: Shape): string | null {
  if (t.occupy.length) return 'occupy: it takes a port before the program starts';
  if (t.fail?.length) return 'fail: it makes a socket call fail';
  const a = t.after;
  if (a.exit === 'nonzero' || (typeof a.exit === 'number' && a.exit !== 0)) return 'after.exit: it expects a failing exit status';
  if (typeof a.returns === 'number' && a.returns < 0) return 'after.returns: it expects a failing return value';
  if (a.datagrams === 'none') return 'after.datagrams: none: it expects nothing to be sent';
  return null;
}

/** The `control:` fields that cannot work: an unknown test, the test itself, or a control that is negative too. */
export function controlProblems(tests: TestSpec[]): Problem[] {
  const byId = new Map(tests.map((t) => [t.id, t]));
  const problems: Problem[] = [];
  for (const t of tests) {
    for (const id of t.control ?? []) {
      const c = byId.get(id);
      const why =
        !c ? `control '${id}' is not a test of this task; name a positive test (known: ${[...byId.keys()].filter((k) => !negativeBecause(byId.get(k)!)).join(', ')})` :
        c.id === t.id ? `control '${id}' is the test itself; name a positive test of the same task` :
        negativeBecause(c) ? `control '${id}' is a negative test itself (${negativeBecause(c)}); name a positive test` : null;
      if (why) problems.push({ file: t.file, line: t.line, col: 1, message: `test '${t.id}': ${why}` });
    }
  }
  return problems;
}

/** The tests to run for a selection: the selected ones and the controls they need (in task order). */
export function withControls(tests: TestSpec[], selected: string[]): string[] {
  const wanted = new Set(selected);
  for (const t of tests) if (wanted.has(t.id)) for (const c of t.control ?? []) wanted.add(c);
  return tests.filter((t) => wanted.has(t.id)).map((t) => t.id);
}

function listed(ids: string[]): string {
  return ids.length === 1 ? `test ${ids[0]}` : `tests ${ids.slice(0, -1).join(', ')} or ${ids.at(-1)}`;
}

/**
 * The reports with each passed negative test whose controls all failed turned
 * into a failure that says why. A control counts when it passed, or when it
 * failed only of a diagnosed mistake in the bytes (`causeOf`: byte order, a
 * NUL after the digits...): the program did the whole exchange, its mistake is
 * charged by the positive tests already, and error handling that works is not
 * charged a second time for it. A control the grader could not judge (result
 * "error") leaves the negative test unjudged too: an error, not the
 * student's. A negative test that failed keeps its own verdict and feedback.
 */
export function applyControls(task: Pick<Task, 'tests' | 'role' | 'function'>, tests: TestReport[], causeOf: ReadonlyMap<string, string> = new Map()): TestReport[] {
  const result = new Map(tests.map((t) => [t.id, t.result]));
  const spec = new Map(task.tests.map((s) => [s.id, s]));
  const works = task.function ? 'your function handles a valid exchange' : task.role === 'server' ? 'your server answers a valid request' : 'your client completes a valid exchange';
  return tests.map((t) => {
    const controls = spec.get(t.id)?.control ?? [];
    if (!t.passed || !controls.length) return t;
    const outcomes = controls.map((c) => (result.get(c) === 'failed' && causeOf.has(c) ? 'success' : result.get(c)));
    if (outcomes.includes('success')) return t;
    const { details: _kept, ...rest } = t;
    if (outcomes.includes('error') || outcomes.includes(undefined)) {
      return { ...rest, passed: false, result: 'error', feedback: `not judged: its control (${listed(controls)}) could not be graded (not your fault)` };
    }
    return {
      ...rest,
      passed: false,
      result: 'failed',
      feedback: `error handling is credited once ${works}: see ${listed(controls)}`,
    };
  });
}
