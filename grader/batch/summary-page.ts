// summary.html: the batch at a glance, for a teaching assistant. One
// self-contained file (inline CSS and SVG, no script, nothing fetched), so it
// opens anywhere, offline, and can be mailed around. Everything a student
// wrote or sent (ids, feedback quoting their bytes) is escaped, control
// characters included (grader/report/neutralise.ts).
import type { TestResult } from '../verdict.js';
import { cut } from '../excerpt.js';
import { htmlText } from '../report/neutralise.js';
import type { Task } from '../task/load.js';
import { reportBaseName } from './gradebook.js';
import type { GradeRecord } from './store.js';

const RESULTS: TestResult[] = ['success', 'failed', 'timeout', 'crash', 'overflow', 'killed', 'error'];
const FEEDBACK_SHOWN = 12;
const FEEDBACK_CHARS = 300;

const round2 = (n: number) => Math.round(n * 100) / 100;
const percent = (n: number, of: number) => (of ? Math.round((n / of) * 100) : 0);

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

function rateBar(rate: number): string {
  const w = 200;
  return `<svg class="rate" width="${w}" height="14" viewBox="0 0 ${w} 14"><rect class="track" width="${w}" height="14"/><rect class="fill" width="${Math.round((rate / 100) * w)}" height="14"/></svg>`;
}

function testRows(task: Task, records: GradeRecord[]): string {
  return task.tests
    .map((t) => {
      const ran = records.map((r) => r.report.tests.find((x) => x.id === t.id)).filter((x) => x !== undefined);
      const passed = ran.filter((x) => x.passed).length;
      const rate = percent(passed, ran.length);
      return `<tr data-test="${htmlText(t.id)}"><td><code>${htmlText(t.id)}</code></td><td>${htmlText(t.name)}</td><td class="num">${t.weight}</td><td>${rateBar(rate)}</td><td class="num rate-text">${passed}/${ran.length} (${rate}%)</td></tr>`;
    })
    .join('\n');
}

/** Feedback of failing tests, by how many students got it (then how many tests gave it). */
function frequentFeedback(records: GradeRecord[]): string {
  const counts = new Map<string, { students: Set<string>; times: number; tests: Set<string> }>();
  for (const r of records) {
    for (const t of r.report.tests) {
      if (t.passed || !t.feedback) continue;
      const entry = counts.get(t.feedback) ?? { students: new Set<string>(), times: 0, tests: new Set<string>() };
      entry.students.add(r.id);
      entry.times++;
      entry.tests.add(t.id);
      counts.set(t.feedback, entry);
    }
  }
  const top = [...counts.entries()]
    .sort((a, b) => b[1].students.size - a[1].students.size || b[1].times - a[1].times || (a[0] < b[0] ? -1 : 1))
    .slice(0, FEEDBACK_SHOWN);
  if (!top.length) return '<p class="none">No failing test gave feedback.</p>';
  const items = top.map(([text, { students, times, tests }]) => {
    const shown = cut(text, FEEDBACK_CHARS, '…');
    const who = `${students.size} student${students.size === 1 ? '' : 's'}`;
    const where = `${times} failing test${times === 1 ? '' : 's'}: ${[...tests].map((id) => `<code>${htmlText(id)}</code>`).join(', ')}`;
    return `<li><span class="times">${who}</span> <q>${htmlText(shown)}</q> <span class="tests">(${where})</span></li>`;
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

function studentRows(records: GradeRecord[]): string {
  return records
    .map((r) => {
      const href = `reports/${encodeURIComponent(reportBaseName(r.id))}.txt`;
      return `<tr><td><a href="${htmlText(href)}">${htmlText(r.id)}</a></td><td class="num">${r.report.score}</td><td class="result-${r.report.result}">${r.report.result}</td></tr>`;
    })
    .join('\n');
}

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #1d2330; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #d8dce5; }
.meta, .none { color: #5b6473; }
.cards { display: flex; flex-wrap: wrap; gap: .8em; margin: 1em 0; }
.card { border: 1px solid #d8dce5; border-radius: 6px; padding: .5em 1em; min-width: 7em; }
.card b { display: block; font-size: 1.4em; }
table { border-collapse: collapse; } td, th { padding: .2em .6em; text-align: left; border-bottom: 1px solid #eef0f4; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .rate-text { white-space: nowrap; }
svg .bar { fill: #4a7bd0; } svg .bar.full { fill: #2e9d5b; } svg .axis { stroke: #5b6473; }
svg text { font: 12px system-ui, sans-serif; text-anchor: middle; fill: #1d2330; }
svg .rate .track, .rate .track { fill: #eef0f4; } .rate .fill { fill: #2e9d5b; }
.times { font-weight: bold; } q { font-style: italic; } .tests { color: #5b6473; }
.result-success { color: #2e7d4f; } .result-error { color: #b3261e; font-weight: bold; }
`;

export function summaryHtml(task: Task, records: GradeRecord[], generatedAt: Date = new Date()): string {
  const scores = records.map((r) => r.report.score);
  const mean = scores.length ? round2(scores.reduce((a, b) => a + b, 0) / scores.length) : 0;
  const byResult = RESULTS.map((res) => [res, records.filter((r) => r.report.result === res).length] as const).filter(([, n]) => n > 0);
  const buildFailed = records.filter((r) => !r.report.build.ok).length;
  const card = (label: string, value: string | number, id: string) => `<div class="card" id="${id}"><b>${value}</b>${label}</div>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${htmlText(task.id)}: batch summary</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${htmlText(task.title)}</h1>
<p class="meta">Task <code>${htmlText(task.id)}</code>, ${records.length} student(s), generated ${htmlText(generatedAt.toISOString())} by sockgrade.</p>
<div class="cards">
${card('students', records.length, 'students-count')}
${card('mean score', mean, 'mean-score')}
${card('median score', round2(median(scores)), 'median-score')}
${card('full marks', scores.filter((s) => s >= 100).length, 'full-marks')}
${card('build failed or rejected', buildFailed, 'build-failed')}
${card('grader errors', records.filter((r) => r.report.result === 'error').length, 'grader-errors')}
</div>
<p class="results">Results: ${byResult.map(([res, n]) => `<span class="result-${res}">${res} ${n}</span>`).join(', ')}</p>

<section id="histogram"><h2>Score histogram</h2>
${histogram(scores)}
</section>

<section id="tests"><h2>Pass rate per test</h2>
<table>
<thead><tr><th>test</th><th>name</th><th>weight</th><th colspan="2">passed / ran</th></tr></thead>
<tbody>
${testRows(task, records)}
</tbody>
</table>
</section>

<section id="feedback"><h2>Most frequent feedback</h2>
${frequentFeedback(records)}
</section>

<section id="identical"><h2>Identical submissions</h2>
${identicalGroups(records)}
</section>

<section id="students"><h2>Students</h2>
<table>
<thead><tr><th>id</th><th>score</th><th>result</th></tr></thead>
<tbody>
${studentRows(records)}
</tbody>
</table>
</section>
</body>
</html>
`;
}
