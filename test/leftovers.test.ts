// Nothing left behind: a `grade` or `batch` killed with SIGKILL takes its
// grading jobs, sandboxes and student programs with it, starts none
// afterwards, and the next start removes the scratch folders it left. What a
// teaching assistant would notice otherwise: stray servers spinning for
// minutes, and a temporary folder that fills up.
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandLine, descendantsOf, processesMentioning, stillRunning, type ProcessEntry } from '../bench/census.js';
import { OWNER_RECORD, ownedScratchDirs, sweepDeadScratchDirs } from '../runner/scratch-dirs.js';
import type { JobSpec } from '../runner/job/main.js';
import { jobCommand } from '../runner/job/job-process.js';
import { deadline, waitUntil } from '../runner/wait.js';
import { gradeSubmission } from '../grader/grade.js';
import { BIN, FIXTURES, ROOT, runCli, task, tempDir } from './helpers.js';

const SERVER_FIXTURES = path.join(FIXTURES, 'calculator-server');
const fixtureSubmission = (name: string) => path.join(SERVER_FIXTURES, name, 'submission');
const key = (p: ProcessEntry) => `${p.pid}:${p.start}`;
const isSandbox = (cmd: string) => /(^|\s)bwrap\s/.test(cmd) || cmd.startsWith('/run/sockgrade/launch');
/** A sandbox's own process, or a program one started: a grade's tests start theirs in one kept sandbox (runner/sandbox/kept-sandbox.ts). */
const inSandbox = (p: ProcessEntry, byPid: Map<number, ProcessEntry>) =>
  isSandbox(commandLine(p.pid)) || (byPid.has(p.ppid) && commandLine(p.ppid).startsWith('/run/sockgrade/launch'));

/**
 * Starts the real CLI with its temporary folder inside `run`, waits until
 * `sandboxes` sandbox processes (bwrap, the launcher, a program the launcher
 * started) have been seen under it, kills it with SIGKILL, and returns what
 * it had started.
 */
async function killWhileGrading(run: string, args: string[], sandboxes: number) {
  const tmp = path.join(run, 'tmp');
  mkdirSync(tmp, { recursive: true });
  // The sandbox user (nobody, when the tests run as root) must reach the scratch folders in it.
  chmodSync(run, 0o711);
  chmodSync(tmp, 0o711);
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const seen = new Map<string, ProcessEntry>();
  const sandboxesSeen = new Set<string>();
  const look = () => {
    const tree = descendantsOf(child.pid!);
    const byPid = new Map(tree.map((p) => [p.pid, p]));
    for (const p of tree) {
      seen.set(key(p), p);
      if (inSandbox(p, byPid)) sandboxesSeen.add(key(p));
    }
  };
  const underWay = await waitUntil(() => (look(), sandboxesSeen.size >= sandboxes), deadline(90_000), {
    intervalMs: 5,
    stop: () => child.exitCode !== null,
  });
  expect(underWay, `sockgrade ${args[0]} never started ${sandboxes} sandbox processes: ${stderr}`).toBe(true);
  look(); // the whole tree, right before the kill
  process.kill(child.pid!, 'SIGKILL');
  await exited;

  // The kernel does the killing (parent.ts): well within 2 s even on a busy machine. A job
  // that merely notices its parent is gone when it next writes would outlive this.
  const allGone = await waitUntil(() => [...seen.values()].every((p) => !stillRunning(p)), deadline(2_000), { intervalMs: 10 });
  const survivors = [...seen.values()].filter(stillRunning).map((p) => `${p.pid} ${commandLine(p.pid)}`);
  expect(survivors, 'processes of the killed run still running').toEqual([]);
  expect(allGone).toBe(true);
  // Nothing new starts afterwards: no job, bwrap or program of this run appears for a while.
  const appeared = await waitUntil(() => processesMentioning(run).length > 0, deadline(3_000), { intervalMs: 20 });
  expect(appeared ? processesMentioning(run).map((p) => commandLine(p.pid)) : []).toEqual([]);
  return { tmp, processes: seen.size };
}

/** A server whose build takes a while (a sleep in its Makefile): a long silent stretch for the job. */
function slowBuild(dir: string): string {
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(fixtureSubmission('correct-c-plain'), 'server.c'), path.join(dir, 'server.c'));
  writeFileSync(path.join(dir, 'Makefile'), 'server: server.c\n\tsleep 8\n\tcc -O2 -o server server.c\n');
  return dir;
}

/** The next start (a quick real grade with the same temporary folder) removes what the killed run left. */
async function nextStartSweeps(tmp: string): Promise<void> {
  const next = await runCli(['grade', 'calculator-server', fixtureSubmission('correct-python')], { env: { TMPDIR: tmp } });
  expect(next.exitCode, next.stderr).toBe(0);
  expect(readdirSync(tmp).filter((n) => n.startsWith('sockgrade-'))).toEqual([]);
}

describe('a killed grading process leaves nothing behind', () => {
  // Killed during the build, in a stretch where the job itself has nothing to say.
  it('grade of a slow build, killed while it builds', async () => {
    const run = tempDir('sockgrade-kill-build-');
    const { tmp } = await killWhileGrading(run, ['grade', 'calculator-server', slowBuild(path.join(run, 'slow'))], 1);
    expect(ownedScratchDirs(tmp).length).toBeGreaterThanOrEqual(1);
    await nextStartSweeps(tmp);
  }, 120_000);

  // Killed at different points: the first sandbox (the build), a few tests in, further on.
  for (const stage of [1, 3, 6]) {
    it(`grade, killed after ${stage} sandbox process(es)`, async () => {
      const run = tempDir('sockgrade-kill-grade-');
      const { tmp, processes } = await killWhileGrading(run, ['grade', 'calculator-server', fixtureSubmission('endless-loop')], stage);
      expect(processes).toBeGreaterThanOrEqual(stage);
      // The killed grade could not remove its scratch folder...
      expect(ownedScratchDirs(tmp).length).toBeGreaterThanOrEqual(1);
      // ...the next start does.
      await nextStartSweeps(tmp);
    }, 120_000);

    it(`batch, killed after ${stage} sandbox process(es)`, async () => {
      const run = tempDir('sockgrade-kill-batch-');
      const subs = path.join(run, 'submissions');
      slowBuild(path.join(subs, 'ann'));
      for (const [id, name] of [['bob', 'endless-loop'], ['cy', 'correct-python'], ['dee', 'slow'], ['eve', 'correct-c-plain'], ['fay', 'endless-loop']]) {
        if (name === 'slow') slowBuild(path.join(subs, id!));
        else cpSync(fixtureSubmission(name!), path.join(subs, id!), { recursive: true });
      }
      const { tmp } = await killWhileGrading(run, ['batch', 'calculator-server', subs, '--out', path.join(run, 'grades'), '--jobs', '2'], stage);
      await nextStartSweeps(tmp);
    }, 120_000);
  }
});

describe('a grade that ends before its job', () => {
  // The job's process is started ahead, before the submission is looked at (run-job.ts, EarlyJob).
  it('ends the job process it started ahead: the report says why, and nothing of the job is left running', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'server'), 'print("no #! line")\n', { mode: 0o755 });
    const report = await gradeSubmission(task('calculator-server'), dir, { seed: 1, sandbox: 'bwrap' });
    expect(report.build.ok).toBe(false);
    expect(report.build.output).toMatch(/#!/);
    const jobs = descendantsOf(process.pid).map((p) => commandLine(p.pid)).filter((cmd) => /job\/main\.js|unshare|sg-reaper|setpriv/.test(cmd));
    expect(jobs).toEqual([]);
  });
});

describe('sweeping scratch folders', () => {
  const record = (dir: string, owner: object) => writeFileSync(path.join(dir, OWNER_RECORD), JSON.stringify(owner));
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const ownStart = () => {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  };

  it('removes the folders of dead owners, and only those', async () => {
    const tmp = tempDir('sockgrade-sweep-');
    const mk = (name: string) => {
      const d = path.join(tmp, name);
      mkdirSync(d, { mode: 0o711 });
      chmodSync(d, 0o711);
      return d;
    };
    // A process that has ended: its pid is free (or reused, with another start time).
    const ended = spawn('true');
    await new Promise((r) => ended.on('exit', r));
    const dead = { pid: ended.pid, start: 1, boot };

    const deadOwner = mk('sockgrade-dead01');
    record(deadOwner, dead);
    // What a killed job leaves: a read-only folder from the submission, files of the sandbox user.
    mkdirSync(path.join(deadOwner, 'work', 'ro'), { recursive: true });
    writeFileSync(path.join(deadOwner, 'work', 'ro', 'f'), 'x');
    chmodSync(path.join(deadOwner, 'work', 'ro'), 0o555);
    if (process.getuid?.() === 0) chownSync(path.join(deadOwner, 'work'), 65534, 65534);
    const reused = mk('sockgrade-reuse1');
    record(reused, { pid: process.pid, start: ownStart() - 1, boot }); // our pid, but not us
    const otherBoot = mk('sockgrade-boot01');
    record(otherBoot, { pid: process.pid, start: ownStart(), boot: 'another-boot' });

    const live = mk('sockgrade-live01');
    record(live, { pid: process.pid, start: ownStart(), boot });
    const noRecord = mk('sockgrade-norec1');
    const otherName = mk('sockgrade-test-dead02');
    record(otherName, dead);
    const badRecord = mk('sockgrade-bad001');
    writeFileSync(path.join(badRecord, OWNER_RECORD), '{"pid": 1');
    const worldWritable = mk('sockgrade-open01');
    record(worldWritable, dead);
    chmodSync(worldWritable, 0o777);
    const target = tempDir('sockgrade-target-');
    record(target, dead);
    symlinkSync(target, path.join(tmp, 'sockgrade-link01'));

    const removed = sweepDeadScratchDirs(tmp).sort();
    expect(removed).toEqual([deadOwner, otherBoot, reused].sort());
    for (const d of [deadOwner, reused, otherBoot]) expect(existsSync(d)).toBe(false);
    for (const d of [live, noRecord, otherName, badRecord, worldWritable, target, path.join(tmp, 'sockgrade-link01')]) {
      expect(existsSync(d), d).toBe(true);
    }
    expect(existsSync(path.join(target, OWNER_RECORD))).toBe(true);
  });
});

describe('a job whose grading process is already gone', () => {
  // The window no death signal covers: the grading process died before the
  // reaper set one. The job, started exactly as run-job.ts starts it, must
  // see that its grading process is not the parent its command line names,
  // and start nothing.
  async function startJob(parentPid: number): Promise<{ events: string[]; code: number | null }> {
    const workDir = tempDir('sockgrade-orphan-');
    const spec: JobSpec = {
      plan: { sandbox: 'bwrap', workDir, build: null, tests: [] },
      launcher: '/bin/false',
      dropToUid: null,
      privateNetwork: true,
      parent: { pid: parentPid },
    };
    // run-job.ts's command names this process as the job's grading process; here, `parentPid`.
    const argv = await jobCommand(true);
    const at = argv.indexOf('--grading-process') + 1;
    expect(argv[at]).toBe(String(process.pid));
    const [program, ...args] = argv.map((a, i) => (i === at ? String(parentPid) : a));
    const job = spawn(program!, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    job.stdin!.on('error', () => {}); // a reaper that ends at once never reads it (EPIPE), as run-job.ts allows for
    job.stdin!.end(JSON.stringify(spec));
    let out = '';
    job.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => job.on('close', resolve));
    return { events: out.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { type: string }).type), code };
  }

  it('starts nothing when the grading process named on its command line is not its ancestor', async () => {
    const ended = spawn('true');
    await new Promise((r) => ended.on('exit', r));
    const orphan = await startJob(ended.pid!);
    expect(orphan.events).toEqual([]);
    expect(orphan.code).not.toBe(0);
  });

  it('runs when it is (the control: same start, the right grading process)', async () => {
    const ok = await startJob(process.pid);
    expect(ok.events).toEqual(['ready', 'done', 'end']);
    expect(ok.code).toBe(0);
  });
});
