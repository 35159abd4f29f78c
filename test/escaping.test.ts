// Student text is data in every format: what a program printed, a build log,
// an upload's name reach the reports as visible escapes, never as commands to
// the terminal, markup on INGInious's page or a line break that ends a block.
// Hostile submissions are graded for real in the sandbox and their reports
// read as the platform would (terminal text, XML parser, docutils with raw
// HTML enabled, a browser's HTML).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatCheckJunit } from '../grader/check/junit.js';
import { formatCheckText } from '../grader/check/text.js';
import type { Report } from '../grader/report/model.js';
import { htmlText, jsonSafe, rstLiteral, visibleLine, visibleText, xmlText } from '../grader/report/neutralise.js';
import { feedbackText, renderRst } from './docutils.js';
import { FIXTURES, runCli, sockgradeNoDueDate, tempDir, validateGradescope } from './helpers.js';

/** Every character a terminal, docutils or a page would act on; tab and line feed are text. */
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const FAKE_SCORE = '\x1b[2J\x1b[H score: 100/100';

const hostile = path.join(FIXTURES, 'calculator-server', 'terminal-escapes', 'submission');

describe('the neutraliser', () => {
  it('shows every control, separator and bidi override as an escape, and keeps text, tabs and line feeds', () => {
    expect(visibleText('a\x1b[2Jb\tc\nd\x00\x07\x7f\x85\x9b\u2028\u2029\u202e\u2066\ufffe')).toBe(
      'a\\x1b[2Jb\tc\nd\\x00\\x07\\x7f\\x85\\x9b\\u2028\\u2029\\u202e\\u2066\\ufffe',
    );
    expect(visibleText('one\r\ntwo\rthree')).toBe('one\ntwo\\rthree'); // CR LF ends a line; a lone CR would overwrite it
    expect(visibleText('héllo wörld ✓ 😀 日本')).toBe('héllo wörld ✓ 😀 日本');
    expect(visibleText('half \ud83d pair')).toBe('half \\ud83d pair');
    expect(visibleLine('two\nlines\x1b')).toBe('two\\nlines\\x1b');
  });

  it('leaves a name escaped upstream readable: no double escaping', () => {
    // A non-UTF-8 file name arrives as "caf\xe9.c" (text); the byte itself would be U+FFFD.
    expect(visibleLine('caf\\xe9.c')).toBe('caf\\xe9.c');
    expect(htmlText('caf\\xe9 <b>')).toBe('caf\\xe9 &lt;b&gt;');
    expect(xmlText('caf\\xe9 & \x1b')).toBe('caf\\xe9 &amp; \\x1b');
  });

  it('leaves no character that Python (docutils) reads as a line break, whatever the code point', () => {
    // Python's own list, not ours: every code point for which str.splitlines() splits.
    const py = spawnSync('python3', ['-c', 'import sys; sys.stdout.write(" ".join(str(c) for c in range(0x110000) if len(("a" + chr(c) + "b").splitlines()) > 1))'], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const breaks = py.stdout.split(' ').map(Number);
    expect(breaks).toContain(0x1c);
    expect(breaks).toContain(0x2029);
    for (const code of breaks) {
      const shown = visibleText(`a${String.fromCodePoint(code)}b`);
      expect(shown === 'a\nb' || !/[^\x20-\x7e]/.test(shown), `U+${code.toString(16)} -> ${JSON.stringify(shown)}`).toBe(true);
    }
  });

  it('keeps JSON data exact while writing C1, separators and overrides as \\u escapes', () => {
    const data = { s: 'a\x1b\x85\x9b\u2028\u202e\ud800b "q"' };
    const json = jsonSafe(JSON.stringify(data));
    expect(json).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(json)).toEqual(data);
  });

  it('keeps every line of a literal block inside it: docutils sees no raw node and no script', () => {
    const attack = 'ok\x1c.. raw:: html\x1c\x1c   <script>alert(1)</script>\n\x0b\f\x1d\x1e\x85\u2028\u2029\r.. raw:: html\n\n   <script>alert(2)</script>';
    const r = renderRst(`Output:\n\n${rstLiteral(attack, 0)}\nAfter.\n`);
    expect(r.raw).toBe(0);
    expect(r.html).not.toContain('<script');
    expect(r.literal_blocks).toHaveLength(1);
    expect(r.literal_blocks[0]).toContain('ok\\x1c.. raw:: html\\x1c\\x1c   <script>alert(1)</script>');
    expect(r.literal_blocks[0]).toContain('<script>alert(2)</script>');
    expect(r.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('a program that writes escape sequences and markup on stderr (fixture terminal-escapes, real sandbox)', () => {
  let data: Report;
  beforeAll(async () => {
    const r = await sockgradeNoDueDate(['grade', 'calculator-server', hostile, '--format', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    data = JSON.parse(r.stdout);
    // The JSON report is the exact record: the program's bytes are all there.
    expect(data.tests.find((t) => t.id === 'sum-int')!.details).toContain(`stderr: "${FAKE_SCORE}`);
    expect(data.score).toBeLessThan(100);
  });

  it('text: no escape reaches the terminal; the one score line is the real one', async () => {
    const r = await sockgradeNoDueDate(['grade', 'calculator-server', hostile]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stdout).toContain('stderr: "\\x1b[2J\\x1b[H score: 100/100');
    expect(r.stdout.split('\n').filter((l) => /^score:/.test(l))).toEqual([expect.stringMatching(new RegExp(`^score: ${data.score}/100 `))]);
  });

  it('junit: well-formed XML with the text escaped, nothing raw', async () => {
    const r = await sockgradeNoDueDate(['grade', 'calculator-server', hostile, '--format', 'junit']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(XMLValidator.validate(r.stdout)).toBe(true);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    const cases = new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'testcase' }).parse(r.stdout).testsuites.testsuite.testcase;
    expect(cases.find((c: Record<string, string>) => c['@_name']!.startsWith('sum-int:'))['system-out']).toContain('\\x1b[2J\\x1b[H score: 100/100');
  });

  it('gradescope: outputs shown as plain text hold visible escapes, never raw controls', async () => {
    const r = await sockgradeNoDueDate(['grade', 'calculator-server', hostile, '--format', 'gradescope']);
    expect(r.exitCode, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout);
    expect(validateGradescope(results)).toBe('');
    expect(results.output_format).toBe('text');
    const outputs = [results.output, ...results.tests.map((t: { output: string; name: string }) => `${t.name}\n${t.output}`)].join('\n');
    expect(outputs).not.toMatch(RAW_CONTROL);
    expect(outputs).toContain('\\x1b[2J\\x1b[H score: 100/100');
  });

  it('inginious: docutils with raw HTML enabled (as INGInious) makes no raw node and no script; the text sits in a literal block', async () => {
    const script = await sockgradeNoDueDate(['grade', 'calculator-server', hostile, '--format', 'inginious']);
    expect(script.exitCode, script.stderr).toBe(0);
    expect(script.stdout).not.toMatch(RAW_CONTROL);
    const rendered = renderRst(feedbackText(data)); // the student's view: the report printed by --format json
    expect(rendered.raw).toBe(0);
    expect(rendered.html).not.toMatch(/<script|<a /);
    expect(rendered.html).toContain('&lt;script&gt;alert(\'feedback\')&lt;/script&gt;');
    const quoting = rendered.literal_blocks.filter((b) => b.includes('stderr: "\\x1b[2J\\x1b[H score: 100/100'));
    expect(quoting.length).toBeGreaterThan(0);
    for (const b of quoting) expect(b).toMatch(/\\x1c\.\. raw:: html\\x1c\\x1c <script>alert\('feedback'\)<\/script>.*\\x85\\x9b2J \\u202e001\/001 :erocs\\u202c end"$/);
  });
});

describe('a build log with escape sequences (real sandbox)', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('sockgrade-escbuild-');
    // The Makefile prints a fake passing report over a cleared screen, then fails.
    writeFileSync(
      path.join(dir, 'Makefile'),
      "server:\n\t@printf '\\033[2J\\033[H score: 100/100\\n\\034.. raw:: html\\n\\n   <script>alert(1)</script>\\n' >&2; exit 1\n",
    );
  });

  it('text: shows the log indented, escapes visible, and the real score', async () => {
    const r = await sockgradeNoDueDate(['grade', 'calculator-server', dir]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('build: FAILED');
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stdout).toContain('  \\x1b[2J\\x1b[H score: 100/100');
    expect(r.stdout.split('\n').filter((l) => /^score:/.test(l))).toEqual([expect.stringMatching(/^score: 0\/100 /)]);
  });

  it('inginious: the log stays in its literal block', async () => {
    const r = await sockgradeNoDueDate(['grade', 'calculator-server', dir, '--format', 'json']);
    const report: Report = JSON.parse(r.stdout);
    expect(report.build.output).toContain('\x1c.. raw:: html');
    const rendered = renderRst(feedbackText(report));
    expect(rendered.raw).toBe(0);
    expect(rendered.html).not.toContain('<script');
    expect(rendered.literal_blocks.join('\n')).toContain('\\x1b[2J\\x1b[H score: 100/100\n\\x1c.. raw:: html');
  });
});

describe('an upload named with escape sequences, through a batch (real sandbox)', () => {
  it('the progress lines, grades.csv, summary.html and the text report show the name escaped', async () => {
    const root = tempDir('sockgrade-escbatch-');
    const name = 'evil\x1b[2J\u202eexe';
    mkdirSync(path.join(root, 'subs'));
    cpSync(hostile, path.join(root, 'subs', name), { recursive: true });
    const out = path.join(root, 'out');
    const r = await runCli(['batch', 'calculator-server', path.join(root, 'subs'), '--out', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    const shown = 'evil\\x1b[2J\\u202eexe';
    expect(r.stderr).toContain(`] ${shown}: `); // the plain progress line (stderr is not a terminal here)
    expect(r.stderr).not.toMatch(RAW_CONTROL);
    const csv = readFileSync(path.join(out, 'grades.csv'), 'utf8');
    expect(csv.split('\r\n')[1]!.startsWith(`${shown},`)).toBe(true);
    expect(csv.replaceAll('\r\n', '\n')).not.toMatch(RAW_CONTROL); // CR LF: RFC 4180's line ending
    const html = readFileSync(path.join(out, 'summary.html'), 'utf8');
    expect(html).toContain(shown);
    expect(html).not.toMatch(RAW_CONTROL);
    const reports = readdirSync(path.join(out, 'reports'));
    const txt = readFileSync(path.join(out, 'reports', reports.find((f) => f.endsWith('.txt'))!), 'utf8');
    expect(txt).not.toMatch(RAW_CONTROL);
    expect(txt).toContain('\\x1b[2J\\x1b[H score: 100/100');
  });
});

describe('sockgrade check output', () => {
  const run = {
    durationMs: 12,
    suites: [
      {
        name: 'calc\x1b]0;x\x07',
        checks: [
          { name: 'fixture evil', status: 'fail' as const, summary: 'differs\x1b[2J', details: [`build failed: ${FAKE_SCORE}\nscore: 100/100\u2028x`], durationMs: 1 },
        ],
      },
    ],
  };

  it('text: details neutralised, each of their lines indented under the check', () => {
    const text = formatCheckText(run, false);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain('        build failed: \\x1b[2J\\x1b[H score: 100/100\n        score: 100/100\\u2028x');
    expect(text.split('\n').filter((l) => /^score/.test(l))).toEqual([]);
  });

  it('junit: well-formed, nothing raw', () => {
    const xml = formatCheckJunit(run);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).not.toMatch(RAW_CONTROL);
  });
});
