// Where the wall time of one `sockgrade grade` goes, phase by phase, inside a
// whole process that does what the CLI's grade does, in the same order:
//   node start -> module load -> task load (YAML + schema) -> native helper
//   checks -> submission copy and plan -> job start (its own Node process,
//   network namespace) -> build -> each test -> verdicts and report -> exit.
// Each run is a fresh process (nothing warm); `node dist/bench/phases.js [N]`
// prints the median and minimum of N runs, with the whole-process wall time
// measured from outside. Bench use only: it imports the CLI's own modules.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { procStat } from '../runner/proc-stat.js';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(here), '..', '..');
const SUBMISSION = path.join(root, 'fixtures', 'calculator-server', 'correct-c-plain', 'submission', 'server.c');

/** One grade, timed; prints {phase: ms} as JSON on stdout. */
async function once(): Promise<void> {
  const ms: Record<string, number> = {};
  const cpu: Record<string, number> = {};
  const cpuNow = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let last = performance.now();
  let lastCpu = cpuNow();
  ms['node start (to first line of user code)'] = last;
  cpu['node start (to first line of user code)'] = lastCpu;
  const lap = (name: string) => {
    const now = performance.now();
    const c = cpuNow();
    ms[name] = (ms[name] ?? 0) + now - last;
    cpu[name] = (cpu[name] ?? 0) + c - lastCpu;
    last = now;
    lastCpu = c;
  };
  // The modules the CLI loads for `grade`: the dispatcher, and the grade command it loads on demand.
  await import('../grader/cli/main.js');
  await import('../grader/cli/grade.js');
  const cli = await import('../grader/cli/values.js');
  const { assertSandboxTools } = await import('../runner/sandbox/probe.js');
  const { compileLauncher } = await import('../runner/sandbox/native.js');
  const { prepareSubmission } = await import('../runner/submission.js');
  const { planJob, jobDeadlineMs } = await import('../grader/plan.js');
  const { runJob } = await import('../runner/job/run-job.js');
  const { submissionBudgetBytes } = await import('../grader/grade.js');
  lap('module load (the CLI\'s import graph)');
  const task = await cli.openTask('calculator-server');
  lap('task load (task.yaml + tests.yaml, schema)');
  assertSandboxTools('bwrap');
  await compileLauncher();
  lap('native helper checks (sandbox tools, launcher cache)');
  const scratch = await prepareSubmission(SUBMISSION, task.program, { maxBytes: submissionBudgetBytes(task) });
  const planned = planJob(task, scratch.workDir, { seed: 1, sandbox: 'bwrap' });
  lap('submission copy and plan');
  let setupMs = 0;
  let tests = 0;
  await runJob(planned.plan, {
    deadlineMs: jobDeadlineMs(task, planned.plan),
    onEvent: (e) => {
      if (e.type === 'ready') {
        setupMs = e.setupMs;
        lap('job start (spawn, the job\'s Node process and modules, netns)');
      } else if (e.type === 'build') lap('build (gcc in the sandbox)');
      else if (e.type === 'test') {
        tests++;
        lap('tests (each starts the server anew)');
      } else if (e.type === 'done') lap('job end (done event)');
    },
  });
  lap('job exit');
  scratch.cleanup();
  ms['  of job start: the job\'s own set-up (network, tmpfs)'] = setupMs;
  // Verdicts and the report are left out: under 20 ms in the CPU profiles.
  ms.tests = tests;
  // Children's CPU (the job's Node process, gcc, every sandboxed program), as
  // the kernel counts it once they are waited for: /proc/self/stat cutime+cstime.
  const self = procStat('self')!;
  const ticks = self.cutime + self.cstime;
  cpu['children (job process, gcc, sandboxed programs)'] = ticks * 10;
  process.stdout.write(`${JSON.stringify({ ms, cpu })}\n`);
}

if (process.argv[2] === '--once') await once();
else {
  const { median } = await import('./stats.js');
  const runs = Number(process.argv[2] ?? 5);
  const all: { ms: Record<string, number>; cpu: Record<string, number> }[] = [];
  const walls: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [here, '--once'], { encoding: 'utf8' });
    walls.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`phases: run failed: ${r.stderr}`);
    all.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as (typeof all)[number]);
  }
  process.stdout.write(`phases of grade calculator-server correct-c-plain/server.c, ${runs} fresh processes\n`);
  process.stdout.write(`  ${'ms, median (min)'.padEnd(62)}   wall         CPU of this process\n`);
  const cell = (xs: number[]) => `${median(xs).toFixed(0).padStart(6)} (${Math.min(...xs).toFixed(0).padStart(4)})`;
  for (const k of new Set([...Object.keys(all[0]!.ms), ...Object.keys(all[0]!.cpu)])) {
    if (k === 'tests') continue;
    const wall = k in all[0]!.ms ? cell(all.map((m) => m.ms[k] ?? 0)) : ''.padStart(13);
    const cpu = k in all[0]!.cpu ? cell(all.map((m) => m.cpu[k] ?? 0)) : '';
    process.stdout.write(`  ${k.padEnd(62)} ${wall}  ${cpu}\n`);
  }
  process.stdout.write(`  ${'whole process, measured from outside'.padEnd(62)} ${median(walls).toFixed(0).padStart(6)} (${Math.min(...walls).toFixed(0)})\n`);
}
