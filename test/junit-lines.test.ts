// JUnit that points at the line: every failing testcase of `grade --format
// junit` and `check --format junit` carries the file and line CI annotates
// (GitLab's test report, GitHub's JUnit reporters) and a non-empty failure
// text, hidden tests included; `check --fixture` and `--strict`. Real
// gradings, on task trees copied from calculator-server into a temporary folder.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { addFixture, addTask as addCalculatorTask, checkCli, fixture, runCli, tempDir } from './helpers.js';

interface Case {
  name: string;
  file?: string;
  line?: string;
  failure?: { message: string; '#text'?: string };
  skipped?: unknown;
  'system-out'?: string;
}

function cases(xml: string): Case[] {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => n === 'testsuite' || n === 'testcase' }).parse(xml);
  return doc.testsuites.testsuite.flatMap((s: { testcase?: Case[] }) => s.testcase ?? []);
}

/** The 1-based line of the first line of `file` matching `re`. */
function lineOf(file: string, re: RegExp): string {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => re.test(l));
  expect(i, `${re} in ${file}`).toBeGreaterThanOrEqual(0);
  return String(i + 1);
}

/** tasks/<id> in `root`: calculator-server with only these tests, each test patched; a header above the tests, so a test's line is not its index in the list. */
function addTask(root: string, id: string, tests: string[], patch: (t: Record<string, unknown>) => void = () => undefined): string {
  return addCalculatorTask(root, id, tests, { test: patch, header: `# tests of ${id}\n\n` });
}

function check(root: string, args: string[]) {
  return checkCli(root, [...args, '--format', 'junit']);
}

describe('grade --format junit', () => {
  it('puts each test\'s tests.yaml line on its testcase, and a hidden failure says its name and verdict', async () => {
    const root = tempDir();
    addTask(root, 'calc', ['sum-int', 'product-int', 'sum-text'], (t) => {
      if (t.id === 'product-int') t.visibility = 'hidden';
    });
    const r = await runCli(['grade', 'tasks/calc', fixture('calculator-server', 'host-byte-order'), '--format', 'junit'], { cwd: root });
    expect(r.exitCode, r.stderr).toBe(0);
    const tests = path.join(root, 'tasks', 'calc', 'tests.yaml');
    const list = cases(r.stdout);
    expect(list.map((c) => c.name.split(':')[0])).toEqual(['sum-int', 'product-int', 'sum-text']);
    for (const c of list) {
      const id = c.name.split(':')[0]!;
      expect(c.file, id).toBe('tasks/calc/tests.yaml');
      expect(c.line, id).toBe(lineOf(tests, new RegExp(`- id: ${id}$`)));
    }
    const [visible, hidden] = list as [Case, Case];
    expect(visible.failure!['#text']).toMatch(/byte order/);
    // Hidden: name and verdict only, never the feedback or the bytes.
    expect(hidden.failure!.message).toBe('Product of five integers, integer answer: test failed');
    expect(hidden.failure!['#text']).toBe('Product of five integers, integer answer: test failed');
    expect(hidden['system-out']).toBeUndefined();
    expect(JSON.stringify(hidden)).not.toMatch(/byte|945|htonl/);
  });
});

describe('check --format junit', () => {
  it('points each failing check at its file and line: a task problem, a fixture\'s expect.yaml key, a test no fixture fails', async () => {
    const root = tempDir();
    addTask(root, 'calc', ['sum-int', 'sum-text']);
    // Declared correct, but it fails sum-int: the score line is the one that is wrong.
    addFixture(path.join(root, 'fixtures'), 'calc', 'host-byte-order', 'host-byte-order', '# not correct at all\nresult: failed\nscore: 100\n');
    const broken = addTask(root, 'broken', ['sum-int']);
    const brokenTests = path.join(broken, 'tests.yaml');
    writeFileSync(brokenTests, readFileSync(brokenTests, 'utf8').replace('weight: 2', 'weight: heavy'));

    const r = await check(root, []);
    expect(r.exitCode, r.stderr).toBe(1);
    const list = cases(r.stdout);
    const failing = list.filter((c) => c.failure);
    for (const c of failing) {
      expect(c.file, c.name).toBeTruthy();
      expect(Number(c.line), c.name).toBeGreaterThan(0);
      expect(c.failure!['#text'], c.name).toBeTruthy();
    }
    const fx = failing.find((c) => c.name === 'fixture host-byte-order')!;
    expect(fx).toMatchObject({ file: 'fixtures/calc/host-byte-order/expect.yaml', line: '3' });
    // The only fixture is declared correct, so no fixture fails any test: coverage points at the first, in tests.yaml.
    const coverage = failing.find((c) => c.name === 'coverage')!;
    expect(coverage).toMatchObject({ file: 'tasks/calc/tests.yaml', line: lineOf(path.join(root, 'tasks/calc/tests.yaml'), /- id: sum-int$/) });
    expect(coverage.failure!['#text']).toMatch(/test sum-int \(tasks\/calc\/tests.yaml:\d+\) is failed by no fixture/);
    const wellFormed = failing.find((c) => c.name === 'well-formed')!;
    expect(wellFormed).toMatchObject({ file: 'tasks/broken/tests.yaml', line: lineOf(brokenTests, /weight: heavy/) });
    expect(wellFormed.failure!['#text']).toMatch(/weight/);
  });

  it('--fixture grades only the fixtures named; --strict turns warnings into failures', async () => {
    const root = tempDir();
    addTask(root, 'calc', ['sum-int']);
    addFixture(path.join(root, 'fixtures'), 'calc', 'correct', 'correct-c-plain', 'score: 100\n');
    addFixture(path.join(root, 'fixtures'), 'calc', 'host-byte-order', 'host-byte-order', 'fails: [sum-int]\n');
    mkdirSync(path.join(root, 'tasks', 'shared-notes')); // not a task: a warning

    const some = await check(root, ['--fixture', 'host-byte-order']);
    expect(some.exitCode, some.stdout + some.stderr).toBe(0);
    expect(some.stderr).toMatch(/1 fixture\(s\): 1 gradings/);
    const names = cases(some.stdout).map((c) => c.name);
    expect(names).toContain('fixture host-byte-order');
    expect(names).not.toContain('fixture correct');
    expect(cases(some.stdout).find((c) => c.name === 'coverage')!.skipped).toBeDefined();

    const strict = await check(root, ['--fixture', 'host-byte-order', '--strict']);
    expect(strict.exitCode).toBe(1);
    const warned = cases(strict.stdout).find((c) => c.failure);
    expect(warned).toMatchObject({ file: 'tasks/shared-notes', line: '1' });
    expect(warned!.failure!.message).toMatch(/no task\.yaml.*--strict makes it a failure/);

    const unknown = await check(root, ['--fixture', 'nosuch']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/^sockgrade: --fixture nosuch: no such fixture .*fixtures: correct, host-byte-order$/m);
  });
});
