// The report formats platforms read, each read back by an independent parser
// as the platform would: an XML parser for JUnit, Gradescope's documented
// spec as a JSON schema, docutils for INGInious's reStructuredText. And
// visibility, as a student sees it through the CLI in every format.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import YAML from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradescopeResults, pointsPerTest } from '../grader/report/gradescope.js';
import { inginiousCalls } from '../grader/report/inginious.js';
import { formatJunit } from '../grader/report/junit.js';
import type { Report, TestReport } from '../grader/report/model.js';
import { viewReport } from '../grader/report/visibility.js';
import { feedbackText, renderRst } from './docutils.js';
import { TASKS, fixture, grade, sockgradeNoDueDate, tempDir, validateGradescope } from './helpers.js';

const byteOrder = fixture('calculator-server', 'host-byte-order');

function parseXml(xml: string) {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', isArray: (name) => name === 'testcase' || name === 'property' });
  return parser.parse(xml);
}

let graded: Report; // host byte order: some tests pass, most fail with feedback and details
let buildFailed: Report;
beforeAll(async () => {
  const dir = tempDir('sockgrade-broken-');
  writeFileSync(path.join(dir, 'server.c'), 'int main(void) { return undefined_name; }\n');
  [graded, buildFailed] = await Promise.all([grade('calculator-server', byteOrder), grade('calculator-server', dir)]);
});

/** What a student is shown: the report as the CLI filters it by default. */
const studentView = (r: Report) => viewReport(r, {});

describe('--format junit', () => {
  it('has one testcase per test, the failures carrying the feedback (read by an XML parser)', () => {
    const xml = formatJunit(studentView(graded));
    expect(XMLValidator.validate(xml)).toBe(true);
    const suite = parseXml(xml).testsuites.testsuite;
    expect(suite['@_name']).toBe('calculator-server');
    const failing = graded.tests.filter((t) => !t.passed);
    expect(failing.length).toBeGreaterThan(0);
    expect(Number(suite['@_tests'])).toBe(graded.tests.length);
    expect(Number(suite['@_failures'])).toBe(failing.length);
    expect(Number(suite['@_errors'])).toBe(0);
    expect(suite.properties.property).toContainEqual({ '@_name': 'score', '@_value': String(graded.score) });
    expect(suite.testcase).toHaveLength(graded.tests.length);
    graded.tests.forEach((t, i) => {
      const c = suite.testcase[i];
      expect(c['@_classname']).toBe('calculator-server');
      expect(c['@_name']).toBe(`${t.id}: ${t.name}`);
      expect(Number(c['@_time'])).toBeCloseTo(t.duration_ms / 1000, 3);
      if (t.passed) expect(c.failure).toBeUndefined();
      else expect(c.failure['@_message']).toBe(t.feedback);
      // Inputs and bytes only for visible tests.
      if (t.visibility === 'visible' && t.details) expect(c['system-out']).toBe(t.details);
      else expect(c['system-out']).toBeUndefined();
    });
  });

  it('shows a failed build as one failing testcase holding the compiler output', () => {
    expect(buildFailed.build.ok).toBe(false);
    const suite = parseXml(formatJunit(studentView(buildFailed))).testsuites.testsuite;
    expect(Number(suite['@_failures'])).toBe(1);
    expect(suite.testcase).toHaveLength(1);
    expect(suite.testcase[0]['@_name']).toBe('build');
    expect(suite.testcase[0].failure['#text']).toMatch(/undefined_name/);
  });

  it('stays well-formed XML whatever bytes the program printed', () => {
    const nasty = 'got \x00\x07\x1b[31m <b>&amp;</b> "quoted" \uD800 end';
    const tests = graded.tests.map((t, i): TestReport => (i === 0 ? { ...t, passed: false, result: 'failed', feedback: nasty, details: nasty, visibility: 'visible' } : t));
    const xml = formatJunit({ ...graded, tests });
    expect(XMLValidator.validate(xml)).toBe(true);
    const c = parseXml(xml).testsuites.testsuite.testcase[0];
    expect(c.failure['@_message']).toBe('got \\x00\\x07\\x1b[31m <b>&amp;</b> "quoted" \\ud800 end');
  });
});

describe('--format gradescope', () => {
  it('writes a results.json that passes the schema of Gradescope\'s spec, tests worth 100 points in all', () => {
    const results = gradescopeResults(studentView(graded));
    expect(validateGradescope(results)).toBe('');
    expect(results.tests).toHaveLength(graded.tests.length);
    const total = results.tests.reduce((s, t) => s + t.max_score, 0);
    expect(Math.round(total * 100)).toBe(10000);
    const earned = results.tests.reduce((s, t) => s + t.score, 0);
    // Gradescope shows the total beside each test's points: the total is their sum, to the hundredth,
    // and differs from sockgrade's own score by rounding only.
    expect(results.score).toBe(Math.round(earned * 100) / 100);
    expect(Math.abs(results.score - graded.score)).toBeLessThanOrEqual(0.01 * graded.tests.length);
    graded.tests.forEach((t, i) => {
      const g = results.tests[i]!;
      expect(g.status).toBe(t.passed ? 'passed' : 'failed');
      expect(g.score).toBe(t.passed ? g.max_score : 0);
      expect(g.name).toContain(t.name);
    });
    // A heavier test is worth more points.
    const w2 = results.tests.find((t) => t.extra_data.weight === 2)!;
    const w1 = results.tests.find((t) => t.extra_data.weight === 1)!;
    expect(w2.max_score).toBeGreaterThan(w1.max_score);
  });

  it('shares 100 points by weight, to the hundredth, with nothing lost to rounding', () => {
    expect(pointsPerTest([1, 1, 1])).toEqual([33.34, 33.33, 33.33]);
    expect(pointsPerTest([2, 1])).toEqual([66.67, 33.33]);
    expect(pointsPerTest([1, 1, 1, 1, 1, 1, 1]).reduce((s, p) => Math.round(s * 100 + p * 100) / 100, 0)).toBe(100);
  });

  it('is checked against a schema that refuses what Gradescope would not read', () => {
    const good = gradescopeResults(studentView(graded));
    expect(validateGradescope({ tests: [{ name: 'no score anywhere' }] })).not.toBe('');
    expect(validateGradescope({ ...good, tests: [{ ...good.tests[0], status: 'ok' }] })).not.toBe('');
    expect(validateGradescope({ ...good, visibility: 'students' })).not.toBe('');
    expect(validateGradescope({ ...good, scores: 3 })).not.toBe('');
  });

  it('reports a failed build with the compiler output and score 0', () => {
    const results = gradescopeResults(studentView(buildFailed));
    expect(validateGradescope(results)).toBe('');
    expect(results.score).toBe(0);
    expect(results.output).toMatch(/build failed[\s\S]*undefined_name/);
    // Every test is listed, failed, worth its points: the student sees what the build cost.
    expect(results.tests.length).toBeGreaterThan(0);
    expect(results.tests.every((t) => t.status === 'failed' && t.score === 0)).toBe(true);
    expect(Math.round(results.tests.reduce((s, t) => s + t.max_score, 0) * 100)).toBe(10000);
  });
});

describe('--format inginious', () => {
  // INGInious concatenates the messages and renders them with docutils (test/docutils.ts): always run.
  it('is reStructuredText docutils reads without a warning, student text shown as written', () => {
    const nasty = '*not bold* `not code` _x_ |sub| \\ end\n1. not a list\n====\n.. note:: not a directive\nsee javascript:alert(1)';
    const tests = graded.tests.map((t, i): TestReport => (i === 0 ? { ...t, passed: false, feedback: nasty, name: 'Tricky *name*' } : t));
    for (const r of [{ ...graded, tests }, buildFailed, { ...graded, result: 'error' as const, error: 'the job died: *boom*' }]) {
      const { html, raw } = renderRst(feedbackText(studentView(r)));
      expect(raw).toBe(0);
      expect(html).not.toMatch(/<em>|<ol|<h\d|class="admonition note"|<a /);
      if (r.tests === tests) {
        expect(html).toContain('*not bold* `not code` _x_ |sub| \\ end');
        expect(html).toContain('see javascript:alert(1)');
        expect(html).toContain('Tricky *name*');
        for (const t of graded.tests) expect(html).toMatch(new RegExp(`<tt class="docutils literal">(<span class="pre">)?${t.id}(</span>)?</tt>`));
      }
    }
  });

  it('tells INGInious the result, the grade, and one message per test', () => {
    const calls = inginiousCalls(studentView(graded));
    expect(calls[0]).toEqual(['feedback-result', 'failed']);
    expect(calls[1]).toEqual(['feedback-grade', String(graded.score)]);
    const appended = calls.filter((c) => c[0] === 'feedback-msg' && c[1] === '--append');
    expect(appended).toHaveLength(graded.tests.length);
    graded.tests.forEach((t, i) => expect(appended[i]![2]).toContain(`\`\`${t.id}\`\``));
  });
});

describe('every format honours test visibility', () => {
  let taskDir: string;
  let staff: Report;
  const levels: Record<string, string> = { 'sum-int': 'hidden', 'product-int': 'after_due_date', 'unused-bits': 'visible', 'one-int': 'feedback' };
  const secret = (id: string) => staff.tests.find((t) => t.id === id)!.details!;

  beforeAll(async () => {
    taskDir = path.join(tempDir('sockgrade-vis-'), 'calculator-server');
    cpSync(path.join(TASKS, 'calculator-server'), taskDir, { recursive: true });
    const file = path.join(taskDir, 'tests.yaml');
    const doc = YAML.parse(readFileSync(file, 'utf8'));
    for (const t of doc.tests) if (levels[t.id]) t.visibility = levels[t.id];
    writeFileSync(file, YAML.stringify(doc));
    const r = await sockgradeNoDueDate(['grade', taskDir, byteOrder, '--format', 'json', '--show-all']);
    expect(r.exitCode, r.stderr).toBe(0);
    staff = JSON.parse(r.stdout);
    // Each of these tests fails with its own inputs, so finding them anywhere means they leaked.
    for (const id of Object.keys(levels)) {
      expect(staff.tests.find((t) => t.id === id)!.passed).toBe(false);
      expect(staff.tests.filter((t) => t.details === secret(id))).toHaveLength(1);
    }
  });

  it.each(['text', 'json', 'junit', 'gradescope', 'inginious'])('%s: hidden tests show name and verdict only, never their inputs', async (format) => {
    const r = await sockgradeNoDueDate(['grade', taskDir, byteOrder, '--format', format]);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).not.toContain(secret('sum-int')); // hidden
    expect(out).toContain('Sum of five integers, integer answer'); // ...but named
    expect(out).not.toContain(secret('one-int')); // feedback: the mistake, not the inputs
    expect(out).toContain(secret('unused-bits')); // visible
    // after_due_date: hidden by sockgrade until told the date has passed; Gradescope hides it itself.
    if (format === 'gradescope') expect(out).toContain(secret('product-int'));
    else expect(out).not.toContain(secret('product-int'));

    const feedback = staff.tests.find((t) => t.id === 'sum-int')!.feedback;
    if (format === 'json') expect(JSON.parse(out).tests.find((t: TestReport) => t.id === 'sum-int').feedback).toBe('');
    if (format === 'gradescope') {
      const tests = JSON.parse(out).tests as { name: string; output: string; visibility: string; status: string }[];
      const hidden = tests.find((t) => t.name.endsWith('[sum-int]'))!;
      expect(hidden).toMatchObject({ output: '', visibility: 'visible', status: 'failed' });
      expect(tests.find((t) => t.name.endsWith('[product-int]'))!.visibility).toBe('after_due_date');
    }
    if (format === 'junit') {
      const c = parseXml(out).testsuites.testsuite.testcase.find((t: Record<string, string>) => t['@_name']?.startsWith('sum-int:'));
      expect(c.failure['@_message']).not.toBe(feedback);
    }
  });

  it('shows after_due_date tests in full once told the due date has passed (flag or environment)', async () => {
    const byFlag = await sockgradeNoDueDate(['grade', taskDir, byteOrder, '--after-due-date']);
    expect(byFlag.exitCode, byFlag.stderr).toBe(0);
    expect(byFlag.stdout).toContain(secret('product-int'));
    expect(byFlag.stdout).not.toContain(secret('sum-int'));
    const byEnv = await sockgradeNoDueDate(['grade', taskDir, byteOrder, '--format', 'junit'], { SOCKGRADE_AFTER_DUE_DATE: '1' });
    expect(byEnv.stdout).toContain(secret('product-int'));
  });

  it('writes the chosen format with --out', async () => {
    const out = path.join(tempDir('sockgrade-out-'), 'deep', 'results.json');
    const r = await sockgradeNoDueDate(['grade', taskDir, byteOrder, '--format', 'gradescope', '--out', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(validateGradescope(JSON.parse(readFileSync(out, 'utf8')))).toBe('');
  });
});
