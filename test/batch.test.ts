// `sockgrade batch` as a teaching assistant uses it: the real CLI on a folder
// of real submissions (folders, zips, tar.gz), graded in the real sandbox.
// What they notice: one grade per student, nothing graded twice, a restart
// after a kill picks up where it stopped, the outputs say what happened.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { deadline, waitUntil } from '../runner/wait.js';
import { csvField } from '../grader/batch/gradebook.js';
import { BIN, ROOT, TASKS, copyFixture, noStackTrace, parseCsv, sockgrade, tempDir, runCli } from './helpers.js';

function gradebook(out: string): Map<string, Record<string, string>> {
  const [header, ...rows] = parseCsv(readFileSync(path.join(out, 'grades.csv'), 'utf8'));
  return new Map(rows.map((r) => [r[0]!, Object.fromEntries(header!.map((h, i) => [h, r[i]!]))]));
}

function records(out: string): { id: string; report: { score: number; result: string } }[] {
  return readFileSync(path.join(out, 'records.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Packs a fixture as students do: its folder, named after the student, inside the archive. */
async function archiveFixture(name: string, dir: string, student: string, kind: 'zip' | 'tar.gz'): Promise<void> {
  const work = tempDir('sockgrade-pack-');
  copyFixture(name, path.join(work, student));
  const file = path.join(dir, `${student}.${kind}`);
  if (kind === 'zip') await execa('zip', ['-qr', file, student], { cwd: work });
  else await execa('tar', ['czf', file, student], { cwd: work });
}

const CHROMIUM = await execa('which', ['chromium'], { reject: false }).then((r) => (r.exitCode === 0 ? r.stdout.trim() : null));

describe('sockgrade batch on a class', () => {
  let dir: string;
  let out: string;
  let first: Awaited<ReturnType<typeof sockgrade>>;

  beforeAll(async () => {
    const base = tempDir();
    dir = path.join(base, 'submissions');
    out = path.join(base, 'grades');
    mkdirSync(dir);
    copyFixture('correct-c-plain', path.join(dir, 'alice'));
    copyFixture('correct-c-plain', path.join(dir, 'dave')); // the same work as alice
    await archiveFixture('correct-python', dir, 'bob', 'zip');
    await archiveFixture('host-byte-order', dir, 'carol', 'tar.gz');
    copyFixture('crash-on-empty', path.join(dir, 'frank, jr.'));
    await execa('python3', ['-c', "import zipfile\nz = zipfile.ZipFile('eve.zip', 'w')\nz.writestr('server.c', 'int main(void){return 0;}')\nz.writestr('../evil.c', 'x')\nz.close()"], { cwd: dir });
    writeFileSync(path.join(dir, '.DS_Store'), 'not a student');
    first = await sockgrade(['batch', 'calculator-server', dir, '--out', out, '--jobs', '2']);
  });

  it('gives every student exactly one row in grades.csv, with a column per test', () => {
    expect(first.exitCode, first.stderr).toBe(0);
    const rows = gradebook(out);
    expect([...rows.keys()]).toEqual(['alice', 'bob', 'carol', 'dave', 'eve', 'frank, jr.']);
    expect(rows.get('alice')).toMatchObject({ score: '100', result: 'success', 'sum-int': 'pass', 'bad-address': 'pass' });
    expect(rows.get('bob')).toMatchObject({ score: '100', result: 'success' });
    expect(rows.get('carol')).toMatchObject({ result: 'failed', 'sum-int': 'failed', 'sum-text': 'pass' });
    expect(Number(rows.get('carol')!.score)).toBeLessThan(50);
    expect(rows.get('frank, jr.')).toMatchObject({ result: 'crash', 'malformed-empty': 'crash', 'sum-int': 'pass' });
    // A rejected archive: score 0, and no test ran.
    expect(rows.get('eve')).toMatchObject({ score: '0', result: 'failed', 'sum-int': '' });
    // The id with a comma is quoted, so the file still has one column per field.
    expect(readFileSync(path.join(out, 'grades.csv'), 'utf8')).toContain('"frank, jr.",');
    expect(first.stdout).toMatch(/6 student\(s\): 6 graded now, 0 already graded; 3 not passing/);
  });

  it('writes each student a report in JSON and text, saying why an archive was rejected', () => {
    const reports = readdirSync(path.join(out, 'reports')).sort();
    expect(reports).toEqual(['alice', 'bob', 'carol', 'dave', 'eve', 'frank, jr.'].flatMap((id) => [`${id}.json`, `${id}.txt`]));
    const carol = JSON.parse(readFileSync(path.join(out, 'reports', 'carol.json'), 'utf8'));
    expect(carol).toMatchObject({ schema: 'sockgrade.report/v1', task: 'calculator-server', result: 'failed' });
    expect(carol.tests.map((t: { feedback: string }) => t.feedback).join('\n')).toMatch(/byte order/);
    expect(readFileSync(path.join(out, 'reports', 'carol.txt'), 'utf8')).toMatch(/FAIL\s+sum-int/);
    const eve = readFileSync(path.join(out, 'reports', 'eve.txt'), 'utf8');
    expect(eve).toMatch(/archive rejected: .*eve\.zip: entry '\.\.\/evil\.c' escapes the submission folder/);
    expect(existsSync(path.join(dir, '..', 'evil.c'))).toBe(false);
  });

  it('prints a progress line per student when not on a terminal', () => {
    const lines = first.stderr.split('\n').filter((l) => /^\[\s*\d+\/6\]/.test(l));
    expect(lines).toHaveLength(6);
    expect(lines.at(-1)).toMatch(/^\[6\/6\] .+: [\d.]+ \w+ \([\d.]+ s\) \| [\d.]+\/s, ETA 0s \| not passing 3, errors 0$/);
  });

  it.skipIf(!CHROMIUM)(
    CHROMIUM
      ? 'summary.html shows the histogram, pass rates, frequent feedback and identical submissions in Chromium'
      : 'summary.html in Chromium: SKIPPED, chromium is not installed (CI installs it: .ci/install-system-deps.sh --with-browser)',
    async () => {
      const html = readFileSync(path.join(out, 'summary.html'), 'utf8');
      // Self-contained: one inline script at most, nothing to fetch.
      expect(html.match(/<script/g)?.length ?? 0).toBeLessThanOrEqual(1);
      expect(html).not.toMatch(/<script[^>]*src|<link|<img|<iframe|@import|url\(/i);
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
      const profile = tempDir();
      const r = await execa(
        CHROMIUM!,
        ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--dump-dom', `file://${path.join(out, 'summary.html')}`],
        { reject: false, timeout: 60_000 },
      );
      expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
      const dom = r.stdout;
      expect(dom).toContain('Score histogram');
      // Eleven bars; full marks (alice, bob, dave) in the last.
      expect(dom.match(/<rect class="bar/g)).toHaveLength(11);
      expect(dom).toMatch(/<title>scores 100: 3 student\(s\)<\/title>/);
      expect(dom).toMatch(/<title>scores 0–10: 1 student\(s\)<\/title>/); // eve
      // sum-int passed by alice, bob, dave, frank; failed by carol; never ran for eve.
      expect(dom).toMatch(/<tr data-test="sum-int" class="rate-high">.*4\/5 \(80%\)/);
      expect(dom).toMatch(/<tr data-test="malformed-empty" class="rate-mid">.*3\/5 \(60%\)/);
      expect(dom).toMatch(/<li class="mistake"><span class="times">1 student<\/span> <q>[^<]*byte order[^<]*<\/q>/);
      expect(dom).toMatch(/<li class="group">2 students, score 100: <span class="student">alice<\/span>, <span class="student">dave<\/span><\/li>/);
      expect(dom).toContain('>frank, jr.</a>');
      // eve's archive was rejected: the reason, on the page and in grades.csv.
      expect(dom).toMatch(/<td class="reason"[^>]*>archive rejected: [^<]*eve\.zip: entry '\.\.\/evil\.c' escapes the submission folder/);
      expect(gradebook(out).get('eve')!.reason).toMatch(/^archive rejected: .*eve\.zip: entry '\.\.\/evil\.c' escapes/);
    },
  );

  it('grades nothing again when started again, then only what changed, then everything with --regrade', async () => {
    const again = await sockgrade(['batch', 'calculator-server', dir, '--out', out, '--jobs', '2']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/6 student\(s\): 0 graded now, 6 already graded/);
    expect(records(out)).toHaveLength(6);

    // carol hands in a corrected version.
    rmSync(path.join(dir, 'carol.tar.gz'));
    await archiveFixture('correct-c-makefile', dir, 'carol', 'tar.gz');
    const changed = await sockgrade(['batch', 'calculator-server', dir, '--out', out, '--jobs', '2']);
    expect(changed.exitCode, changed.stderr).toBe(0);
    expect(changed.stdout).toMatch(/6 student\(s\): 1 graded now, 5 already graded/);
    expect(gradebook(out).get('carol')).toMatchObject({ score: '100', result: 'success' });

    const all = await sockgrade(['batch', 'calculator-server', dir, '--out', out, '--jobs', '2', '--regrade']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/6 student\(s\): 6 graded now, 0 already graded/);
    // One record per student is kept: the latest.
    expect(records(out).map((r) => r.id).sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'eve', 'frank, jr.']);
  });
});

describe('sockgrade batch on identical submissions', () => {
  // Each build prints a token of its own: two builds that ran print two tokens.
  const MAKEFILE = 'server: server.c\n\t@echo "build token $$(od -An -N8 -tx8 /dev/urandom)"\n\tgcc -O2 -Wall -o server server.c\n';
  const report = (out: string, id: string) => JSON.parse(readFileSync(path.join(out, 'reports', `${id}.json`), 'utf8'));
  /** What a student sees of a grade, without what differs run to run (times, paths). */
  const verdicts = (r: { score: number; result: string; build: unknown; tests: { id: string; result: string; feedback: string }[] }) => ({
    score: r.score, result: r.result, build: r.build, tests: r.tests.map((t) => [t.id, t.result, t.feedback]),
  });

  it('builds them once: the next ones get the first build (its output, its failure) and the same report', async () => {
    const base = tempDir();
    const dir = path.join(base, 'submissions');
    const out = path.join(base, 'grades');
    for (const id of ['ann', 'ben', 'cat']) {
      copyFixture('correct-c-plain', path.join(dir, id));
      writeFileSync(path.join(dir, id, 'Makefile'), MAKEFILE);
    }
    appendFileSync(path.join(dir, 'cat', 'server.c'), '/* not the same file */\n');
    for (const id of ['dan', 'eve']) {
      mkdirSync(path.join(dir, id), { recursive: true });
      writeFileSync(path.join(dir, id, 'Makefile'), MAKEFILE);
      writeFileSync(path.join(dir, id, 'server.c'), 'int main(void) { return missing; }\n');
    }
    const run = await sockgrade(['batch', 'calculator-server', dir, '--out', out, '--jobs', '2']);
    expect(run.exitCode, run.stderr).toBe(0);
    const [ann, ben, cat, dan, eve] = ['ann', 'ben', 'cat', 'dan', 'eve'].map((id) => report(out, id));
    const token = (r: { build: { output: string } }) => /build token\s+(\w+)/.exec(r.build.output)?.[1];

    expect(ann.score).toBe(100);
    expect(token(ann)).toBeDefined();
    // ben's files are ann's: the compiler ran once, ben got that build (its token) and ann's verdicts.
    expect(token(ben)).toBe(token(ann));
    expect(verdicts(ben)).toEqual(verdicts(ann));
    expect([ann.timing.build_ms, ben.timing.build_ms].filter((ms: number) => ms === 0)).toHaveLength(1);
    // cat's server.c differs by a comment: built anew (a token of its own), the same verdicts.
    expect(token(cat)).toBeDefined();
    expect(token(cat)).not.toBe(token(ann));
    expect(cat.score).toBe(100);
    // A build the compiler refused is reused as the same failure, with its output.
    expect(dan.build.ok).toBe(false);
    expect(dan.build.output).toMatch(/missing/);
    expect(verdicts(eve)).toEqual(verdicts(dan));
    expect(token(eve)).toBe(token(dan));
  });
});

describe('sockgrade batch across restarts', () => {
  it('after a SIGKILL half-way, a restart grades every student exactly once', async () => {
    const base = tempDir();
    const dir = path.join(base, 'submissions');
    const out = path.join(base, 'grades');
    mkdirSync(dir);
    const kinds = ['correct-c-plain', 'host-byte-order', 'correct-python', 'exits-after-one', 'crash-on-empty'];
    const ids = Array.from({ length: 12 }, (_, i) => `student${String(i).padStart(2, '0')}`);
    ids.forEach((id, i) => copyFixture(kinds[i % kinds.length]!, path.join(dir, id)));

    const run = runCli(['batch', 'calculator-server', dir, '--out', out, '--jobs', '2']);
    const recordsFile = path.join(out, 'records.jsonl');
    const complete = () => (existsSync(recordsFile) ? readFileSync(recordsFile, 'utf8').split('\n').length - 1 : 0);
    const some = await waitUntil(() => complete() >= 3, deadline(90_000), { intervalMs: 10, stop: () => run.exitCode !== undefined && run.exitCode !== null });
    expect(some, 'no grade was recorded in time').toBe(true);
    process.kill(run.pid!, 'SIGKILL');
    const killed = await run;
    expect(killed.signal).toBe('SIGKILL');
    const before = complete();
    expect(before, 'the batch finished before it could be killed').toBeLessThan(ids.length);

    const restart = await sockgrade(['batch', 'calculator-server', dir, '--out', out, '--jobs', '2']);
    expect(restart.exitCode, restart.stderr).toBe(0);
    expect(restart.stdout).toContain(`12 student(s): ${ids.length - before} graded now, ${before} already graded`);
    const ided = records(out).map((r) => r.id).sort();
    expect(ided).toEqual(ids);
    expect([...gradebook(out).keys()]).toEqual(ids);
  });

  it('a record torn by a kill mid-write is cut off, and only that student is graded again', async () => {
    const base = tempDir();
    const dir = path.join(base, 'submissions');
    const out = path.join(base, 'grades');
    mkdirSync(dir);
    for (const id of ['ann', 'ben', 'cat']) copyFixture('correct-c-plain', path.join(dir, id));
    expect((await sockgrade(['batch', 'calculator-server', dir, '--out', out])).exitCode).toBe(0);
    // What a kill in the middle of the last write leaves: half a line.
    const file = path.join(out, 'records.jsonl');
    const text = readFileSync(file, 'utf8');
    const lastStart = text.lastIndexOf('\n', text.length - 2) + 1;
    const torn = JSON.parse(text.slice(lastStart)).id as string;
    truncateSync(file, lastStart + Math.floor((text.length - lastStart) / 2));

    const r = await sockgrade(['batch', 'calculator-server', dir, '--out', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('3 student(s): 1 graded now, 2 already graded');
    const after = records(out);
    expect(after.map((x) => x.id).sort()).toEqual(['ann', 'ben', 'cat']);
    expect(after.find((x) => x.id === torn)!.report.score).toBe(100);
  });

  it('grades everyone again when the task\'s tests change, not when only its statement does', async () => {
    const base = tempDir();
    const taskDir = path.join(base, 'calculator-server');
    cpSync(path.join(TASKS, 'calculator-server'), taskDir, { recursive: true });
    const dir = path.join(base, 'submissions');
    const out = path.join(base, 'grades');
    mkdirSync(dir);
    copyFixture('correct-c-plain', path.join(dir, 'ann'));
    copyFixture('host-byte-order', path.join(dir, 'ben'));
    expect((await sockgrade(['batch', taskDir, dir, '--out', out])).stdout).toContain('2 graded now');

    appendFileSync(path.join(taskDir, 'statement.md'), '\nA typo fixed.\n');
    expect((await sockgrade(['batch', taskDir, dir, '--out', out])).stdout).toContain('0 graded now, 2 already graded');

    const tests = path.join(taskDir, 'tests.yaml');
    writeFileSync(tests, readFileSync(tests, 'utf8').replace(/(- id: sum-int\n(?:.*\n)*?\s+weight:) 2/, '$1 5'));
    const r = await sockgrade(['batch', taskDir, dir, '--out', out]);
    expect(r.stdout).toContain('2 graded now, 0 already graded');
    expect(gradebook(out).get('ann')!.score).toBe('100');
  });
});

describe('sockgrade batch with hostile uploads', () => {
  it('grades everyone else, gives each hostile upload its own failed row, and resumes by content', async () => {
    const base = tempDir();
    const dir = path.join(base, 'submissions');
    const out = path.join(base, 'grades');
    mkdirSync(dir);
    const bytes = (...parts: (string | number[] | Buffer)[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
    copyFixture('correct-c-plain', path.join(dir, 'alice'));
    // A correct student whose folder name and one file name are Latin-1, not UTF-8.
    const jose = bytes(`${dir}/Jos`, [0xe9]);
    copyFixture('correct-c-plain', path.join(base, 'jose'));
    renameSync(path.join(base, 'jose'), jose);
    const resume = bytes(jose, '/r', [0xe9], 'sum', [0xe9], '.txt');
    writeFileSync(resume, 'my CV\n');
    // Not files: each would block or never end when opened.
    execFileSync('mkfifo', [path.join(dir, 'fifo-fred')]);
    symlinkSync('/dev/zero', path.join(dir, 'zero-zoe'));
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(dir, 'sock-sam'), resolve));
    copyFixture('correct-c-plain', path.join(dir, 'pipe-pete'));
    execFileSync('mkfifo', [path.join(dir, 'pipe-pete', 'pipe')]);
    // Too large for the 64 MiB scratch space: a 70 MB file, and 998 files of 67,000 bytes in a 1.3 MB zip.
    copyFixture('correct-c-plain', path.join(dir, 'big-bob'));
    writeFileSync(path.join(dir, 'big-bob', 'data.bin'), '');
    truncateSync(path.join(dir, 'big-bob', 'data.bin'), 70_000_000);
    const pad = path.join(base, 'mallory');
    copyFixture('correct-c-plain', pad);
    for (let i = 0; i < 997; i++) writeFileSync(path.join(pad, `pad${i}.bin`), Buffer.concat([randomBytes(1000), Buffer.alloc(66_000)]));
    await execa('zip', ['-qr', path.join(dir, 'mallory.zip'), 'mallory'], { cwd: base });

    const ids = ['Jos\\xe9', 'alice', 'big-bob', 'fifo-fred', 'mallory', 'pipe-pete', 'sock-sam', 'zero-zoe'];
    const batch = () => execa(process.execPath, [BIN, 'batch', 'calculator-server', dir, '--out', out, '--jobs', '2'], { reject: false, cwd: ROOT, timeout: 180_000 });
    try {
      const r = await batch();
      expect(r.timedOut, 'the batch hung').toBe(false);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/8 student\(s\): 8 graded now, 0 already graded; 6 not passing$/m);
      const rows = gradebook(out);
      expect([...rows.keys()]).toEqual(ids);
      expect(rows.get('Jos\\xe9')).toMatchObject({ score: '100', result: 'success' });
      expect(rows.get('alice')).toMatchObject({ score: '100', result: 'success' });
      for (const id of ids.slice(2)) expect(rows.get(id), id).toMatchObject({ score: '0', result: 'failed', 'sum-int': '' });

      const said = (id: string) => JSON.parse(readFileSync(path.join(out, 'reports', `${id}.json`), 'utf8')).build.output as string;
      expect(said('big-bob')).toMatch(/^submission larger than 32 MiB: its 2 files \(66\.8 MiB\) would take 66\.8 MiB of scratch space/);
      expect(said('mallory')).toMatch(/^submission larger than 32 MiB: its 998 entries \(63\.7 MiB unpacked\) would take 66\.2 MiB/);
      expect(said('fifo-fred')).toMatch(/fifo-fred is a named pipe \(FIFO\): only a regular file or a folder can be graded/);
      expect(said('sock-sam')).toMatch(/sock-sam is a socket/);
      expect(said('zero-zoe')).toMatch(/zero-zoe is a character device/);
      expect(said('pipe-pete')).toMatch(/pipe-pete holds a named pipe \(FIFO\), 'pipe'/);
      const joseReport = JSON.parse(readFileSync(path.join(out, 'reports', 'Jos\\xe9.json'), 'utf8'));
      expect(joseReport.submission).toBe(`${dir}/Jos\\xe9`);
      expect(readFileSync(path.join(out, 'grades.csv'), 'utf8')).toMatch(/^Jos\\xe9,100,success,/m);

      // Started again: nothing to grade. Then José changes a file whose name is not UTF-8: only he is graded again.
      const again = await batch();
      expect(again.stdout).toMatch(/8 student\(s\): 0 graded now, 8 already graded/);
      writeFileSync(resume, 'my CV, updated\n');
      const changed = await batch();
      expect(changed.exitCode, changed.stderr).toBe(0);
      expect(changed.stdout).toMatch(/8 student\(s\): 1 graded now, 7 already graded/);
      expect(changed.stderr).toMatch(/\] Jos\\xe9: 100 success/);
      expect(records(out).map((x) => x.id).sort()).toEqual(ids);
    } finally {
      server.close();
    }
  });
});

describe('sockgrade batch with bad input', () => {
  async function oneLineError(args: string[], message: RegExp): Promise<void> {
    const r = await sockgrade(['batch', 'calculator-server', ...args]);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    noStackTrace(r.stderr);
  }

  it('says a submissions folder does not exist', async () => {
    const base = tempDir();
    await oneLineError([path.join(base, 'nope'), '--out', path.join(base, 'out')], /^sockgrade: submissions folder not found: .*nope$/);
    expect(existsSync(path.join(base, 'out'))).toBe(false);
  });

  it('says a submissions folder is empty (dotfiles do not count)', async () => {
    const base = tempDir();
    mkdirSync(path.join(base, 'subs'));
    writeFileSync(path.join(base, 'subs', '.DS_Store'), '');
    await oneLineError([path.join(base, 'subs'), '--out', path.join(base, 'out')], /^sockgrade: no submissions in .*subs: expected one folder, \.zip or \.tar\.gz per student$/);
  });

  it('says a student has two submissions', async () => {
    const base = tempDir();
    copyFixture('correct-c-plain', path.join(base, 'subs', 'ann'));
    writeFileSync(path.join(base, 'subs', 'ann.zip'), '');
    await oneLineError([path.join(base, 'subs'), '--out', path.join(base, 'out')], /two submissions for student 'ann': ann and ann\.zip; keep one/);
  });

  it('refuses an output folder that holds another task\'s grades', async () => {
    const base = tempDir();
    const other = path.join(base, 'other-task');
    cpSync(path.join(TASKS, 'calculator-server'), other, { recursive: true });
    copyFixture('correct-c-plain', path.join(base, 'subs', 'ann'));
    const out = path.join(base, 'out');
    expect((await sockgrade(['batch', other, path.join(base, 'subs'), '--out', out])).exitCode).toBe(0);
    await oneLineError([path.join(base, 'subs'), '--out', out], /^sockgrade: .*out holds the grades of task 'other-task', not 'calculator-server'; choose another --out/);
  });

  it('refuses an output folder that is not empty and not a batch', async () => {
    const base = tempDir();
    copyFixture('correct-c-plain', path.join(base, 'subs', 'ann'));
    mkdirSync(path.join(base, 'out'));
    writeFileSync(path.join(base, 'out', 'thesis.tex'), 'precious');
    await oneLineError([path.join(base, 'subs'), '--out', path.join(base, 'out')], /is not empty and holds no sockgrade batch/);
    expect(readFileSync(path.join(base, 'out', 'thesis.tex'), 'utf8')).toBe('precious');
  });

  it('refuses --jobs 0', async () => {
    const base = tempDir();
    copyFixture('correct-c-plain', path.join(base, 'subs', 'ann'));
    await oneLineError([path.join(base, 'subs'), '--jobs', '0'], /--jobs takes a whole number of at least 1, not '0'/);
  });

  it('stops with exit 3 and the fix in one line when the machine has no sandbox, grading no one', async () => {
    const base = tempDir();
    copyFixture('correct-c-plain', path.join(base, 'subs', 'ann'));
    copyFixture('correct-c-plain', path.join(base, 'subs', 'ben'));
    const out = path.join(base, 'out');
    const r = await runCli(['batch', 'calculator-server', path.join(base, 'subs'), '--out', out], { env: { PATH: '/nonexistent' }, extendEnv: false });
    expect(r.exitCode, r.stderr).toBe(3);
    const lines = r.stderr.trim().split('\n').filter((l) => !/^sockgrade batch: |^\[/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/bwrap.*not found.*apt-get install .*bubblewrap/);
    expect(readFileSync(path.join(out, 'records.jsonl'), 'utf8')).toBe('');
  });

  it('gives a student the grader fails on an error result, and goes on with the others', async () => {
    const base = tempDir();
    const dir = path.join(base, 'subs');
    const out = path.join(base, 'out');
    copyFixture('correct-c-plain', path.join(dir, 'ann'));
    expect((await sockgrade(['batch', 'calculator-server', dir, '--out', out])).exitCode).toBe(0);
    copyFixture('correct-c-plain', path.join(dir, 'ben'));
    copyFixture('correct-c-plain', path.join(dir, 'cat'));
    // The grader's own code fails for ben only: his report cannot be written.
    mkdirSync(path.join(out, 'reports', 'ben.json'));
    const r = await sockgrade(['batch', 'calculator-server', dir, '--out', out, '--jobs', '2']);
    expect(r.exitCode, r.stderr).toBe(0);
    const rows = gradebook(out);
    expect(rows.get('ann')).toMatchObject({ score: '100', result: 'success' });
    expect(rows.get('cat')).toMatchObject({ score: '100', result: 'success' });
    expect(rows.get('ben')).toMatchObject({ score: '0', result: 'error' });
    expect(r.stdout).toMatch(/3 student\(s\): 2 graded now, 1 already graded; 1 not passing, 1 grader error/);
    const ben = records(out).find((x) => x.id === 'ben')!.report as { error?: string };
    expect(ben.error).toMatch(/the grader failed on this submission: cannot write its reports: .*EISDIR/);
    // The grader's failure is not a grade: once it is gone, a restart grades ben, and only him.
    rmSync(path.join(out, 'reports', 'ben.json'), { recursive: true });
    const again = await sockgrade(['batch', 'calculator-server', dir, '--out', out]);
    expect(again.stdout).toMatch(/3 student\(s\): 1 graded now, 2 already graded/);
    expect(gradebook(out).get('ben')).toMatchObject({ score: '100', result: 'success' });
  });
});

describe('sockgrade batch on a terminal', () => {
  it('draws a live progress bar with done/total, rate, ETA and failures', async () => {
    const base = tempDir();
    copyFixture('correct-c-plain', path.join(base, 'subs', 'ann'));
    copyFixture('host-byte-order', path.join(base, 'subs', 'ben'));
    // script(1) gives the command a real terminal.
    const command = [process.execPath, BIN, 'batch', 'calculator-server', path.join(base, 'subs'), '--out', path.join(base, 'out')].map((a) => `'${a}'`).join(' ');
    const r = await execa('script', ['-qefc', command, '/dev/null'], { reject: false, cwd: ROOT });
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/2\/2 \| [\d.]+\/s \| ETA 0s \| not passing 1 \| errors 0/);
    expect(r.stdout).not.toMatch(/^\[\s*\d+\/2\]/m); // no plain lines on a terminal
  });
});

describe('grades.csv fields', () => {
  it('quotes commas, quotes, line breaks and edge spaces', () => {
    expect(['plain', 'a,b', 'say "hi"', 'two\nlines', ' pad', 42].map(csvField)).toEqual(['plain', '"a,b"', '"say ""hi"""', '"two\nlines"', '" pad"', '42']);
    expect(['=SUM(A1)', '+1', '@x', -3].map(csvField)).toEqual(["'=SUM(A1)", "'+1", "'@x", '-3']);
  });
});
