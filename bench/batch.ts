// The batch figure: a class of calculator-server submissions (correct C and
// Python, and the typical bugs of the fixtures) graded by `sockgrade batch
// --jobs 2` as one whole process (target: 8 grades/s or more on 2 cores),
// with the CPU each grade costs. Every report must agree with its fixture's
// expect.yaml: a faster grader with other verdicts is not faster.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create as createTar } from 'tar';
import { compareWithExpect, loadFixtureExpect } from '../grader/fixtures.js';
import type { Report } from '../grader/report/model.js';
import { loadTask } from '../grader/task/load.js';
import { packageRoot } from '../runner/paths.js';
import { CLI } from './grade-runs.js';
import type { Section } from './bench.js';
import { timeCommand, type Timed } from './measure.js';
import { median, secs } from './stats.js';

const STUDENTS = 60;
const JOBS = 2;
// Not the hostile fixtures (endless loop, fork bomb, memory hog...) nor
// ignores-bind-failure: each of those runs into a limit or a timeout on
// purpose, which measures the limit, not the grader.
const MIX = [
  'correct-c-plain', 'correct-c-makefile', 'correct-python', 'host-byte-order', 'crash-on-empty',
  'exits-after-one', 'opcode-wrong-bits', 's-set-on-errors', 'text-with-nul', 'unused-bits-not-ignored',
];

/** Student id -> fixture name; every fourth student hands in a .tar.gz, the rest a folder. */
async function makeClass(dir: string): Promise<Map<string, string>> {
  const fixtures = path.join(packageRoot, 'fixtures', 'calculator-server');
  const pack = mkdtempSync(path.join(os.tmpdir(), 'sockgrade-bench-pack-'));
  const students = new Map<string, string>();
  try {
    for (let i = 0; i < STUDENTS; i++) {
      const id = `s${String(i).padStart(3, '0')}`;
      const name = MIX[i % MIX.length]!;
      students.set(id, name);
      const source = path.join(fixtures, name, 'submission');
      if (i % 4 === 3) {
        cpSync(source, path.join(pack, id), { recursive: true });
        await createTar({ gzip: true, file: path.join(dir, `${id}.tar.gz`), cwd: pack }, [id]);
      } else cpSync(source, path.join(dir, id), { recursive: true });
    }
  } finally {
    rmSync(pack, { recursive: true, force: true });
  }
  return students;
}

/** Checks every report against its fixture; returns how many did not pass and each fixture's in-report durations (s). */
function checkVerdicts(out: string, students: Map<string, string>): { notPassing: number; seconds: Map<string, number[]> } {
  const task = loadTask(path.join(packageRoot, 'tasks', 'calculator-server'));
  const known = task.tests.map((t) => t.id);
  let notPassing = 0;
  const seconds = new Map<string, number[]>();
  for (const [id, fixture] of students) {
    const report = JSON.parse(readFileSync(path.join(out, 'reports', `${id}.json`), 'utf8')) as Report;
    const expect = loadFixtureExpect(path.join(packageRoot, 'fixtures', 'calculator-server', fixture, 'expect.yaml'), known);
    const diffs = compareWithExpect(report, expect, known);
    if (diffs.length) throw new Error(`bench: ${id} (${fixture}) differs from its expect.yaml: ${diffs.join('; ')}`);
    if (report.score !== 100) notPassing++;
    seconds.set(fixture, [...(seconds.get(fixture) ?? []), report.duration_ms / 1000]);
  }
  return { notPassing, seconds };
}

export async function benchBatch(): Promise<Section> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'sockgrade-bench-batch-'));
  try {
    const dir = path.join(base, 'submissions');
    const out = path.join(base, 'grades');
    mkdirSync(dir);
    const students = await makeClass(dir);
    const argv = (jobs: number, to: string) => [CLI, 'batch', 'calculator-server', dir, '--out', to, '--jobs', String(jobs), '--seed', '1'];
    const ok = (t: Timed): Timed => {
      if (t.code !== 0) throw new Error(`bench: batch exited with status ${t.code}: ${t.stderr.trim().slice(-300)}`);
      return t;
    };
    const first = ok(await timeCommand(argv(JOBS, out)));
    const { notPassing, seconds } = checkVerdicts(out, students);
    const again = ok(await timeCommand(argv(JOBS, out)));
    if (!/0 graded now/.test(again.stdout + again.stderr)) throw new Error(`bench: a restart graded again: ${again.stdout.trim()}`);
    // The same class with twice as many gradings at once: a grade's waits (an answer that never comes) leave a core idle at --jobs 2.
    const wider = path.join(base, 'grades-wider');
    const second = ok(await timeCommand(argv(2 * JOBS, wider)));
    checkVerdicts(wider, students);
    const rate = (t: Timed) => `${secs(t.wallS)} = ${(STUDENTS / t.wallS).toFixed(2)} grades/s (target: 8)`;
    return {
      title: `batch: sockgrade batch calculator-server <${STUDENTS} submissions> --jobs ${JOBS}, then --jobs ${2 * JOBS}, one run each (target: 8 grades/s or more)`,
      lines: [
        ['class', `${STUDENTS} submissions: ${MIX.length} fixtures × ${STUDENTS / MIX.length} (3 correct: C, C+Makefile, Python; 7 bugs), every fourth a .tar.gz`],
        [`batch --jobs ${JOBS}, whole process`, `${rate(first)}, ${notPassing} not passing, verdicts as the fixtures expect`],
        ['CPU per grade', `${secs(first.cpuS / STUDENTS)} user+sys (batch and all its children: ${secs(first.cpuS)} in all)`],
        [`batch --jobs ${2 * JOBS}, whole process`, `${rate(second)}, the same verdicts; CPU per grade ${secs(second.cpuS / STUDENTS)}`],
        ['restart, everything graded', `${secs(again.wallS)} whole process`],
        ['each fixture, in its report', `median duration_ms at --jobs ${JOBS} (submission copy to last test; not whole processes: the batch is one):`],
        ...[...seconds].map(([name, xs]): [string, string] => [`  ${name}`, secs(median(xs))]),
      ],
    };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
