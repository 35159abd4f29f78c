// Do the hidden tests tell right from wrong? Every test must be failed by
// some fixture (else nothing shows it can fail), every fixture but the
// correct ones must fail some test (else it shows nothing), and some fixture
// must pass everything (else nothing shows the tests can be passed).
import { isCorrectFixture, type FixtureExpect } from '../fixtures.js';
import type { Report } from '../report/model.js';
import type { Task } from '../model/task.js';
import { at, check, type CheckOutcome } from './model.js';

export interface GradedFixture {
  name: string;
  expect: FixtureExpect;
  /** Every run of it; empty when it could not be graded. */
  reports: Report[];
}

/** Tests it failed in some run, leaving out declared races (may_fail): a coin toss proves nothing. */
function failedTests(f: GradedFixture): Set<string> {
  const mayFail = new Set(f.expect.may_fail);
  return new Set(f.reports.flatMap((r) => r.tests.filter((t) => !t.passed && !mayFail.has(t.id)).map((t) => t.id)));
}

export function coverageCheck(task: Task, fixturesShown: string, fixtureCount: number, graded: GradedFixture[]): CheckOutcome {
  // CI annotates one line: the first test nothing fails, else the top of the task's tests file.
  const testsFile = task.tests[0] ? { file: task.tests[0].file, line: 1 } : null;
  if (fixtureCount === 0) {
    return at(check('coverage', 'fail', `no fixtures in ${fixturesShown}: nothing shows that the tests tell right from wrong`, [
      `add ${fixturesShown}/<name>/submission and expect.yaml: at least one correct submission (score: 100) and one per mistake the tests must catch`,
    ]), testsFile);
  }
  const usable = graded.filter((f) => f.reports.length > 0);
  const correct = usable.filter((f) => isCorrectFixture(f.expect));
  const wrong = usable.filter((f) => !isCorrectFixture(f.expect));
  const failedBy = new Set(wrong.flatMap((f) => [...failedTests(f)]));

  const problems: string[] = [];
  if (!correct.length) problems.push('no fixture declares score: 100 or result: success: nothing shows that the tests can be passed');
  const neverFailed = task.tests.filter((t) => !failedBy.has(t.id));
  for (const t of neverFailed) {
    problems.push(`test ${t.id} (${t.source}) is failed by no fixture: add a fixture with the mistake it catches, or drop the test`);
  }
  // A build failure is a mistake the grader catches too, even with no test run.
  const useless = wrong.filter((f) => f.reports.every((r) => r.build.ok) && failedTests(f).size === 0);
  for (const f of useless) {
    problems.push(`fixture ${f.name} fails no test: it proves nothing; declare it correct (score: 100) or make a test catch its mistake`);
  }
  const notGraded = fixtureCount - usable.length;
  const note = notGraded ? [`${notGraded} fixture(s) could not be graded (see above): they count for nothing here`] : [];

  const where = neverFailed[0] ? { file: neverFailed[0].file, line: neverFailed[0].line } : testsFile;
  const parts = [
    correct.length ? '' : 'no correct fixture',
    neverFailed.length ? `${neverFailed.length} test(s) failed by no fixture` : '',
    useless.length ? `${useless.length} fixture(s) that fail no test` : '',
  ].filter(Boolean);
  if (parts.length) return at(check('coverage', 'fail', parts.join(', '), [...problems, ...note]), where);
  return at(check(
    'coverage',
    'ok',
    `each of ${task.tests.length} tests is failed by some fixture, each of ${wrong.length} wrong fixtures fails some test, ${correct.length} correct fixture(s)`,
    note,
  ), where);
}
