// What a student hands in is graded from a scratch copy: the original is never
// written, and the shapes a student may hand in all work. Hostile uploads are
// the uploader's problem only: too large for the scratch space is a graded
// `failed` saying so; a FIFO, socket or device is refused without being
// opened (no hang); a name that is not UTF-8 is just a name.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ROOT, fixture, grade, runCli, summary, task, tempDir, validateGradescope } from './helpers.js';
import { gradeSubmission } from '../grader/grade.js';

function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false })
    .map(String)
    .sort()
    .map((f) => {
      const st = statSync(path.join(dir, f));
      return `${f} ${st.size} ${st.mtimeMs} ${st.mode.toString(8)}`;
    });
}

describe('submissions', () => {
  it('builds with the Makefile in a scratch copy and leaves the original folder untouched', async () => {
    const original = fixture('calculator-server', 'correct-c-makefile');
    const before = snapshot(original);
    const report = await grade('calculator-server', original);
    expect(report.build.command).toBe('make server');
    expect(report.score, summary(report)).toBe(100);
    expect(snapshot(original)).toEqual(before);
  });

  it('grades a single C file', async () => {
    const report = await grade('calculator-server', path.join(fixture('calculator-server', 'correct-c-plain'), 'server.c'));
    expect(report.build.command).toMatch(/^gcc .* server\.c$/);
    expect(report.score, summary(report)).toBe(100);
  });

  it('runs a script handed in without its executable bit', async () => {
    const dir = tempDir('sockgrade-sub-');
    cpSync(fixture('calculator-server', 'correct-python'), dir, { recursive: true });
    chmodSync(path.join(dir, 'server'), 0o644);
    const report = await grade('calculator-server', dir, ['sum-int', 'sum-text']);
    expect(report.score, summary(report)).toBe(100);
  });

  it('never follows a link in the submission to a file of the grading machine', async () => {
    const dir = tempDir('sockgrade-sub-');
    const hostFile = path.join(dir, 'host-secret');
    writeFileSync(hostFile, '#!/bin/sh\necho secret\n', { mode: 0o600 });
    mkdirSync(path.join(dir, 'work'));
    symlinkSync(hostFile, path.join(dir, 'work', 'server'));
    const report = await grade('calculator-server', path.join(dir, 'work'), ['sum-int']);
    expect(statSync(hostFile).mode & 0o777).toBe(0o600);
    expect(report.result).toBe('failed'); // inside the sandbox the link points nowhere
  });

  it('gives a submission that does not compile score 0, result failed, with the compiler output', async () => {
    const dir = tempDir('sockgrade-sub-');
    writeFileSync(path.join(dir, 'server.c'), 'int main(void) { return missing_function(; }\n');
    const report = await grade('calculator-server', dir);
    expect(report.result).toBe('failed');
    expect(report.score).toBe(0);
    expect(report.build.ok).toBe(false);
    expect(report.build.output).toMatch(/server\.c:1:\d+: error/);
    expect(report.tests).toEqual([]);
  });
});

/** `grade --format json` as a user runs it; a hang fails the test at `timeout` rather than never ending. */
async function gradeCli(submission: string, env: Record<string, string> = {}) {
  const r = await execa(process.execPath, [path.join(ROOT, 'bin', 'sockgrade.js'), 'grade', 'calculator-server', submission, '--format', 'json'], {
    reject: false,
    cwd: ROOT,
    timeout: 60_000,
    env,
  });
  expect(r.timedOut, 'sockgrade grade hung').toBe(false);
  return r;
}

/** A sparse file of `bytes`: that much to copy, nothing on disk. */
function sparse(file: string, bytes: number): void {
  writeFileSync(file, '');
  truncateSync(file, bytes);
}

function expectTooLarge(r: Awaited<ReturnType<typeof gradeCli>>, figures: RegExp): void {
  expect(r.exitCode, r.stderr).toBe(0);
  const report = JSON.parse(r.stdout);
  expect(report).toMatchObject({ result: 'failed', score: 0, tests: [], build: { ok: false } });
  expect(report.build.output).toMatch(/^submission larger than 32 MiB: /);
  expect(report.build.output).toMatch(figures);
  expect(report.build.output).toMatch(/the task gives each submission 64 MiB of scratch space \(limits\.disk_mb\)/);
}

/** server.c and 997 files of 67,000 bytes (1,000 varied then zeros), zipped with zip: inside every archive cap, too big once each file takes whole pages. */
async function pageBomb(dir: string, student: string): Promise<string> {
  const folder = path.join(dir, student);
  cpSync(fixture('calculator-server', 'correct-c-plain'), folder, { recursive: true });
  const seed = Buffer.alloc(1000);
  for (let i = 0; i < 997; i++) {
    for (let j = 0; j < seed.length; j++) seed[j] = (i * 7919 + j * 104729 + ((j * j) >> 3)) & 0xff;
    writeFileSync(path.join(folder, `pad${String(i).padStart(3, '0')}.bin`), Buffer.concat([seed, Buffer.alloc(66_000)]));
  }
  const zip = path.join(dir, `${student}.zip`);
  await execa('zip', ['-qr', zip, student], { cwd: dir });
  return zip;
}

describe('a submission too large for the scratch space', () => {
  it('a folder with a 70 MB file: graded failed, "submission larger than 32 MiB", counted before anything is copied', async () => {
    const dir = tempDir('sockgrade-sub-');
    const work = path.join(dir, 'work');
    cpSync(fixture('calculator-server', 'correct-c-plain'), work, { recursive: true });
    sparse(path.join(work, 'data.bin'), 70_000_000);
    // The scratch copy goes to TMPDIR: an 8 MiB tmpfs (private to this command) that a copy would overflow.
    const tmp = path.join(dir, 'tmp');
    mkdirSync(tmp);
    const r = await execa(
      'unshare',
      ['-m', 'sh', '-c', 'mount -t tmpfs -o size=8m sockgrade-test "$TMPDIR" && exec "$@"', 'sh', process.execPath, path.join(ROOT, 'bin', 'sockgrade.js'), 'grade', 'calculator-server', work, '--format', 'json'],
      { reject: false, cwd: ROOT, timeout: 60_000, env: { TMPDIR: tmp } },
    );
    expectTooLarge(r, /its 2 files \(66\.8 MiB\) would take 66\.8 MiB of scratch space/);
  });

  it('a folder of 20,000 empty files: refused once the count passes the budget, not after reading every name', async () => {
    const dir = tempDir('sockgrade-sub-');
    cpSync(fixture('calculator-server', 'correct-c-plain'), dir, { recursive: true });
    const many = path.join(dir, 'many');
    mkdirSync(many);
    for (let i = 0; i < 20_000; i++) writeFileSync(path.join(many, String(i)), '');
    // 32 MiB is 8,192 pages: the walk stops at the first entry past that.
    expectTooLarge(await gradeCli(dir), /already its first 81\d\d files \(0 MiB\) and \d folders? or links? would take 32 MiB/);
  });

  it('a 1.3 MB zip of 998 files (997 of 67,000 bytes): inside every archive cap, too large once each file takes whole pages', async () => {
    const dir = tempDir('sockgrade-sub-');
    const zip = await pageBomb(dir, 'mallory');
    expect(statSync(zip).size).toBeLessThan(2_000_000);
    const r = await gradeCli(zip);
    // 997 x 67,000 bytes and server.c = 63.7 MiB; 997 x 17 pages of 4 KiB and more = 66.2 MiB.
    expectTooLarge(r, /its 998 entries \(63\.7 MiB unpacked\) would take 66\.2 MiB of scratch space/);
  });

  it('a single 40 MB file is too large too; a folder just under half of disk_mb is graded as usual', async () => {
    const dir = tempDir('sockgrade-sub-');
    const big = path.join(dir, 'server');
    writeFileSync(big, '#!/bin/sh\n');
    truncateSync(big, 40 << 20);
    expectTooLarge(await gradeCli(big), /the file server \(40 MiB\) would take 40 MiB/);

    const fits = path.join(dir, 'fits');
    cpSync(fixture('calculator-server', 'correct-c-plain'), fits, { recursive: true });
    sparse(path.join(fits, 'data.bin'), 30 << 20);
    const report = await grade('calculator-server', fits, ['sum-int']);
    expect(report.score, summary(report)).toBe(100);
  });

  it('Gradescope: run_autograder writes results.json with score 0 and the reason', async () => {
    const root = tempDir('sockgrade-autograder-');
    const submission = path.join(root, 'submission');
    cpSync(fixture('calculator-server', 'correct-c-plain'), submission, { recursive: true });
    sparse(path.join(submission, 'data.bin'), 70_000_000);
    const r = await execa(path.join(ROOT, 'docker', 'gradescope', 'run_autograder'), [], {
      reject: false,
      timeout: 60_000,
      env: { AUTOGRADER_DIR: root, SOCKGRADE_TASK: path.join(ROOT, 'tasks', 'calculator-server'), SOCKGRADE: path.join(ROOT, 'bin', 'sockgrade.js') },
    });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(path.join(root, 'results', 'results.json'), 'utf8'));
    expect(validateGradescope(results)).toBe('');
    expect(results.score).toBe(0);
    expect(results.output).toMatch(/submission larger than 32 MiB: its 2 files \(66\.8 MiB\)/);
  });
});

describe('a submission that is not a regular file or folder', () => {
  // Opening a FIFO blocks until a writer comes; /dev/zero never ends: each must be refused unopened, at once.
  async function refused(submission: string, says: RegExp): Promise<void> {
    const r = await gradeCli(submission);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr.trim()).toMatch(says);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }

  it('refuses a FIFO, a FIFO named .zip, a link to /dev/zero and a socket, in one line each, without hanging', async () => {
    const dir = tempDir('sockgrade-sub-');
    execFileSync('mkfifo', [path.join(dir, 'pipe'), path.join(dir, 'pipe.zip')]);
    symlinkSync('/dev/zero', path.join(dir, 'zero'));
    const server = net.createServer();
    const sock = path.join(dir, 'sock');
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      await refused(path.join(dir, 'pipe'), /^sockgrade: submission .*\/pipe is a named pipe \(FIFO\): only a regular file or a folder can be graded$/);
      await refused(path.join(dir, 'pipe.zip'), /^sockgrade: submission .*\/pipe\.zip is a named pipe \(FIFO\)/);
      await refused(path.join(dir, 'zero'), /^sockgrade: submission .*\/zero is a character device/);
      await refused(sock, /^sockgrade: submission .*\/sock is a socket/);
    } finally {
      server.close();
    }
  });

  it('refuses a folder holding a FIFO or a device, naming it; a link to /dev/zero in it is copied as a link, never read', async () => {
    const dir = tempDir('sockgrade-sub-');
    const withFifo = path.join(dir, 'with-fifo');
    cpSync(fixture('calculator-server', 'correct-c-plain'), withFifo, { recursive: true });
    mkdirSync(path.join(withFifo, 'notes'));
    execFileSync('mkfifo', [path.join(withFifo, 'notes', 'pipe')]);
    await refused(withFifo, /^sockgrade: submission .*with-fifo holds a named pipe \(FIFO\), 'notes\/pipe': only regular files, folders and links are accepted$/);

    const withLink = path.join(dir, 'with-link');
    cpSync(fixture('calculator-server', 'correct-c-plain'), withLink, { recursive: true });
    symlinkSync('/dev/zero', path.join(withLink, 'zero'));
    const report = await grade('calculator-server', withLink, ['sum-int']);
    expect(report.score, summary(report)).toBe(100);
  });
});

describe('names that are not UTF-8', () => {
  it('grades a folder named Jos\\xe9 holding r\\xe9sum\\xe9.txt like any other, and shows the name escaped', async () => {
    const dir = tempDir('sockgrade-sub-');
    const folder = Buffer.concat([Buffer.from(`${dir}/Jos`), Buffer.from([0xe9])]);
    cpSync(fixture('calculator-server', 'correct-c-plain'), path.join(dir, 'plain'), { recursive: true });
    renameSync(path.join(dir, 'plain'), folder);
    writeFileSync(Buffer.concat([folder, Buffer.from('/r'), Buffer.from([0xe9]), Buffer.from('sum'), Buffer.from([0xe9]), Buffer.from('.txt')]), 'my CV\n');
    const report = await gradeSubmission(task('calculator-server'), folder, { seed: 1, sandbox: 'bwrap' });
    expect(report.score, summary(report)).toBe(100);
    expect(report.submission).toBe(`${dir}/Jos\\xe9`);
    expect(existsSync(`${dir}/Jos\uFFFD`)).toBe(false);

    // The folder given by a UTF-8 path, with the file inside: the CLI grades it too.
    const inside = path.join(dir, 'cv');
    cpSync(fixture('calculator-server', 'correct-c-plain'), inside, { recursive: true });
    writeFileSync(Buffer.concat([Buffer.from(`${inside}/r`), Buffer.from([0xe9]), Buffer.from('sum'), Buffer.from([0xe9]), Buffer.from('.txt')]), 'my CV\n');
    const r = await runCli(['grade', 'calculator-server', inside, '--format', 'json', '--test', 'sum-int']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ score: 100, result: 'success' });
  });
});

describe('a folder submission that reaches outside itself', () => {
  const asRoot = process.getuid?.() === 0;
  // Hard links are regular files: the link rule does not stop one. Made by a
  // student where fs.protected_hardlinks is 0 (the kernel's own default), it
  // names a file of the machine, which root would copy and hand to uid 65534.
  it.runIf(asRoot)('as root, refuses a hard link to a root-only file in a student\'s folder; the file never reaches a report', async () => {
    const dir = tempDir('sockgrade-sub-');
    const secret = path.join(dir, 'host-secret');
    writeFileSync(secret, 'ROOT-ONLY-SECRET\n', { mode: 0o600 });
    const sub = path.join(dir, 'alice');
    mkdirSync(sub);
    writeFileSync(path.join(sub, 'server'), '#!/bin/sh\ncat notes.txt >&2\nexit 1\n', { mode: 0o755 });
    linkSync(secret, path.join(sub, 'notes.txt'));
    chownSync(sub, 1000, 1000);
    chownSync(path.join(sub, 'server'), 1000, 1000);
    const r = await runCli(['grade', 'calculator-server', sub, '--show-all', '--test', 'sum-int']);
    expect(r.stdout + r.stderr).not.toMatch(/ROOT-ONLY-SECRET/);
    expect(r.exitCode, r.stdout).toBe(2);
    expect(r.stderr.trim()).toMatch(/^sockgrade: submission .*alice holds 'notes\.txt', a hard link to a file of uid 0 \(the submission belongs to uid 1000\)/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);

    // The same file handed in alone, from the student's folder.
    linkSync(secret, path.join(sub, 'server.c'));
    const alone = await runCli(['grade', 'calculator-server', path.join(sub, 'server.c'), '--show-all', '--test', 'sum-int']);
    expect(alone.stdout + alone.stderr).not.toMatch(/ROOT-ONLY-SECRET/);
    expect(alone.exitCode, alone.stdout).toBe(2);
    expect(alone.stderr.trim()).toMatch(/^sockgrade: submission .*alice\/server\.c is a hard link to a file of uid 0 \(the submission belongs to uid 1000\)/);
  });

  it("copies a hard link between the student's own files (a local git clone has them)", async () => {
    const dir = tempDir('sockgrade-sub-');
    cpSync(fixture('calculator-server', 'correct-c-plain'), dir, { recursive: true });
    linkSync(path.join(dir, 'server.c'), path.join(dir, 'copy-of-server.c'));
    const report = await grade('calculator-server', dir, ['sum-int']);
    expect(report.score, summary(report)).toBe(100);
  });

  it('says in one escaped line when a path inside is too long to open (names holding ESC and BEL)', async () => {
    const dir = tempDir('sockgrade-sub-');
    cpSync(fixture('calculator-server', 'correct-c-plain'), dir, { recursive: true });
    // 25 folders of 209-byte names: deeper than PATH_MAX, well inside the depth cap.
    const script = "import os, sys\nos.chdir(sys.argv[1])\nfor i in range(25):\n    n = '\\x1b[2J\\x1b]0;pwn\\x07' + 'a' * 200\n    os.mkdir(n)\n    os.chdir(n)\n";
    execFileSync('python3', ['-c', script, dir]);
    const r = await gradeCli(dir);
    execFileSync('rm', ['-rf', dir]); // rm walks by descriptor; rmSync cannot (ENAMETOOLONG)
    expect(r.exitCode, r.stdout).toBe(2);
    expect(r.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    expect(r.stderr.trim()).toMatch(/^sockgrade: cannot read submission .*: a path inside it is longer than the system allows \(4096 bytes\)$/);
  });

  it('refuses folders nested 1000 deep in one line, exit 2', async () => {
    const dir = tempDir('sockgrade-sub-');
    cpSync(fixture('calculator-server', 'correct-c-plain'), dir, { recursive: true });
    mkdirSync(path.join(dir, ...Array<string>(1000).fill('d')), { recursive: true });
    const r = await gradeCli(dir);
    expect(r.exitCode, r.stdout).toBe(2);
    expect(r.stderr.trim()).toMatch(/^sockgrade: submission .* nests folders deeper than 64 \('d(\/d)+'\)$/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
