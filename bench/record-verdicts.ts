// Records the fast verdict lane's cases (test/verdicts/) from the real
// fixtures: grades each fixture as `sockgrade grade` would (real sandbox, real
// sockets, seed 1), keeps every test's TestObservation, and writes, for each
// verdict rule of test/verdicts/rules.ts, the first observation that gets it,
// with the verdict the grader gives it today. Then rewrites the coverage
// table of test/verdicts/README.md: which rules have a case, which no fixture
// shows. A rule this run does not show keeps its earlier case (a verdict can
// hang on timing: say so in the README), and cases whose folder starts with
// `derived-` are edited by hand and kept.
// Run: npm run record-verdicts [-- TASK/FIXTURE...]  (only those fixtures)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runJob } from '../runner/job/run-job.js';
import { prepareSubmission } from '../runner/submission.js';
import type { TestObservation } from '../runner/types.js';
import { decide, jobDeadlineMs, planTests, programProblem, ROOT, taskById, type VerdictCase, type Verdict } from '../test/verdicts/decide.js';
import { RULES, ruleOf, type Kind, type Rule } from '../test/verdicts/rules.js';

const SEED = 1;
const FIXTURES = path.join(ROOT, 'fixtures');
const LANE = path.join(ROOT, 'test', 'verdicts');
const README = path.join(LANE, 'README.md');
const TABLE_START = '<!-- coverage: written by npm run record-verdicts -->';

function dirs(d: string): string[] {
  return readdirSync(d).filter((n) => statSync(path.join(d, n)).isDirectory()).sort();
}

/** Every test observation of one fixture, in test order; [] when grading never runs the tests. */
async function observe(taskId: string, fixtureDir: string): Promise<TestObservation[]> {
  const task = taskById(taskId);
  const entry = readdirSync(fixtureDir).find((f) => f === 'submission' || f.startsWith('submission.'));
  if (!entry) return [];
  const scratch = await prepareSubmission(path.join(fixtureDir, entry), task.program);
  try {
    const planned = planTests(taskId, scratch.workDir, SEED);
    // A submission that cannot run is reported once, before any test (grader/grade.ts).
    if (!planned.buildRule && (!existsSync(path.join(scratch.workDir, task.program)) || programProblem(scratch.workDir, task.program))) return [];
    const seen: TestObservation[] = [];
    await runJob(planned.plan, { deadlineMs: jobDeadlineMs(task, planned.plan), onEvent: (e) => { if (e.type === 'test') seen.push(e.test); } });
    const order = planned.plan.tests.map((t) => t.id);
    return seen.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  } finally {
    scratch.cleanup();
  }
}

function kindOf(taskId: string): Kind {
  const t = taskById(taskId);
  return t.function ? 'function' : t.role === 'server' ? 'server' : 'client';
}

function writeCase(name: string, c: VerdictCase, v: Verdict): void {
  const dir = path.join(LANE, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'observation.json'), `${JSON.stringify(c, null, 2)}\n`);
  writeFileSync(path.join(dir, 'expected.json'), `${JSON.stringify(v, null, 2)}\n`);
}

function coverageTable(found: Map<string, VerdictCase>, derived: string[]): string {
  const lines = ['| rule | said by | case (recorded from) |', '|---|---|---|'];
  for (const r of RULES) {
    const c = found.get(r.name);
    const d = derived.filter((n) => n === `derived-${r.name}`);
    const cell = c ? `\`${r.name}/\` (${c.source}, test ${c.test})` : d.length ? d.map((n) => `\`${n}/\` (derived)`).join(', ') : '**no fixture shows it**';
    lines.push(`| ${r.name} | ${r.file} | ${cell} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const found = new Map<string, VerdictCase>();
  const verdicts = new Map<string, Verdict>();
  const unknown: string[] = [];
  for (const taskId of dirs(FIXTURES)) {
    const kind = kindOf(taskId);
    const protocol = taskById(taskId).protocol.name;
    for (const name of dirs(path.join(FIXTURES, taskId))) {
      if (only.length && !only.includes(`${taskId}/${name}`)) continue;
      const source = `fixtures/${taskId}/${name}`;
      const started = Date.now();
      const observations = await observe(taskId, path.join(FIXTURES, taskId, name));
      for (const observation of observations) {
        const c: VerdictCase = { task: taskId, test: observation.id, seed: SEED, source, observation };
        const v = decide(c);
        const rule: Rule | null = ruleOf(v, kind, protocol);
        if (!rule) {
          unknown.push(`${source} ${observation.id}: [${v.result}] ${v.feedback}`);
          continue;
        }
        if (v.result !== 'success') process.stderr.write(`  ${observation.id}: ${rule.name}\n`);
        if (!found.has(rule.name)) {
          found.set(rule.name, c);
          verdicts.set(rule.name, v);
        }
      }
      process.stderr.write(`${source}: ${observations.length} tests, ${Date.now() - started} ms\n`);
    }
  }

  const existing = dirs(LANE).filter((n) => existsSync(path.join(LANE, n, 'observation.json')));
  const derived = existing.filter((n) => n.startsWith('derived-'));
  const kept: string[] = [];
  for (const n of existing) {
    if (n.startsWith('derived-')) continue;
    if (found.has(n) || !RULES.some((r) => r.name === n)) rmSync(path.join(LANE, n), { recursive: true });
    else {
      found.set(n, JSON.parse(readFileSync(path.join(LANE, n, 'observation.json'), 'utf8')) as VerdictCase);
      kept.push(n);
    }
  }
  for (const [name, c] of found) if (!kept.includes(name)) writeCase(name, c, verdicts.get(name)!);

  const readme = readFileSync(README, 'utf8');
  const at = readme.indexOf(TABLE_START);
  const head = at >= 0 ? readme.slice(0, at) : `${readme.trimEnd()}\n\n`;
  writeFileSync(README, `${head}${TABLE_START}\n\n${coverageTable(found, derived)}\n`);

  const missing = RULES.filter((r) => !found.has(r.name)).map((r) => r.name);
  console.log(`${found.size - kept.length} cases recorded on ${os.hostname()}; kept from an earlier recording (not shown this run): ${kept.join(', ') || 'none'}`);
  console.log(`${missing.length} rules no fixture shows: ${missing.join(', ')}`);
  if (unknown.length) {
    console.log(`verdicts no rule of test/verdicts/rules.ts names (add a rule):\n  ${unknown.join('\n  ')}`);
    process.exitCode = 1;
  }
}

await main();
