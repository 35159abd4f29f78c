// `sockgrade check` on small task/fixture trees copied from calculator-server
// and broken on purpose, graded for real: what a course's CI sees (the text
// report, the JUnit XML, the exit status).
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { TASKS, addFixture, addTask, checkCli, tempDir } from './helpers.js';

function tree(): string {
  return tempDir('sockgrade-check-');
}

/** The lines of the text report under the task heading `suite`, up to the next heading. */
function suiteLines(stdout: string, suite: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.indexOf(suite);
  expect(start, `no section ${suite} in:\n${stdout}`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && /^\S/.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

interface JunitCase {
  name: string;
  classname: string;
  failure?: { message: string; '#text'?: string };
  skipped?: unknown;
}

function junit(xml: string): { suites: { name: string; failures: number; cases: JunitCase[] }[]; failures: number } {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testsuite' || name === 'testcase' }).parse(xml);
  const root = doc.testsuites;
  return {
    failures: Number(root.failures),
    suites: root.testsuite.map((s: { name: string; failures: string; testcase: JunitCase[] }) => ({ name: s.name, failures: Number(s.failures), cases: s.testcase })),
  };
}

const CORRECT = 'score: 100\nresult: success\n';

describe('sockgrade check', () => {
  it('passes a sound task: every fixture as declared, every test failed by some fixture, margins kept (exit 0, JUnit XML)', async () => {
    const root = tree();
    addTask(root, 'calculator-server', ['sum-int', 'product-int', 'sum-text']);
    const fx = path.join(root, 'fixtures');
    addFixture(fx, 'calculator-server', 'correct', 'correct-c-plain', CORRECT);
    addFixture(fx, 'calculator-server', 'host-byte-order', 'host-byte-order', 'fails: [sum-int, product-int]\nfeedback_contains: byte order\n');
    addFixture(fx, 'calculator-server', 'text-with-nul', 'text-with-nul', 'fails: [sum-text]\n');
    mkdirSync(path.join(root, 'tasks', 'shared-notes')); // not a task: a warning, not a failure

    const r = await checkCli(root, ['--format', 'junit', '--out', 'reports/check.xml']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const lines = suiteLines(r.stdout, 'calculator-server');
    expect(lines[0]).toMatch(/^ {2}OK {4}well-formed: 3 tests/);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}OK {4}fixture host-byte-order: score 33\.33, failed, as declared$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}OK {4}coverage: each of 3 tests is failed by some fixture/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}OK {4}margins correct: CPU \d+ ms of 2 s \(\d+%, [a-z-]+\), wall \d+ ms of 10 s .*memory [\d.]+ MiB of 256 MiB .*same outcome with limits halved$/),
    );
    expect(r.stdout).toMatch(/^ {2}WARN {2}well-formed: tasks\/shared-notes: no task\.yaml/m);
    expect(r.stdout.trim().split('\n').pop()).toMatch(/^check: OK: /);
    expect(r.stderr).toMatch(/^check: \[1\/4\] calculator-server\//m); // progress: 3 fixtures + 1 regrade with limits halved

    const report = junit(readFileSync(path.join(root, 'reports', 'check.xml'), 'utf8'));
    expect(report.failures).toBe(0);
    const suite = report.suites.find((s) => s.name === 'calculator-server')!;
    expect(suite.cases.map((c) => c.name)).toEqual([
      'well-formed',
      'fixture correct',
      'fixture host-byte-order',
      'fixture text-with-nul',
      'controls',
      'coverage',
      'margins correct',
    ]);
    expect(suite.cases.every((c) => c.classname === 'calculator-server' && !c.failure)).toBe(true);
  });

  it('reports every problem of every task at once, goes on past a broken task, and exits 1', async () => {
    const root = tree();
    const fx = path.join(root, 'fixtures');
    addTask(root, 'calculator-server', ['sum-int', 'product-int', 'sum-text']);
    addFixture(fx, 'calculator-server', 'correct', 'correct-c-plain', CORRECT);
    // Declares too little (it fails product-int as well), and the wrong feedback.
    addFixture(fx, 'calculator-server', 'host-byte-order', 'host-byte-order', 'fails: [sum-int]\nfeedback_contains: endianness\n');
    // Passes everything, yet is not declared correct: it shows nothing.
    addFixture(fx, 'calculator-server', 'proves-nothing', 'correct-c-plain', 'fails: []\n');
    // Malformed: names a test the task lacks. It is not graded, so no fixture fails sum-text.
    addFixture(fx, 'calculator-server', 'bad-expect', 'text-with-nul', '# typo below\nfails: [product-int, sum-txt]\n');

    const broken = addTask(root, 'broken', ['sum-int']);
    writeFileSync(
      path.join(broken, 'tests.yaml'),
      'tests:\n  - id: sum-int\n    name: Sum\n    steps: []\n  - id: sum-int\n    name: Again\n  - id: other\n    name: Other\n    weight: -2\n',
    );
    addFixture(fx, 'broken', 'correct', 'correct-c-plain', CORRECT);
    addTask(root, 'lonely', ['sum-int']);
    mkdirSync(path.join(fx, 'no-such-task', 'x'), { recursive: true });

    const r = await checkCli(root, ['--format', 'junit']);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    const report = junit(r.stdout);
    const byName = new Map(report.suites.map((s) => [s.name, new Map(s.cases.map((c) => [c.name, c]))]));
    const failure = (suite: string, test: string) => {
      const c = byName.get(suite)?.get(test);
      expect(c, `${suite} / ${test}`).toBeDefined();
      return c!.failure ? `${c!.failure.message}\n${c!.failure['#text'] ?? ''}` : null;
    };

    // The malformed tests.yaml: both problems, each as PATH:LINE:COL, in one go.
    const wellFormed = failure('broken', 'well-formed')!;
    expect(wellFormed).toMatch(/^tasks\/broken\/tests\.yaml:5:\d+: duplicate test id 'sum-int'/m);
    expect(wellFormed).toMatch(/^tasks\/broken\/tests\.yaml:9:\d+: test other: weight must be more than 0, not -2/m);
    expect(byName.get('broken')!.get('fixture correct')!.skipped).toBeDefined();

    // ... and the other tasks were still checked.
    expect(failure('calculator-server', 'well-formed')).toBeNull();
    expect(failure('calculator-server', 'fixture correct')).toBeNull();
    expect(failure('calculator-server', 'margins correct')).toBeNull();
    const hbo = failure('calculator-server', 'fixture host-byte-order')!;
    expect(hbo).toContain('failed product-int, which it must pass');
    expect(hbo).toMatch(/^ {2}product-int \[failed\]: .*byte order/m);
    expect(hbo).toContain('no failing test\'s feedback contains "endianness"');
    expect(hbo).toMatch(/^ {2}sum-int \[failed\]: .*byte order/m); // what the feedback does say
    expect(failure('calculator-server', 'fixture bad-expect')).toMatch(
      /^fixtures\/calculator-server\/bad-expect\/expect\.yaml:2:\d+: fails: the task has no test 'sum-txt'/m,
    );
    const coverage = failure('calculator-server', 'coverage')!;
    expect(coverage).toMatch(/^test sum-text \(tasks\/calculator-server\/tests\.yaml:\d+\) is failed by no fixture/m);
    expect(coverage).toMatch(/^fixture proves-nothing fails no test/m);
    expect(coverage).not.toMatch(/test (sum-int|product-int) /);
    expect(failure('lonely', 'coverage')).toMatch(/no fixtures in fixtures\/lonely/);
    expect(failure('fixtures/no-such-task', 'task exists')).toMatch(/no task 'no-such-task'/);

    const failingCases = report.suites.flatMap((s) => s.cases.filter((c) => c.failure));
    expect(report.failures).toBe(failingCases.length);
    expect(failingCases).toHaveLength(6);
  });

  it("compiles a function task's harness and reports its errors as PATH:LINE:COL", async () => {
    const root = tree();
    const dir = path.join(root, 'tasks', 'fn');
    cpSync(path.join(TASKS, 'sockets-creating-a-socket'), dir, { recursive: true });
    const harness = path.join(dir, 'harness.c');
    const text = readFileSync(harness, 'utf8');
    writeFileSync(harness, `${text}${text.endsWith('\n') ? '' : '\n'}int broken = ;\n`);
    const brokenLine = readFileSync(harness, 'utf8').split('\n').length - 1;
    const r = await checkCli(root);
    expect(r.exitCode, r.stderr).toBe(1);
    const lines = suiteLines(r.stdout, 'fn');
    expect(lines[0]).toBe('  FAIL  well-formed: the harness does not compile');
    expect(lines[1]).toMatch(new RegExp(`^ {8}tasks/fn/harness\\.c:${brokenLine}:\\d+: error: `));
  });

  it('--repeat N finds a flaky outcome', async () => {
    const root = tree();
    addTask(root, 'calculator-server', ['sum-int', 'product-int', 'sum-text', 'product-text']);
    const fx = path.join(root, 'other-fixtures');
    // Flips the lowest bit of its answer on a coin toss per request: four tests,
    // five runs; every test keeping one result in all five runs has odds 2^-16.
    const coin = (src: string) =>
      src
        .replace('import sys', 'import sys\nimport os')
        .replace('sock.sendto(answer(data), client)', 'reply = answer(data)\n            if os.urandom(1)[0] & 1:\n                reply = reply[:-1] + bytes([reply[-1] ^ 1])\n            sock.sendto(reply, client)');
    addFixture(fx, 'calculator-server', 'coin', 'correct-python', 'result: failed\n', coin);
    // The same, declared a race: a warning, not a failure.
    addFixture(fx, 'calculator-server', 'declared-coin', 'correct-python', 'fails: []\nmay_fail: [sum-int, product-int, sum-text, product-text]\n', coin);
    const r = await checkCli(root, ['--repeat', '5', '--fixtures', 'other-fixtures']);
    expect(r.exitCode, r.stderr).toBe(1);
    const lines = suiteLines(r.stdout, 'calculator-server');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}FAIL {2}fixture coin: /));
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {8}flaky: (sum|product)-(int|text) got (success|failed) \(run 1\), (success|failed) \(run 2\), .* \(run 5\)$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}WARN {2}fixture declared-coin: .*may_fail tests varied between runs$/));
  });

  it('fails a correct fixture that needs more than half a limit, or fails with the limits halved', async () => {
    const root = tree();
    addTask(root, 'calculator-server', ['sum-int'], { taskYaml: (y) => y.replace('wall_s: 10', 'wall_s: 1.5') });
    // Answers after 750 ms: inside the 1000 ms reply timeout, outside half of it.
    addFixture(path.join(root, 'fixtures'), 'calculator-server', 'slow', 'correct-python', CORRECT, (src) =>
      src.replace('import sys', 'import sys\nimport time').replace('sock.sendto(answer(data), client)', 'time.sleep(0.75)\n            sock.sendto(answer(data), client)'),
    );
    const r = await checkCli(root);
    expect(r.exitCode, r.stderr).toBe(1);
    const lines = suiteLines(r.stdout, 'calculator-server');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}OK {4}fixture slow: score 100, success/));
    const margins = lines.findIndex((l) => l.startsWith('  FAIL  margins slow: '));
    expect(margins, r.stdout).toBeGreaterThanOrEqual(0);
    const details = lines.slice(margins + 1).filter((l) => l.startsWith('        ')).join('\n');
    expect(details).toMatch(/wall: test sum-int used \d+ ms, more than half the 1\.5 s limit/);
    expect(details).toMatch(/with limits halved, sum-int: success -> (failed|timeout)/);
    expect(details).toMatch(/reply 500 ms/);
  });

  it('says in one line what is wrong with the command line (exit 2) or the machine (exit 3)', async () => {
    const root = tree();
    addTask(root, 'calculator-server', ['sum-int']);
    for (const [args, message] of [
      [['no-such-task'], /^sockgrade: unknown task 'no-such-task': .*known tasks: calculator-server$/],
      [['--repeat', '0'], /^sockgrade: --repeat takes a whole number of at least 1, not '0'$/],
      [['--format', 'html'], /^sockgrade: check --format takes text or junit, not 'html'$/],
      [['--fixtures', 'nowhere'], /^sockgrade: fixtures folder not found: nowhere; /],
    ] as const) {
      const r = await checkCli(root, [...args]);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr.trim()).toMatch(message);
      expect(r.stdout).toBe('');
    }
    // A machine without the sandbox: exit 3, the fix in one line, no report.
    addFixture(path.join(root, 'fixtures'), 'calculator-server', 'correct', 'correct-c-plain', CORRECT);
    const noSandbox = await checkCli(root, [], { PATH: '/nonexistent' });
    expect(noSandbox.exitCode, noSandbox.stderr).toBe(3);
    expect(noSandbox.stderr.trim().split('\n').pop()).toMatch(/^sockgrade: cannot grade: bwrap.*not found.*apt-get install .*bubblewrap/);
    expect(noSandbox.stdout).toBe('');

    const empty = tree();
    const r = await checkCli(empty);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toMatch(/^sockgrade: no tasks in tasks \(no folder with a task\.yaml\)/);
  });
});
