// summary.html: the batch at a glance, for a teaching assistant: who failed
// what (a student × test matrix), under each test who failed it, why a
// submission did not build or was rejected, the most frequent mistakes and
// who made them, the score histogram. One self-contained file (inline CSS and
// SVG, nothing fetched, a content security policy that forbids fetching), so
// it opens anywhere, offline, and can be mailed around. A small inline script
// sorts and filters the matrix; without it the page reads the same, in the
// batch's order. Everything a student wrote or sent (ids, feedback quoting
// their bytes, compiler output) is escaped, control characters included
// (grader/report/neutralise.ts), and the script reads it from the page as
// data, never as code.
import { createHash } from 'node:crypto';
import type { TestResult } from '../verdict/primitives.js';
import { cut } from '../excerpt.js';
import { htmlText } from '../report/neutralise.js';
import type { TestReport } from '../report/model.js';
import type { Task } from '../model/task.js';
import { failureReason, reportBaseName } from './gradebook.js';
import type { GradeRecord } from './store.js';

const RESULTS: TestResult[] = ['success', 'failed', 'timeout', 'crash', 'overflow', 'killed', 'error'];
/** Worst first when sorting by result: the grader's failure, then overflow > killed > timeout > crash > failed. */
const SEVERITY: Record<TestResult, number> = { success: 0, failed: 1, crash: 2, timeout: 3, killed: 4, overflow: 5, error: 6 };
/** What a matrix cell shows; the legend and each cell's title say it in words. */
const MARK: Record<TestResult, string> = { success: '✓', failed: '✗', timeout: 'T', crash: 'C', overflow: 'O', killed: 'K', error: 'E' };
const MISTAKES_SHOWN = 12;
const FEEDBACK_CHARS = 300;
/** Lists of students longer than this start folded (a <details> opens without any script). */
const OPEN_UP_TO = 12;

const round2 = (n: number) => Math.round(n * 100) / 100;
const percent = (n: number, of: number) => (of ? Math.round((n / of) * 100) : 0);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Eleven bins: [0,10), [10,20) ... [90,100), and 100 on its own (full marks). */
export function scoreBins(scores: number[]): { label: string; count: number }[] {
  const bins = Array.from({ length: 11 }, (_, i) => ({ label: i === 10 ? '100' : `${i * 10}–${i * 10 + 10}`, count: 0 }));
  for (const s of scores) bins[s >= 100 ? 10 : Math.max(0, Math.floor(s / 10))]!.count++;
  return bins;
}

function histogram(scores: number[]): string {
  const bins = scoreBins(scores);
  const max = Math.max(1, ...bins.map((b) => b.count));
  const [w, h, left, bottom, top] = [660, 240, 30, 34, 18];
  const slot = (w - left) / bins.length;
  const bars = bins
    .map((b, i) => {
      const bh = Math.round((b.count / max) * (h - bottom - top));
      const x = Math.round(left + i * slot + 4);
      const y = h - bottom - bh;
      const bw = Math.round(slot - 8);
      return [
        `<rect class="bar${i === 10 ? ' full' : ''}" x="${x}" y="${y}" width="${bw}" height="${bh}"><title>scores ${b.label}: ${b.count} student(s)</title></rect>`,
        `<text class="count" x="${x + bw / 2}" y="${y - 4}">${b.count}</text>`,
        `<text class="bin" x="${x + bw / 2}" y="${h - bottom + 16}">${b.label}</text>`,
      ].join('');
    })
    .join('\n');
  return `<svg class="histogram" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="score histogram">
<line class="axis" x1="${left}" y1="${h - bottom}" x2="${w}" y2="${h - bottom}"/>
${bars}
<text class="axis-label" x="${w / 2}" y="${h - 2}">score</text>
</svg>`;
}

/** low under 50 %, mid under 80 %, high from 80 %: a test most students fail stands out in red. */
export function rateClass(rate: number): 'low' | 'mid' | 'high' {
  return rate < 50 ? 'low' : rate < 80 ? 'mid' : 'high';
}

function rateBar(rate: number): string {
  const w = 160;
  return `<svg class="rate" width="${w}" height="14" viewBox="0 0 ${w} 14" aria-hidden="true"><rect class="track" width="${w}" height="14"/><rect class="fill" width="${Math.round((rate / 100) * w)}" height="14"/></svg>`;
}

/** Each student's result for one test, or undefined when the test did not run for them. */
function resultsOf(records: GradeRecord[], testId: string): { record: GradeRecord; test: TestReport | undefined }[] {
  return records.map((record) => ({ record, test: record.report.tests.find((x) => x.id === testId) }));
}

/** Students as a list, each with its result (in words when not a plain failure); folded when long. */
function studentList(items: { id: string; result: TestResult }[], what: string): string {
  if (!items.length) return '';
  const li = items.map((s) => `<li class="result-${s.result}"><span class="id">${htmlText(s.id)}</span>${s.result === 'failed' ? '' : ` <small>${s.result}</small>`}</li>`).join('');
  const list = `<ul class="who">${li}</ul>`;
  return items.length <= OPEN_UP_TO ? list : `<details><summary>${plural(items.length, 'student')} ${what}</summary>${list}</details>`;
}

function testRows(task: Task, records: GradeRecord[]): string {
  return task.tests
    .map((t) => {
      const all = resultsOf(records, t.id);
      const ran = all.filter((x) => x.test !== undefined);
      const passed = ran.filter((x) => x.test!.passed).length;
      const rate = percent(passed, ran.length);
      const failed = ran.filter((x) => !x.test!.passed).map((x) => ({ id: x.record.id, result: x.test!.result }));
      const notRun = all.length - ran.length;
      const who = (studentList(failed, 'failed it') || '<span class="none">nobody</span>') + (notRun ? ` <span class="not-run">${notRun} not run</span>` : '');
      // A test that ran for nobody has no rate to colour.
      const cls = ran.length ? `rate-${rateClass(rate)}` : 'rate-none';
      return `<tr data-test="${htmlText(t.id)}" class="${cls}"><td><code>${htmlText(t.id)}</code><br><span class="name">${htmlText(t.name)}</span></td><td class="num weight">${t.weight}</td><td>${rateBar(rate)}</td><td class="num rate-text">${passed}/${ran.length} (${rate}%)</td><td class="failers">${who}</td></tr>`;
    })
    .join('\n');
}

// A number in feedback: a byte dump ("80 19 00 00"), a hex value, a decimal one (a port, a time, a count).
const NUMBER = /\b[0-9a-f]{2}(?: [0-9a-f]{2})+\b|\b0x[0-9a-f]+\b|\d+(?:\.\d+)?/gi;
const isNumber = (m: string) => /\d/.test(m);

/**
 * Feedback with its numbers replaced by '#': "no answer within 1000 ms" and
 * "no answer within 1001 ms" are one mistake, as are two ports, two values or
 * two byte dumps.
 */
export function mistakeKey(feedback: string): string {
  return feedback.replace(NUMBER, (m) => (isNumber(m) ? '#' : m));
}

/**
 * One mistake's wording, as HTML: its most frequent variant, where each
 * number that differs between variants is shown as its range (1000–1048 ms)
 * or, not a plain number, as #.
 */
function mistakeWording(variants: Map<string, number>): string {
  const texts = [...variants.entries()].sort((a, b) => b[1] - a[1]).map(([t]) => t);
  const numbersOf = (t: string) => [...t.matchAll(NUMBER)].map((m) => m[0]).filter(isNumber);
  const columns = texts.map(numbersOf);
  const shown = cut(texts[0]!, FEEDBACK_CHARS, '…');
  let html = '';
  let last = 0;
  let i = 0;
  for (const m of shown.matchAll(NUMBER)) {
    if (!isNumber(m[0])) continue;
    const values = [...new Set(columns.map((c) => c[i]).filter((v): v is string => v !== undefined))];
    i++;
    html += htmlText(shown.slice(last, m.index));
    last = m.index + m[0].length;
    if (values.length <= 1) html += htmlText(m[0]);
    else if (values.every((v) => /^\d+(\.\d+)?$/.test(v))) {
      const n = values.map(Number);
      html += `<var>${Math.min(...n)}–${Math.max(...n)}</var>`;
    } else html += '<var>#</var>';
  }
  return html + htmlText(shown.slice(last));
}

/** The feedback students got most often (numbers aside), each with who got it and from which tests. */
function frequentMistakes(records: GradeRecord[]): string {
  interface Mistake { students: Set<string>; times: number; tests: Set<string>; variants: Map<string, number> }
  const byKey = new Map<string, Mistake>();
  for (const r of records) {
    for (const t of r.report.tests) {
      if (t.passed || !t.feedback) continue;
      const key = mistakeKey(t.feedback);
      const m = byKey.get(key) ?? { students: new Set<string>(), times: 0, tests: new Set<string>(), variants: new Map<string, number>() };
      m.students.add(r.id);
      m.times++;
      m.tests.add(t.id);
      m.variants.set(t.feedback, (m.variants.get(t.feedback) ?? 0) + 1);
      byKey.set(key, m);
    }
  }
  const top = [...byKey.entries()]
    .sort((a, b) => b[1].students.size - a[1].students.size || b[1].times - a[1].times || (a[0] < b[0] ? -1 : 1))
    .slice(0, MISTAKES_SHOWN);
  if (!top.length) return '<p class="none">No failing test gave feedback.</p>';
  const items = top.map(([, m]) => {
    const variants = m.variants.size === 1 ? '' : ` <span class="variants">(${m.variants.size} variants, numbers differ)</span>`;
    const where = `${plural(m.times, 'failing test')}: ${[...m.tests].map((id) => `<code>${htmlText(id)}</code>`).join(', ')}`;
    const who = studentList([...m.students].map((id) => ({ id, result: 'failed' as const })), 'made it');
    return `<li class="mistake"><span class="times">${plural(m.students.size, 'student')}</span> <q>${mistakeWording(m.variants)}</q>${variants} <span class="tests">(${where})</span>${who}</li>`;
  });
  return `<ol class="feedback">\n${items.join('\n')}\n</ol>`;
}

function identicalGroups(records: GradeRecord[]): string {
  const groups = new Map<string, GradeRecord[]>();
  for (const r of records) groups.set(r.submissionHash, [...(groups.get(r.submissionHash) ?? []), r]);
  const same = [...groups.values()].filter((g) => g.length > 1).sort((a, b) => b.length - a.length);
  if (!same.length) return '<p class="none">Every submission is different from the others.</p>';
  const items = same.map(
    (g) =>
      `<li class="group">${g.length} students, score ${g[0]!.report.score}: ${g.map((r) => `<span class="student">${htmlText(r.id)}</span>`).join(', ')}</li>`,
  );
  return `<ul class="identical">\n${items.join('\n')}\n</ul>`;
}

function reportLink(r: GradeRecord): string {
  const href = `reports/${encodeURIComponent(reportBaseName(r.id))}.txt`;
  return `<a href="${htmlText(href)}" title="${htmlText(r.id)}">${htmlText(r.id)}</a>`;
}

/** Students none of whose tests ran, and why. */
function notGraded(records: GradeRecord[]): string {
  const rows = records
    .map((r) => ({ r, reason: failureReason(r.report) }))
    .filter((x) => x.reason)
    .map(({ r, reason }) => `<tr data-id="${htmlText(r.id)}"><td>${reportLink(r)}</td><td class="result-${r.report.result}">${r.report.result}</td><td class="reason">${htmlText(reason)}</td></tr>`);
  if (!rows.length) return '<p class="none">Every submission was built and tested.</p>';
  return `<div class="scroll"><table class="reasons">\n<thead><tr><th>student</th><th>result</th><th>reason</th></tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody>\n</table></div>`;
}

function matrix(task: Task, records: GradeRecord[]): string {
  const head = task.tests
    .map((t, i) => `<th class="t" data-test="${htmlText(t.id)}" data-col="${i}" title="${htmlText(`${t.id}: ${t.name}`)}"><span>${htmlText(t.id)}</span></th>`)
    .join('');
  const rows = records.map((r) => {
    const byTest = new Map(r.report.tests.map((t) => [t.id, t]));
    const fails = task.tests.flatMap((t, i) => (byTest.get(t.id) && !byTest.get(t.id)!.passed ? [i] : []));
    const reason = failureReason(r.report);
    const cells = !r.report.tests.length && reason
      ? `<td class="reason" colspan="${task.tests.length}">${htmlText(reason)}</td>`
      : task.tests
          .map((t) => {
            const got = byTest.get(t.id);
            if (!got) return `<td class="c not-run" title="${htmlText(t.id)}: not run">·</td>`;
            return `<td class="c result-${got.result}" title="${htmlText(t.id)}: ${got.passed ? 'passed' : got.result}">${MARK[got.result]}</td>`;
          })
          .join('');
    return `<tr data-id="${htmlText(r.id)}" data-score="${r.report.score}" data-severity="${SEVERITY[r.report.result]}" data-fails="${fails.join(' ')}"><th class="student" scope="row">${reportLink(r)}</th><td class="num score">${r.report.score}</td><td class="res result-${r.report.result}">${r.report.result}</td>${cells}</tr>`;
  });
  const options = task.tests.map((t, i) => `<option value="${i}">who failed ${htmlText(t.id)}</option>`).join('');
  const legend = [...RESULTS.map((res) => `<span><span class="c result-${res}">${MARK[res]}</span> ${res === 'success' ? 'passed' : res}</span>`), '<span><span class="c not-run">·</span> not run</span>'].join(' ');
  return `<p class="legend">${legend}</p>
<p class="controls" hidden><label>Show <select id="filter"><option value="">every student</option>${options}</select></label> <output id="shown"></output> <span class="hint">Click <b>student</b>, <b>score</b> or <b>result</b> to sort.</span></p>
<div class="matrix-wrap" tabindex="0">
<table id="matrix">
<thead><tr><th class="student" data-sort="name" aria-sort="ascending">student</th><th data-sort="score">score</th><th data-sort="result">result</th>${head}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</div>`;
}

// Sorting and filtering the matrix: reads data-* attributes as strings and
// numbers, moves rows, never writes HTML. Without it the controls stay hidden.
const SCRIPT = `
(() => {
  const table = document.getElementById('matrix');
  const body = table.tBodies[0];
  const rows = [...body.rows];
  const byName = (a, b) => (a.dataset.id < b.dataset.id ? -1 : a.dataset.id > b.dataset.id ? 1 : 0);
  const orders = {
    name: byName,
    score: (a, b) => Number(a.dataset.score) - Number(b.dataset.score) || byName(a, b),
    result: (a, b) => Number(b.dataset.severity) - Number(a.dataset.severity) || byName(a, b),
  };
  for (const th of table.tHead.querySelectorAll('th[data-sort]')) {
    const button = document.createElement('button');
    button.type = 'button';
    button.append(...th.childNodes);
    th.append(button);
    button.addEventListener('click', () => {
      const flip = th.getAttribute('aria-sort') === 'ascending';
      for (const other of table.tHead.querySelectorAll('th[aria-sort]')) other.removeAttribute('aria-sort');
      th.setAttribute('aria-sort', flip ? 'descending' : 'ascending');
      const order = orders[th.dataset.sort];
      body.append(...rows.sort((a, b) => (flip ? -order(a, b) : order(a, b))));
    });
  }
  const filter = document.getElementById('filter');
  const shown = document.getElementById('shown');
  const apply = () => {
    const col = filter.value;
    let n = 0;
    for (const row of rows) {
      row.hidden = col !== '' && !row.dataset.fails.split(' ').includes(col);
      if (!row.hidden) n++;
    }
    for (const th of table.tHead.querySelectorAll('th.t')) th.classList.toggle('focus', th.dataset.col === col);
    shown.value = n + ' of ' + rows.length + ' students';
  };
  filter.addEventListener('change', apply);
  apply();
  document.querySelector('.controls').hidden = false;
})();
`;

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 80em; padding: 0 1em; color: #1d2330; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #d8dce5; }
nav a { margin-right: 1em; white-space: nowrap; display: inline-block; }
.meta, .none, .name, .hint, .variants { color: #5b6473; }
.cards { display: flex; flex-wrap: wrap; gap: .8em; margin: 1em 0; }
.card { border: 1px solid #d8dce5; border-radius: 6px; padding: .5em 1em; min-width: 7em; }
.card b { display: block; font-size: 1.4em; }
table { border-collapse: collapse; } td, th { padding: .2em .6em; text-align: left; border-bottom: 1px solid #eef0f4; vertical-align: top; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .rate-text { white-space: nowrap; }
.scroll { overflow-x: auto; }
svg.histogram { max-width: 100%; height: auto; }
svg .bar { fill: #4a7bd0; } svg .bar.full { fill: #2e9d5b; } svg .axis { stroke: #5b6473; }
svg text { font: 12px system-ui, sans-serif; text-anchor: middle; fill: #1d2330; }
.rate .track { fill: #eef0f4; }
.rate-high .fill { fill: #2e9d5b; } .rate-mid .fill { fill: #e0a100; } .rate-low .fill { fill: #c62828; }
tr.rate-low .rate-text { color: #b3261e; font-weight: bold; }
.times { font-weight: bold; } q { font-style: italic; } var { font-style: normal; background: #eef0f4; padding: 0 .2em; border-radius: 3px; white-space: nowrap; } .tests { color: #5b6473; }
details summary { cursor: pointer; color: #3a4558; }
ul.who { list-style: none; margin: .2em 0 .3em; padding: 0; display: flex; flex-wrap: wrap; gap: .1em .8em; } ul.who small { color: inherit; }
td.failers { max-width: 30em; } td.failers ul.who { margin: 0; }
li.mistake { margin-bottom: .6em; }
.reason { color: #7a2b1c; overflow-wrap: anywhere; }
.result-success { color: #2e7d4f; } .result-failed { color: #b3261e; } .result-timeout { color: #8a5a00; }
.result-crash { color: #7b1fa2; } .result-overflow, .result-killed { color: #6d4c41; } .result-error { color: #b3261e; font-weight: bold; }
.not-run { color: #9aa1ad; }
.legend > span { white-space: nowrap; margin-right: .4em; } .legend .c { display: inline-block; min-width: 1.4em; text-align: center; border-radius: 3px; }
.matrix-wrap { overflow: auto; max-height: 80vh; border: 1px solid #d8dce5; }
#matrix { font-size: 14px; }
#matrix th, #matrix td { border-bottom: 1px solid #eef0f4; white-space: nowrap; }
#matrix thead th { position: sticky; top: 0; background: #f6f7fa; z-index: 2; vertical-align: bottom; border-bottom: 1px solid #d8dce5; }
#matrix th.student { position: sticky; left: 0; background: #fff; z-index: 1; max-width: 16em; overflow: hidden; text-overflow: ellipsis; }
#matrix thead th.student { z-index: 3; background: #f6f7fa; }
#matrix th.t { padding: .3em .15em; }
#matrix th.t span { writing-mode: vertical-rl; transform: rotate(180deg); display: inline-block; max-height: 14em; overflow: hidden; text-overflow: ellipsis; font-weight: normal; font-family: ui-monospace, monospace; font-size: 12px; }
#matrix th.t.focus { background: #fde7c4; }
#matrix td.c { text-align: center; padding: .2em .35em; min-width: 1.2em; font-weight: bold; }
.c.result-success { background: #e6f4ea; } .c.result-failed { background: #fbe3e1; } .c.result-timeout { background: #fdf0d0; }
.c.result-crash { background: #f1e3f7; } .c.result-overflow, .c.result-killed { background: #efe7e3; } .c.result-error { background: #b3261e; color: #fff; }
#matrix td.reason { white-space: normal; font-style: italic; }
#matrix tbody tr:hover td, #matrix tbody tr:hover th { outline: 1px solid #c4cad6; }
#matrix th button { font: inherit; font-weight: bold; border: 0; background: none; padding: 0; cursor: pointer; color: inherit; }
#matrix th[aria-sort=ascending] button::after { content: " ▲"; } #matrix th[aria-sort=descending] button::after { content: " ▼"; }
.controls select { font: inherit; max-width: 100%; }
@media (max-width: 40em) {
  body { margin: 1em auto; } .cards { gap: .5em; } .card { min-width: 5em; padding: .3em .7em; } .card b { font-size: 1.15em; } #matrix th.student { max-width: 8em; } #matrix th.t span { max-height: 9em; }
  /* Each test as a block of its own: the students who failed it stay on screen. */
  #tests thead { display: none; } #tests table, #tests tbody, #tests tr { display: block; }
  #tests tr { border-bottom: 1px solid #d8dce5; padding: .4em 0; } #tests td { display: inline-block; border: 0; padding: .1em .5em .1em 0; }
  #tests td:first-child, #tests td.failers { display: block; } #tests td.weight::before { content: "weight "; color: #5b6473; }
}
`;

/** The page's content security policy: styles and this one script inline, nothing fetched from anywhere. */
function policy(script: string): string {
  const hash = createHash('sha256').update(script).digest('base64');
  return `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'`;
}

/** The figures at the top: students, mean and median score, full marks, build failures, grader errors, and the count of each result. */
function cardsHtml(records: GradeRecord[], scores: number[]): string {
  const mean = scores.length ? round2(scores.reduce((a, b) => a + b, 0) / scores.length) : 0;
  const byResult = RESULTS.map((res) => [res, records.filter((r) => r.report.result === res).length] as const).filter(([, n]) => n > 0);
  const buildFailed = records.filter((r) => !r.report.build.ok).length;
  const card = (label: string, value: string | number, id: string) => `<div class="card" id="${id}"><b>${value}</b>${label}</div>`;
  return `<div class="cards">
${card('students', records.length, 'students-count')}
${card('mean score', mean, 'mean-score')}
${card('median score', round2(median(scores)), 'median-score')}
${card('full marks', scores.filter((s) => s >= 100).length, 'full-marks')}
${card('build failed or rejected', buildFailed, 'build-failed')}
${card('grader errors', records.filter((r) => r.report.result === 'error').length, 'grader-errors')}
</div>
<p class="results">Results: ${byResult.map(([res, n]) => `<span class="result-${res}">${res} ${n}</span>`).join(', ')}</p>
`;
}

/** The page's sections, in the order the navigation lists them. */
function sectionsHtml(task: Task, records: GradeRecord[], scores: number[]): string {
  return `<section id="who-failed-what"><h2>Who failed what</h2>
${matrix(task, records)}
</section>

<section id="tests"><h2>Each test: pass rate, and who failed it</h2>
<div class="scroll"><table>
<thead><tr><th>test</th><th>weight</th><th colspan="2">passed / ran</th><th>failed by</th></tr></thead>
<tbody>
${testRows(task, records)}
</tbody>
</table></div>
</section>

<section id="feedback"><h2>Most frequent mistakes</h2>
${frequentMistakes(records)}
</section>

<section id="not-graded"><h2>Build failures, rejected archives, grader errors</h2>
${notGraded(records)}
</section>

<section id="histogram"><h2>Score histogram</h2>
${histogram(scores)}
</section>

<section id="identical"><h2>Identical submissions</h2>
${identicalGroups(records)}
</section>
`;
}

export function summaryHtml(task: Task, records: GradeRecord[], generatedAt: Date = new Date()): string {
  const scores = records.map((r) => r.report.score);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${policy(SCRIPT)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${htmlText(task.id)}: batch summary</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${htmlText(task.title)}</h1>
<p class="meta">Task <code>${htmlText(task.id)}</code>, ${records.length} student(s), generated ${htmlText(generatedAt.toISOString())} by sockgrade.</p>
${cardsHtml(records, scores)}<nav><a href="#who-failed-what">who failed what</a><a href="#tests">each test</a><a href="#feedback">frequent mistakes</a><a href="#not-graded">build failures, rejections</a><a href="#histogram">histogram</a><a href="#identical">identical submissions</a></nav>

${sectionsHtml(task, records, scores)}<script>${SCRIPT}</script>
</body>
</html>
`;
}
