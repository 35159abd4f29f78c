// summary.html as a teaching assistant uses it, in a real headless Chromium:
// a real batch (correct, byte-order, crash, two integer answers of the wrong
// length, a build failure, a corrupt archive, a hostile student id) graded in the real sandbox, then
// the page opened, clicked and read. What they notice: who failed what, the
// matrix sorts and filters, a student's row says everything, why a
// submission was not tested, mistakes grouped whatever their numbers, and a
// class of 300 stays readable. Screenshots go to SOCKGRADE_SCREENSHOTS when
// set (to look at them), else to a temporary folder.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mistakeKey, rateClass, summaryHtml } from '../grader/batch/summary-page.js';
import type { GradeRecord } from '../grader/batch/store.js';
import { Chromium, type Page } from './chromium.js';
import { copyFixture, parseCsv, runCli, task, tempDir } from './helpers.js';

const CHROMIUM = await execa('which', ['chromium'], { reject: false }).then((r) => (r.exitCode === 0 ? r.stdout.trim() : null));
const SHOTS = process.env.SOCKGRADE_SCREENSHOTS ?? tempDir('sockgrade-shots-');
mkdirSync(SHOTS, { recursive: true });
const HOSTILE = '"><img src=x onerror=alert(1)>';

describe('mistakeKey', () => {
  it('makes one mistake of feedback that differs only by its numbers, ports or bytes', () => {
    expect(mistakeKey('no answer within 1000 ms')).toBe(mistakeKey('no answer within 1001 ms'));
    expect(mistakeKey('did not bind UDP port 10000 (IPv6) within 2000 ms')).toBe(mistakeKey('did not bind UDP port 10001 (IPv6) within 1500 ms'));
    expect(mistakeKey('got: 80 19 00 00 00')).toBe(mistakeKey('got: 00 00 03 b1'));
    expect(mistakeKey('no answer within 1000 ms')).not.toBe(mistakeKey('sent no datagram within 1000 ms'));
  });
});

describe('rateClass', () => {
  it('colours a pass rate red under 50 %, amber under 80 %, green from 80 %', () => {
    expect([0, 49, 50, 79, 80, 100].map(rateClass)).toEqual(['low', 'low', 'mid', 'mid', 'high', 'high']);
  });
});

describe.skipIf(!CHROMIUM)(CHROMIUM ? 'summary.html in Chromium' : 'summary.html in Chromium: SKIPPED, chromium is not installed (CI installs it: .ci/install-system-deps.sh --with-browser)', () => {
  let out: string;
  let url: string;
  let browser: Chromium;
  let page: Page;
  const students = [HOSTILE, 'alice', 'bob', 'carol', 'eve', 'frank, jr.', 'gina', 'kim', 'lou'];

  beforeAll(async () => {
    const base = tempDir();
    const dir = path.join(base, 'submissions');
    out = path.join(base, 'grades');
    mkdirSync(dir);
    copyFixture('correct-c-plain', path.join(dir, 'alice'));
    copyFixture('correct-python', path.join(dir, 'bob'));
    copyFixture('host-byte-order', path.join(dir, 'carol'));
    copyFixture('crash-on-empty', path.join(dir, 'frank, jr.'));
    // kim and lou send integer answers 8 and 6 bytes long instead of 4: one mistake, two numbers.
    for (const [id, bytes] of [['kim', 8], ['lou', 6]] as const) {
      copyFixture('correct-c-plain', path.join(dir, id));
      const server = path.join(dir, id, 'server.c');
      const source = readFileSync(server, 'utf8');
      expect(source).toContain('rlen += 4;');
      writeFileSync(server, source.replace('rlen += 4;', `rlen += ${bytes};`));
    }
    copyFixture('correct-c-plain', path.join(dir, HOSTILE));
    mkdirSync(path.join(dir, 'gina'));
    writeFileSync(path.join(dir, 'gina', 'server.c'), 'int main(void) {\n  return 0\n}\n'); // a missing ';'
    writeFileSync(path.join(dir, 'eve.zip'), 'PK\x03\x04 this is not a zip archive at all');
    const r = await runCli(['batch', 'calculator-server', dir, '--out', out, '--jobs', '2']);
    expect(r.exitCode, r.stderr).toBe(0);
    url = `file://${path.join(out, 'summary.html')}`;
    browser = Chromium.launch(CHROMIUM!);
    page = await browser.newPage(1280, 900);
    await page.open(url);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
  });

  const rowOrder = () => page.eval<string[]>(`[...document.querySelectorAll('#matrix tbody tr')].filter((r) => !r.hidden).map((r) => r.dataset.id)`);

  it('puts the reason a submission was not tested in grades.csv', () => {
    const [header, ...rows] = parseCsv(readFileSync(path.join(out, 'grades.csv'), 'utf8'));
    expect(header!.at(-1)).toBe('reason');
    const reason = new Map(rows.map((r) => [r[0]!, r.at(-1)!]));
    expect(reason.get('gina')).toMatch(/^build failed: server\.c:2:\d+: error: expected .;. before .}. token$/);
    expect(reason.get('eve')).toMatch(/^archive rejected: .*eve\.zip: corrupt or unreadable archive/);
    for (const id of ['alice', 'bob', 'carol', 'frank, jr.', 'kim', 'lou']) expect(reason.get(id), id).toBe('');
  });

  it('is one self-contained file: one inline script, nothing fetched, nothing the page complains about', async () => {
    const html = readFileSync(path.join(out, 'summary.html'), 'utf8');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/<script[^>]*src|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-/);
    // The policy lets the inline script run (it shows the controls) and the page logged no violation or error.
    expect(await page.eval<boolean>(`document.querySelector('.controls').hidden`)).toBe(false);
    expect(page.problems).toEqual([]);
    // The hostile id is text, not an element.
    expect(await page.eval<number>(`document.querySelectorAll('img').length`)).toBe(0);
  });

  it('shows a student × test matrix: pass, fail and the result class in each cell', async () => {
    expect(await rowOrder()).toEqual(students);
    const tests = task('calculator-server').tests.map((t) => t.id);
    expect(await page.eval<string[]>(`[...document.querySelectorAll('#matrix thead th.t')].map((th) => th.textContent)`)).toEqual(tests);
    // A student's row, as the TA reads it.
    const row = (id: string) =>
      page.eval<{ link: string; score: string; result: string; cells: { text: string; cls: string; title: string }[] }>(`(() => {
        const r = [...document.querySelectorAll('#matrix tbody tr')].find((r) => r.dataset.id === ${JSON.stringify(id)});
        return { link: r.querySelector('th a').getAttribute('href'), score: r.querySelector('.score').textContent, result: r.querySelector('.res').textContent,
          cells: [...r.querySelectorAll('td.c, td.reason')].map((c) => ({ text: c.textContent, cls: c.className, title: c.title })) };
      })()`);
    const carol = await row('carol');
    expect(carol.link).toBe('reports/carol.txt');
    expect(carol.result).toBe('failed');
    expect(Number(carol.score)).toBeLessThan(50);
    expect(carol.cells).toHaveLength(tests.length);
    expect(carol.cells[tests.indexOf('sum-int')]).toEqual({ text: '✗', cls: 'c result-failed', title: 'sum-int: failed' });
    expect(carol.cells[tests.indexOf('sum-text')]).toEqual({ text: '✓', cls: 'c result-success', title: 'sum-text: passed' });
    const frank = await row('frank, jr.');
    expect(frank.cells[tests.indexOf('malformed-empty')]).toEqual({ text: 'C', cls: 'c result-crash', title: 'malformed-empty: crash' });
    expect(frank.cells.filter((c) => c.text === '✓')).toHaveLength(tests.length - 1);
    // No test ran: the row says why, across the test columns.
    const gina = await row('gina');
    expect(gina.cells).toHaveLength(1);
    expect(gina.cells[0]!.text).toMatch(/^build failed: server\.c:2:\d+: error: expected/);
    expect((await row('eve')).cells[0]!.text).toMatch(/^archive rejected: .*corrupt or unreadable archive/);
    expect((await row(HOSTILE)).link).toBe(`reports/${encodeURIComponent(HOSTILE)}.txt`);
    // The same reasons in their own section.
    expect(await page.eval<string[]>(`[...document.querySelectorAll('#not-graded tbody tr')].map((r) => r.dataset.id)`)).toEqual(['eve', 'gina']);
  });

  it('sorts by score, result and name when a header is clicked', async () => {
    const scores = await page.eval<Record<string, number>>(`Object.fromEntries([...document.querySelectorAll('#matrix tbody tr')].map((r) => [r.dataset.id, Number(r.dataset.score)]))`);
    await page.click('#matrix th[data-sort=score] button');
    const ascending = await rowOrder();
    expect(ascending.map((id) => scores[id])).toEqual(Object.values(scores).sort((a, b) => a - b));
    expect(ascending.slice(0, 2)).toEqual(['eve', 'gina']); // score 0, then by name
    expect(await page.eval<string>(`document.querySelector('#matrix th[data-sort=score]').getAttribute('aria-sort')`)).toBe('ascending');
    await page.click('#matrix th[data-sort=score] button');
    expect((await rowOrder()).map((id) => scores[id])).toEqual(Object.values(scores).sort((a, b) => b - a));
    // Worst result first: crash, then failed (by name), then success.
    await page.click('#matrix th[data-sort=result] button');
    expect(await rowOrder()).toEqual(['frank, jr.', 'carol', 'eve', 'gina', 'kim', 'lou', HOSTILE, 'alice', 'bob']);
    await page.click('#matrix th[data-sort=name] button');
    expect(await rowOrder()).toEqual(students);
    await page.click('#matrix th[data-sort=name] button');
    expect(await rowOrder()).toEqual([...students].reverse());
    await page.click('#matrix th[data-sort=name] button');
    writeFileSync(path.join(SHOTS, 'desktop.png'), await page.screenshot(true));
  });

  it('filters the matrix to the students who failed one test', async () => {
    const tests = task('calculator-server').tests.map((t) => t.id);
    await page.click('#filter');
    // Keyboard on the focused list: each ArrowDown picks the next test.
    for (let i = 0; i <= tests.indexOf('malformed-empty'); i++) await page.press('ArrowDown', 'ArrowDown', 40);
    await page.press('Escape', 'Escape', 27);
    expect(await page.eval<string>(`document.getElementById('filter').selectedOptions[0].textContent`)).toBe('who failed malformed-empty');
    expect(await rowOrder()).toEqual(['carol', 'frank, jr.', 'kim', 'lou']);
    expect(await page.eval<string>(`document.getElementById('shown').textContent`)).toBe('4 of 9 students');
    expect(await page.eval<string>(`document.querySelector('#matrix th.t.focus').textContent`)).toBe('malformed-empty');
    writeFileSync(path.join(SHOTS, 'filtered.png'), await page.screenshot());
    await page.eval(`(() => { const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('change')); })()`);
    expect(await rowOrder()).toEqual(students);
  });

  it('lists under each test who failed it, with a pass-rate bar coloured by rate', async () => {
    const test = (id: string) =>
      page.eval<{ cls: string; rate: string; failed: string[]; notRun: string }>(`(() => {
        const r = document.querySelector('#tests tr[data-test=${JSON.stringify(id)}]');
        return { cls: r.className, rate: r.querySelector('.rate-text').textContent,
          failed: [...r.querySelectorAll('.failers li')].map((li) => li.textContent), notRun: r.querySelector('.failers .not-run').textContent };
      })()`);
    expect(await test('malformed-empty')).toEqual({ cls: 'rate-low', rate: '3/7 (43%)', failed: ['carol', 'frank, jr. crash', 'kim', 'lou'], notRun: '2 not run' });
    expect(await test('sum-int')).toEqual({ cls: 'rate-mid', rate: '4/7 (57%)', failed: ['carol', 'kim', 'lou'], notRun: '2 not run' });
    expect(await test('bad-address')).toEqual({ cls: 'rate-high', rate: '7/7 (100%)', failed: [], notRun: '2 not run' });
    const fills = await page.eval<Record<string, string>>(`Object.fromEntries(['low', 'mid', 'high'].map((c) => [c, getComputedStyle(document.querySelector('.rate-' + c + ' .fill')).fill]))`);
    expect(fills).toEqual({ low: 'rgb(198, 40, 40)', mid: 'rgb(224, 161, 0)', high: 'rgb(46, 157, 91)' });
  });

  it('groups the most frequent mistakes whatever their numbers, each with its students', async () => {
    const mistakes = await page.eval<{ text: string; tests: string; who: string[] }[]>(`[...document.querySelectorAll('#feedback li.mistake')].map((li) => ({ text: li.querySelector('q').textContent, tests: li.querySelector('.tests').textContent.slice(1).split(':')[0], who: [...li.querySelectorAll('ul.who li')].map((x) => x.textContent) }))`);
    const byteOrder = mistakes.find((m) => /byte order/.test(m.text));
    expect(byteOrder?.who).toEqual(['carol']);
    // kim's and lou's answers: one mistake, its number shown as the range it took.
    const length = mistakes.filter((m) => /^the integer answer must be exactly 4 bytes after the header, got/.test(m.text));
    expect(length).toHaveLength(1);
    expect(length[0]!.text).toBe('the integer answer must be exactly 4 bytes after the header, got 6–8');
    expect(length[0]!.who).toEqual(['kim', 'lou']);
    expect(length[0]!.tests).toMatch(/^\d+ failing tests$/);
  });

  it('reads the same without the script: every row, in the batch order, no dead controls', async () => {
    const plain = await browser.newPage(1280, 900);
    await plain.send('Emulation.setScriptExecutionDisabled', { value: true });
    await plain.open(url);
    expect(await plain.eval<boolean>(`document.querySelector('.controls').hidden`)).toBe(true);
    expect(await plain.eval<number>(`document.querySelectorAll('#matrix th button').length`)).toBe(0);
    expect(await plain.eval<number>(`document.querySelectorAll('#matrix tbody tr').length`)).toBe(students.length);
  });

  it('fits a phone-width screen: only the matrix and tables scroll sideways', async () => {
    const narrow = await browser.newPage(390, 844);
    await narrow.open(url);
    expect(await narrow.eval<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    // Who failed a test is on screen without scrolling sideways.
    expect(await narrow.eval<number>(`document.querySelector('#tests tr[data-test=sum-int] .failers').getBoundingClientRect().right`)).toBeLessThanOrEqual(390);
    writeFileSync(path.join(SHOTS, 'narrow.png'), await narrow.screenshot(true));
    writeFileSync(path.join(SHOTS, 'narrow-top.png'), await narrow.screenshot());
    await narrow.eval(`document.getElementById('tests').scrollIntoView()`);
    writeFileSync(path.join(SHOTS, 'narrow-tests.png'), await narrow.screenshot());
    await narrow.eval(`document.getElementById('feedback').scrollIntoView()`);
    writeFileSync(path.join(SHOTS, 'narrow-mistakes.png'), await narrow.screenshot());
  });

  it('keeps a class of 300 × 20 tests usable: the header and the names stay in view while scrolling', async () => {
    // The real grades of this batch, handed out to 300 students: the page is what is under test here.
    const real = readFileSync(path.join(out, 'records.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as GradeRecord);
    const many = Array.from({ length: 300 }, (_, i) => ({ ...real[i % real.length]!, id: `student-${String(i).padStart(3, '0')}-with-a-longish-name` }));
    const file = path.join(out, 'big.html');
    writeFileSync(file, summaryHtml(task('calculator-server'), many));
    const big = await browser.newPage(1280, 900);
    await big.open(`file://${file}`);
    const view = () =>
      big.eval<{ wrapTop: number; headTop: number; wrapLeft: number; nameLeft: number; scrolled: [number, number] }>(`(() => {
        const wrap = document.querySelector('.matrix-wrap');
        const row = document.querySelectorAll('#matrix tbody tr')[150];
        return { wrapTop: wrap.getBoundingClientRect().top, headTop: document.querySelector('#matrix thead th.t').getBoundingClientRect().top,
          wrapLeft: wrap.getBoundingClientRect().left, nameLeft: row.querySelector('th').getBoundingClientRect().left, scrolled: [wrap.scrollTop, wrap.scrollLeft] };
      })()`);
    await big.eval(`document.querySelector('.matrix-wrap').scrollIntoView()`);
    await big.eval(`(() => { const w = document.querySelector('.matrix-wrap'); w.scrollTop = 3000; })()`);
    const down = await view();
    expect(down.scrolled[0]).toBeGreaterThan(2000);
    expect(Math.abs(down.headTop - down.wrapTop)).toBeLessThanOrEqual(2); // the test ids stay on top
    writeFileSync(path.join(SHOTS, 'big-scrolled.png'), await big.screenshot());
    // Sideways on a narrow screen: the names stay on the left.
    await big.resize(600, 800);
    await big.eval(`(() => { const w = document.querySelector('.matrix-wrap'); w.scrollIntoView(); w.scrollLeft = 400; })()`);
    const side = await view();
    expect(side.scrolled[1]).toBeGreaterThan(100);
    expect(Math.abs(side.nameLeft - side.wrapLeft)).toBeLessThanOrEqual(2);
    writeFileSync(path.join(SHOTS, 'big-narrow-sideways.png'), await big.screenshot());
    // Sorting 300 rows still works.
    await big.click('#matrix th[data-sort=score] button');
    const scores = await big.eval<number[]>(`[...document.querySelectorAll('#matrix tbody tr')].map((r) => Number(r.dataset.score))`);
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
    expect(big.problems).toEqual([]);
  });
});
