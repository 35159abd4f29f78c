// N whole `sockgrade grade` processes of one submission, each beside one run
// of every floor, and the lines that compare them. Shared by the server,
// client and function-task suites.
import path from 'node:path';
import { packageRoot } from '../runner/paths.js';
import type { Report } from '../grader/report/model.js';
import { makeFloors, type FloorName } from './floors.js';
import { timeCommand } from './measure.js';
import { cpu, median, medMin, ratio, secs } from './stats.js';

export const CLI = path.join(packageRoot, 'bin', 'sockgrade.js');

export interface GradeRuns {
  wall: number[];
  cpu: number[];
  reports: Report[];
  floors: Record<FloorName, number[]>;
  floorsCpu: Record<FloorName, number[]>;
  floorCommands: Record<FloorName, string>;
}

/** The command line a user types, as the bench runs it (json, to check the verdicts): the installed `sockgrade` is this file, run through its first line. */
export function gradeArgv(task: string, submission: string): string[] {
  return [CLI, 'grade', task, submission, '--format', 'json', '--seed', '1'];
}

/** Grades `submission` `runs` times; every run must score `expectScore` with `expectTests` tests. */
export async function gradeRuns(
  task: string, submission: string, gccArgs: string[], runs: number, expect: { score: number; tests: number },
): Promise<GradeRuns> {
  const floors = makeFloors(gccArgs);
  const r: GradeRuns = { wall: [], cpu: [], reports: [], floors: floors.wall, floorsCpu: floors.cpu, floorCommands: floors.commands };
  try {
    for (let i = 0; i < runs; i++) {
      await floors.measureOnce();
      const t = await timeCommand(gradeArgv(task, submission));
      if (t.code !== 0) throw new Error(`bench: grading ${submission} exited with status ${t.code}: ${t.stderr.trim().slice(-300)}`);
      const report = JSON.parse(t.stdout) as Report;
      const passed = report.tests.filter((x) => x.passed).length;
      if (report.score !== expect.score || report.tests.length !== expect.tests || passed !== expect.tests) {
        throw new Error(`bench: ${task} ${submission} scored ${report.score} with ${passed}/${report.tests.length} tests passed; expected ${expect.score} with ${expect.tests}`);
      }
      r.wall.push(t.wallS);
      r.cpu.push(t.cpuS);
      r.reports.push(report);
    }
  } finally {
    floors.dispose();
  }
  return r;
}

/**
 * The floors one after the other, beside the target: a grade starts Node
 * (the CLI), which must read the task before the build can start, then gcc
 * builds; `waitS`: a wait the protocol itself makes. No grade of this design
 * takes less, so a target below this sum cannot be met on the machine the
 * bench ran on.
 */
export function floorsBesideTarget(r: GradeRuns, targetS: number, waitS = 0): string {
  const least = median(r.floors.node) + median(r.floors.gcc) + waitS;
  const beside = least < targetS ? `${secs(targetS - least)} below the target (${secs(targetS)})` : `above the target (${secs(targetS)}): it cannot be met on this machine`;
  return `${waitS ? `the ${waitS} s wait + ` : ''}node -e 0 + gcc = ${secs(least)}, ${beside}`;
}

/** The lines every grade suite prints: the grade against each floor, then where its time went. */
export function gradeLines(r: GradeRuns, target: string, targetS: number, waitS = 0): [string, string][] {
  const g = median(r.wall);
  const f = (n: FloorName) => median(r.floors[n]);
  const floor = (n: FloorName): [string, string] => [`floor: ${r.floorCommands[n]}`, `${medMin(r.floors[n])}, CPU ${cpu(median(r.floorsCpu[n]))}`];
  const ms = (pick: (x: Report) => number) => median(r.reports.map((x) => pick(x) / 1000));
  const n = r.reports[0]!.tests.length;
  const perTest = ms((x) => x.timing.tests_ms) / n;
  const inReport = r.reports.map((x) => x.duration_ms / 1000);
  const outside = r.wall.map((w, i) => w - inReport[i]!);
  const rest = ms((x) => x.duration_ms - x.timing.setup_ms - x.timing.build_ms - x.timing.tests_ms);
  return [
    ['grade, whole process', `${medMin(r.wall)} = ${ratio(g, f('gcc'))} gcc (${secs(f('gcc'))}), ${ratio(g, f('node'))} node -e 0 (${secs(f('node'))})   ${target}`],
    ['floors in series', floorsBesideTarget(r, targetS, waitS)],
    ['CPU per grade', `${medMin(r.cpu)} = ${ratio(median(r.cpu), median(r.floorsCpu.gcc))} gcc's CPU; user+sys of the grade and all its children`],
    floor('gcc'),
    floor('node'),
    floor('bwrap'),
    ['  outside the report', `${secs(median(outside))} (node start, module load, task load, output, exit: wall - duration_ms)`],
    ['  inside the report', `${secs(median(inReport))} (duration_ms: submission copy, job start, build, tests)`],
    ['    job network and sandbox set-up', `${secs(ms((x) => x.timing.setup_ms))} (setup_ms, inside the job's process)`],
    ['    build', secs(ms((x) => x.timing.build_ms))],
    [`    ${n} tests, summed`, `${secs(ms((x) => x.timing.tests_ms))}: ${secs(perTest)} per test = ${ratio(perTest, f('bwrap'))} bwrap true (${secs(f('bwrap'))})`],
    ['    the rest', rest >= 0 ? `${secs(rest)} (submission copy, native helper checks, the job's Node process start, verdicts)` : 'none to show: tests ran in lanes at once, and their sum is more than the grade took'],
  ];
}
