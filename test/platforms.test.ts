// sockgrade dropped into the platforms courses grade on: INGInious (its
// feedback commands, its run file), Gradescope (run_autograder, the zip to
// upload) and the Docker images. Each script runs here for real; only the
// platform's own commands (feedback-*, getinput) are stand-ins that record
// how they were called, since no INGInious container exists on this machine.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, fixture, sockgrade, tempDir, validateGradescope } from './helpers.js';

const DOCKER = path.join(ROOT, 'docker');
const byteOrder = fixture('calculator-server', 'host-byte-order');
const FEEDBACK = ['feedback-result', 'feedback-grade', 'feedback-msg', 'feedback-custom', 'tag-set'];

/**
 * Stand-ins for INGInious's commands, on a PATH of their own: each call is
 * recorded, NUL-separated, in a numbered file of `log`. `failing` exits 1.
 */
function fakeInginious(opts: { failing?: string; upload?: string } = {}): { bin: string; log: string; env: Record<string, string> } {
  const bin = tempDir('sockgrade-fake-bin-');
  const log = tempDir('sockgrade-calls-');
  const record = `n=$(ls "$CALL_LOG" | wc -l); printf '%s\\0' "$(basename "$0")" "$@" > "$CALL_LOG/$(printf %05d "$n")"\n`;
  for (const name of FEEDBACK) {
    const fail = name === opts.failing ? 'echo "feedback file is locked" >&2; exit 1\n' : '';
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${record}${fail}`);
  }
  // getinput PROBLEM:filename / PROBLEM:value, for a file upload problem.
  writeFileSync(
    path.join(bin, 'getinput'),
    `#!/bin/sh\ncase "$1" in\n  submission:filename) printf '%s' "$(basename "$UPLOAD")" ;;\n  submission:value) cat "$UPLOAD" ;;\n  *) echo "Input file not found" >&2; exit 2 ;;\nesac\n`,
  );
  for (const f of readdirSync(bin)) chmodSync(path.join(bin, f), 0o755);
  return { bin, log, env: { PATH: `${bin}:${process.env.PATH}`, CALL_LOG: log, UPLOAD: opts.upload ?? '' } };
}

function calls(log: string): string[][] {
  return readdirSync(log)
    .sort()
    .map((f) => readFileSync(path.join(log, f), 'utf8').split('\0').slice(0, -1));
}

let json: { score: number; result: string; tests: { id: string; result: string; tags: string[] }[] };
beforeAll(async () => {
  const r = await sockgrade(['grade', 'calculator-server', byteOrder, '--format', 'json']);
  expect(r.exitCode, r.stderr).toBe(0);
  json = JSON.parse(r.stdout);
});

describe('INGInious', () => {
  let delivered: string[][];

  it('inside INGInious, sockgrade calls its feedback commands: result, grade, a message per test', async () => {
    const fake = fakeInginious();
    const r = await sockgrade(['grade', 'calculator-server', byteOrder, '--format', 'inginious'], fake.env);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    delivered = calls(fake.log);
    expect(delivered[0]).toEqual(['feedback-result', 'failed']);
    expect(delivered[1]).toEqual(['feedback-grade', String(json.score)]);
    expect(delivered[2]![0]).toBe('feedback-msg');
    expect(delivered[2]![1]).toMatch(/^--message=\*\*Score: [\d.]+\/100\*\*/);
    const perTest = delivered.slice(3, 3 + json.tests.length);
    json.tests.forEach((t, i) => {
      expect(perTest[i]!.slice(0, 2)).toEqual(['feedback-msg', '--append']);
      expect(perTest[i]![2]).toContain(`\`\`${t.id}\`\``);
      expect(perTest[i]![2]).toMatch(t.result === 'success' ? /^--message=- \*\*PASS\*\*/ : /^--message=- \*\*FAIL\*\*/);
    });
    // Every tag of the task through tag-set: true when one of its tests failed (the course's statistics).
    const tags = [...new Set(json.tests.flatMap((t) => t.tags))];
    const tagged = delivered.slice(3 + json.tests.length, 3 + json.tests.length + tags.length);
    expect(Object.fromEntries(tagged.map((c) => [c[1], c[2]]))).toEqual(
      Object.fromEntries(tags.map((tag) => [tag, String(json.tests.some((t) => t.tags.includes(tag) && t.result !== 'success'))])),
    );
    expect(tagged.every((c) => c[0] === 'tag-set')).toBe(true);
    expect(Object.fromEntries(tagged.map((c) => [c[1], c[2]])).endianness).toBe('true');
    const custom = delivered[3 + json.tests.length + tags.length]!;
    expect(custom.slice(0, 3)).toEqual(['feedback-custom', '--json', 'sockgrade']);
    expect(JSON.parse(custom[3]!).tests).toEqual(Object.fromEntries(json.tests.map((t) => [t.id, t.result])));
    expect(JSON.parse(custom[3]!).sandbox).toBe('bwrap');
    expect(delivered).toHaveLength(json.tests.length + tags.length + 4);
  });

  it('outside INGInious, prints the calls it would have made; run as a script they make the same calls', async () => {
    const r = await sockgrade(['grade', 'calculator-server', byteOrder, '--format', 'inginious'], { PATH: process.env.PATH! });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^#!\/bin\/sh\n/);
    const script = path.join(tempDir('sockgrade-script-'), 'feedback.sh');
    writeFileSync(script, r.stdout);
    const fake = fakeInginious();
    const run = await execa('sh', [script], { env: fake.env, reject: false });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(calls(fake.log)).toEqual(delivered);
  });

  it('says in one line, exit 3, which feedback command failed', async () => {
    const fake = fakeInginious({ failing: 'feedback-grade' });
    const r = await sockgrade(['grade', 'calculator-server', byteOrder, '--format', 'inginious'], fake.env);
    expect(r.exitCode).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/feedback-grade failed \(1\): feedback file is locked/);
  });

  const runFile = path.join(DOCKER, 'inginious', 'task', 'run');

  it('the task run file grades the student\'s upload and reports through the feedback commands', async () => {
    const fake = fakeInginious({ upload: path.join(fixture('calculator-server', 'correct-c-plain'), 'server.c') });
    const env = { ...fake.env, SOCKGRADE: BIN, SOCKGRADE_TASK: path.join(ROOT, 'tasks', 'calculator-server') };
    const r = await execa(runFile, [], { env, reject: false, cwd: tempDir('sockgrade-task-') });
    expect(r.exitCode, r.stderr).toBe(0);
    const made = calls(fake.log);
    expect(made[0]).toEqual(['feedback-result', 'success']);
    expect(made[1]).toEqual(['feedback-grade', '100']);
    expect(made.filter((c) => c[1] === '--append')).toHaveLength(json.tests.length);
  });

  it('the run file tells the student, when the machine cannot grade, that it is not their doing; the reason goes to the staff', async () => {
    const fake = fakeInginious({ upload: path.join(fixture('calculator-server', 'correct-c-plain'), 'server.c') });
    // The inginious backend without run_student: this machine cannot grade (exit 3).
    const env = { ...fake.env, SOCKGRADE: BIN, SOCKGRADE_TASK: path.join(ROOT, 'tasks', 'calculator-server'), SOCKGRADE_SANDBOX: 'inginious' };
    const r = await execa(runFile, [], { env, reject: false, cwd: tempDir('sockgrade-task-') });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/run_student not found on PATH/);
    const made = calls(fake.log);
    expect(made[0]).toEqual(['feedback-result', 'crash']);
    expect(made[1]).toEqual(['feedback-grade', '0']);
    expect(made[2]![1]).toMatch(/^--message=The grading machine could not grade this submission; this is not a problem with your work/);
    expect(made[2]![1]).not.toMatch(/sysctl|run_student/);
  });

  it('the run file tells the student why an unusable task or upload was not graded', async () => {
    const fake = fakeInginious({ upload: path.join(fixture('calculator-server', 'correct-c-plain'), 'server.c') });
    const env = { ...fake.env, SOCKGRADE: BIN, SOCKGRADE_TASK: '/nonexistent/task' };
    const r = await execa(runFile, [], { env, reject: false, cwd: tempDir('sockgrade-task-') });
    expect(r.exitCode, r.stderr).toBe(0);
    const made = calls(fake.log);
    expect(made[0]).toEqual(['feedback-result', 'failed']);
    expect(made[1]).toEqual(['feedback-grade', '0']);
    expect(made[2]![1]).toMatch(/^--message=The grader could not use this submission:\n\n::\n\n {4}sockgrade: unknown task '\/nonexistent\/task'/);
  });
});

describe('Gradescope', () => {
  let root: string; // stands for /autograder

  beforeAll(async () => {
    root = tempDir('sockgrade-autograder-');
    const zip = path.join(root, 'autograder.zip');
    const made = await execa(path.join(DOCKER, 'gradescope', 'make-autograder.sh'), ['calculator-server', zip], { reject: false });
    expect(made.exitCode, made.stderr).toBe(0);
    // Gradescope unpacks the zip into /autograder/source.
    const unzip = await execa('python3', ['-m', 'zipfile', '-e', zip, path.join(root, 'source')], { reject: false });
    expect(unzip.exitCode, unzip.stderr).toBe(0);
  });

  it('the zip holds setup.sh and run_autograder at its root, sockgrade with the CI install script, and the task', () => {
    for (const f of ['setup.sh', 'run_autograder', 'sockgrade/package.json', 'sockgrade/bin/sockgrade.js', 'sockgrade/.ci/install-system-deps.sh', 'tasks/calculator-server/task.yaml', 'tasks/calculator-server/tests.yaml']) {
      expect(existsSync(path.join(root, 'source', f)), f).toBe(true);
    }
    expect(readFileSync(path.join(root, 'source', 'setup.sh'), 'utf8')).toMatch(/^bash sockgrade\/\.ci\/install-system-deps\.sh$/m);
  });

  async function runAutograder(submission: string | null, extra: Record<string, string> = {}) {
    rmSync(path.join(root, 'results'), { recursive: true, force: true });
    rmSync(path.join(root, 'submission'), { recursive: true, force: true });
    if (submission) cpSync(submission, path.join(root, 'submission'), { recursive: true });
    const script = path.join(root, 'source', 'run_autograder');
    chmodSync(script, 0o755); // Gradescope copies it to /autograder/run_autograder and runs it
    const { WRAP, ...env } = extra;
    // WRAP=netns: in a network namespace of its own, loopback up, as in a Gradescope container.
    const [file, args] = WRAP === 'netns' ? ['unshare', ['--net', 'sh', '-c', 'ip link set lo up && exec "$0"', script]] : [script, []];
    return execa(file, args, { cwd: root, reject: false, env: { AUTOGRADER_DIR: root, SOCKGRADE: BIN, ...env } });
  }

  it('run_autograder grades the submission and writes a results.json that passes the schema', async () => {
    const r = await runAutograder(byteOrder);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(path.join(root, 'results', 'results.json'), 'utf8'));
    expect(validateGradescope(results)).toBe('');
    expect(results.tests.map((t: { extra_data: { id: string } }) => t.extra_data.id)).toEqual(json.tests.map((t) => t.id));
    // The task by its id, not by the folder it travels in.
    expect(results.extra_data.task).toBe('calculator-server');
    expect(results.output).toMatch(/^calculator-server: \d+\/\d+ tests passed/);
    // The total Gradescope shows is the sum of the points it shows per test, to the hundredth.
    const sum = results.tests.reduce((s: number, t: { score: number }) => s + t.score * 100, 0) / 100;
    expect(results.score).toBeCloseTo(sum, 9);
    expect(Math.abs(results.score - json.score)).toBeLessThanOrEqual(0.01 * json.tests.length);
    // Hidden tests travel readable by root only: student code may run as another user here.
    expect(statSync(path.join(root, 'source', 'tasks', 'calculator-server', 'tests.yaml')).mode & 0o077).toBe(0);
  });

  it('run_autograder lists every test as failed, with the compiler output, when the build fails', async () => {
    const broken = tempDir('sockgrade-broken-');
    writeFileSync(path.join(broken, 'server.c'), 'int main(void) { return undeclared_thing; }\n');
    const r = await runAutograder(broken);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(path.join(root, 'results', 'results.json'), 'utf8'));
    expect(validateGradescope(results)).toBe('');
    expect(results.score).toBe(0);
    expect(results.output).toMatch(/The build failed[^]*undeclared_thing/);
    expect(results.tests.map((t: { extra_data: { id: string } }) => t.extra_data.id)).toEqual(json.tests.map((t) => t.id));
    expect(results.tests.every((t: { status: string; score: number }) => t.status === 'failed' && t.score === 0)).toBe(true);
    expect(results.tests.reduce((s: number, t: { max_score: number }) => s + t.max_score * 100, 0)).toBeCloseTo(10000, 6);
  });

  it('run_autograder writes a results.json without a score, saying so, when this machine cannot grade', async () => {
    const r = await runAutograder(byteOrder, { SOCKGRADE_SANDBOX: 'inginious', PATH: process.env.PATH! });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/run_student not found/); // the reason, for the instructors
    const results = JSON.parse(readFileSync(path.join(root, 'results', 'results.json'), 'utf8'));
    expect(validateGradescope(results)).toBe('');
    expect(results).not.toHaveProperty('score');
    expect(results.output).toMatch(/could not grade this submission on this machine; this is not a problem with your work/);
  });

  // Where the container forbids namespaces, run_autograder falls back to a
  // separate user (--sandbox bwrap,user). Here bwrap works, so the fallback is
  // asked for by name, in a network namespace of its own as a Gradescope
  // container has (the user backend makes none).
  it.skipIf(process.getuid?.() !== 0)('run_autograder grades with the program as a separate user when asked (the fallback), leaving nothing running', async () => {
    const r = await runAutograder(byteOrder, { SOCKGRADE_SANDBOX: 'user', PATH: process.env.PATH!, WRAP: 'netns' });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(path.join(root, 'results', 'results.json'), 'utf8'));
    expect(validateGradescope(results)).toBe('');
    expect(results.extra_data.sandbox).toBe('user');
    expect(results.tests.map((t: { extra_data: { result: string } }) => t.extra_data.result)).toEqual(json.tests.map((t) => t.result));
    const left = spawnSync('ps', ['-o', 'pid=', '-u', '64999'], { encoding: 'utf8' }).stdout.trim();
    expect(left).toBe('');
  });

  it('run_autograder gives an unusable submission 0 and the reason', async () => {
    const r = await runAutograder(null); // /autograder/submission missing
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(path.join(root, 'results', 'results.json'), 'utf8'));
    expect(validateGradescope(results)).toBe('');
    expect(results.score).toBe(0);
    expect(results.output).toMatch(/submission not found/);
  });
});

describe('Docker images', () => {
  /** A Dockerfile's instructions, continuation lines joined, comments dropped. */
  function instructions(file: string): { op: string; args: string }[] {
    return readFileSync(file, 'utf8')
      .replace(/\\\n/g, ' ')
      .split('\n')
      .filter((l) => l.trim() && !l.trim().startsWith('#'))
      .map((l) => {
        const [op, ...rest] = l.trim().split(/\s+/);
        return { op: op!.toUpperCase(), args: rest.join(' ') };
      });
  }

  it.each([['docker/Dockerfile'], ['docker/inginious/Dockerfile']])('%s installs system packages with the script CI runs', (file) => {
    const steps = instructions(path.join(ROOT, file));
    const copy = steps.find((s) => s.op === 'COPY' && s.args.startsWith('.ci/install-system-deps.sh '));
    expect(copy, 'COPY .ci/install-system-deps.sh').toBeDefined();
    const dest = copy!.args.split(' ')[1]!;
    expect(steps.some((s) => s.op === 'RUN' && s.args.includes(`bash ${dest}`))).toBe(true);
    expect(readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/bash \.ci\/install-system-deps\.sh/);
    // Every other source the image copies exists in the repository.
    for (const s of steps.filter((x) => x.op === 'COPY')) {
      for (const src of s.args.split(' ').slice(0, -1)) expect(existsSync(path.join(ROOT, src)), src).toBe(true);
    }
  });

  it('the INGInious image is built on INGInious\'s versioned base image, named for tasks to select, with its helpers built in', () => {
    const steps = instructions(path.join(DOCKER, 'inginious', 'Dockerfile'));
    expect(steps.find((s) => s.op === 'ARG')!.args).toMatch(/^INGINIOUS_VERSION=\d+\.\d+\.\d+$/);
    expect(steps.find((s) => s.op === 'FROM')!.args).toBe('ghcr.io/inginious/env-base:v${INGINIOUS_VERSION}');
    expect(steps.find((s) => s.op === 'LABEL')!.args).toBe('org.inginious.grading.name="sockgrade"');
    // sg-remote runs in the student containers: built into the image by npm ci's install step, and the build fails without it.
    expect(steps.some((s) => s.op === 'RUN' && s.args.includes('npm ci') && s.args.includes('dist/native/remote-launch-*'))).toBe(true);
    // Tasks (hidden tests) never go in the image: the student containers are made from it.
    expect(steps.some((s) => s.op === 'COPY' && /\btasks\b/.test(s.args))).toBe(false);
    const task = parse(readFileSync(path.join(DOCKER, 'inginious', 'task', 'task.yaml'), 'utf8'));
    expect(task).toMatchObject({ environment_type: 'docker', environment_id: 'sockgrade', environment_parameters: { network_grading: false } });
    expect(task).not.toHaveProperty('environment');
  });

  it('the grading image is Node 20 and runs sockgrade as an unprivileged user', () => {
    const steps = instructions(path.join(DOCKER, 'Dockerfile'));
    expect(steps.find((s) => s.op === 'FROM')!.args).toMatch(/^node:20\b/);
    expect(steps.filter((s) => s.op === 'USER').pop()!.args).toBe('node');
    expect(steps.find((s) => s.op === 'ENTRYPOINT')!.args).toBe('["sockgrade"]');
  });
});

// The install script's Red Hat branch (INGInious images): with only dnf there,
// it asks dnf for the Red Hat names of what is missing.
describe('.ci/install-system-deps.sh', () => {
  it('installs with dnf, under Red Hat package names, where there is no apt-get', async () => {
    const bin = tempDir('sockgrade-rhel-bin-');
    const log = path.join(tempDir('sockgrade-dnf-'), 'dnf.log');
    // A PATH with the script's tools but none of the packages it checks for, and dnf instead of apt-get.
    for (const tool of ['awk', 'sed', 'cat', 'id', 'env']) {
      const from = ['/usr/bin', '/bin'].map((d) => path.join(d, tool)).find(existsSync)!;
      writeFileSync(path.join(bin, tool), `#!/bin/sh\nexec ${from} "$@"\n`);
    }
    writeFileSync(path.join(bin, 'dnf'), `#!/bin/sh\necho "$@" >> ${log}\nexit 0\n`);
    for (const f of readdirSync(bin)) chmodSync(path.join(bin, f), 0o755);
    await execa('/bin/bash', [path.join(ROOT, '.ci', 'install-system-deps.sh')], { env: { PATH: bin }, reject: false });
    const python = existsSync('/usr/bin/python3') ? [] : ['python3'];
    // The images get no test tools (--for-tests): no docutils, tshark or Chromium.
    const wanted = ['bubblewrap', 'util-linux', 'iproute', 'gcc', 'glibc-devel', 'make', ...python, 'zip'];
    expect(readFileSync(log, 'utf8').trim()).toBe(`-y -q install ${wanted.join(' ')}`);
  });
});
