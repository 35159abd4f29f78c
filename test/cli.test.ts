// The command line as users and their scripts see it: exit statuses, one-line
// errors without stack traces, the JSON report's shape.
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { compileNative } from '../runner/sandbox/native.js';
import { launcherSource } from '../runner/job/run-job.js';
import { BIN, ROOT, TASKS, checkoutReadableBy, fixture, noStackTrace, tempDir, runCli } from './helpers.js';

function sockgrade(args: string[], opts: { env?: Record<string, string>; asUser?: number } = {}) {
  if (opts.asUser === undefined) return runCli(args, opts.env ? { env: opts.env, extendEnv: false } : {});
  const id = String(opts.asUser);
  return execa('setpriv', ['--reuid', id, '--regid', id, '--clear-groups', '--', process.execPath, BIN, ...args], { reject: false, cwd: ROOT });
}

const correct = fixture('calculator-server', 'correct-python');

describe('sockgrade grade', () => {
  it('grades a submission and prints the contract JSON report (exit 0)', async () => {
    const r = await sockgrade(['grade', 'calculator-server', correct, '--format', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ schema: 'sockgrade.report/v1', task: 'calculator-server', result: 'success', score: 100, build: { ok: true } });
    expect(report.tests.length).toBeGreaterThanOrEqual(20);
    for (const t of report.tests) {
      expect(Object.keys(t)).toEqual(expect.arrayContaining(['id', 'name', 'tags', 'weight', 'passed', 'result', 'feedback', 'duration_ms']));
    }
  });

  it('prints a plain text report, without colours, when not on a terminal', async () => {
    const r = await sockgrade(['grade', 'calculator-server', fixture('calculator-server', 'host-byte-order')]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/FAIL\s+sum-int/);
    expect(r.stdout).toMatch(/byte order/);
    expect(r.stdout).toMatch(/^score: \d/m);
    expect(r.stdout).not.toContain('\x1b[');
  });

  it('says in one line, exit 2, that a task is unknown', async () => {
    const r = await sockgrade(['grade', 'no-such-task', correct]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown task 'no-such-task'.*known tasks: .*calculator-server/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('says in one line, exit 2, that a submission is missing', async () => {
    const r = await sockgrade(['grade', 'calculator-server', '/nonexistent/work']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toBe('sockgrade: submission not found: /nonexistent/work');
  });

  it('reports every problem of a broken task.yaml with file:line:col, exit 2, no stack trace', async () => {
    const dir = tempDir('sockgrade-task-');
    cpSync(path.join(TASKS, 'calculator-server'), dir, { recursive: true });
    const yaml = readFileSync(path.join(dir, 'task.yaml'), 'utf8')
      .replace('port: 10000', 'port: ten-thousand')
      .replace('protocol: calculator', 'protocol: calculator\nretries: 3');
    writeFileSync(path.join(dir, 'task.yaml'), yaml);
    const r = await sockgrade(['grade', dir, correct]);
    expect(r.exitCode).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines.some((l) => /task\.yaml:\d+:\d+: port must be a number, not the text ten-thousand$/.test(l)), r.stderr).toBe(true);
    expect(lines.some((l) => /task\.yaml:\d+:1: unknown key 'retries'/.test(l))).toBe(true);
    noStackTrace(r.stderr);
  });

  it('exits 3 with the fix in one line when the machine has no sandbox', async () => {
    const r = await sockgrade(['grade', 'calculator-server', correct], { env: { PATH: '/nonexistent' } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/bwrap.*not found.*apt-get install .*bubblewrap/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.runIf(checkoutReadableBy(65534))('grades as an ordinary user too, through user namespaces', async () => {
    await compileNative(launcherSource(), 'exe'); // built by root: the user cannot write dist/
    const r = await sockgrade(['grade', 'calculator-server', correct, '--format', 'json'], { asUser: 65534 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ result: 'success', score: 100 });
  });
});

describe('sockgrade tasks', () => {
  it('lists the bundled tasks', async () => {
    const r = await sockgrade(['tasks']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^calculator-server\s+server\s+\d+ tests/m);
  });

  it('runs as an installed command (a symlink to bin/sockgrade.js) without reading NODE_EXTRA_CA_CERTS, and the same under node', async () => {
    // Node warns on stderr, before any code runs, when the file it names cannot be read.
    const env = { NODE_EXTRA_CA_CERTS: path.join(tempDir(), 'absent.pem') };
    const link = path.join(tempDir(), 'sockgrade');
    symlinkSync(BIN, link);
    const asCommand = await execa(link, ['tasks'], { env, reject: false });
    expect(asCommand.exitCode, asCommand.stderr).toBe(0);
    expect(asCommand.stderr).not.toMatch(/extra certs/);
    const underNode = await execa(process.execPath, [BIN, 'tasks'], { env, reject: false });
    expect(underNode.stdout).toBe(asCommand.stdout);
    expect(underNode.stderr).toMatch(/extra certs/); // what the command's first line spares it
  });
});

describe('the command line contract', () => {
  function oneLine(r: { stderr: string }): string {
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    noStackTrace(r.stderr);
    return lines[0]!;
  }

  it('takes an unknown SOCKGRADE_LOG level as a usage error: one line, exit 2', async () => {
    const r = await runCli(['tasks'], { env: { SOCKGRADE_LOG: 'verbose' } });
    expect(r.exitCode).toBe(2);
    expect(oneLine(r)).toMatch(/^sockgrade: SOCKGRADE_LOG takes .*debug.*, not 'verbose'$/);
    expect(r.stdout).toBe('');
  });

  it('says what is wrong with the command line in one line, naming the mistake and what the command takes, exit 2', async () => {
    const bad = await sockgrade(['grade', 'calculator-server', correct, '--bogus']);
    expect(bad.exitCode).toBe(2);
    expect(oneLine(bad)).toMatch(/^sockgrade: unknown option '--bogus'; grade takes --format text\|json\|.*, --out FILE, --seed N, .*--show-all.* \(sockgrade grade --help\)$/);
    expect(bad.stderr).not.toMatch(/positional|place it at the end/); // not Node's advice on '--'
    const dash = await sockgrade(['grade', 'calculator-server', '-x', correct]);
    expect(oneLine(dash)).toMatch(/^sockgrade: unknown option '-x'; grade takes --format /);
    const missing = await sockgrade(['grade', 'calculator-server']);
    expect(missing.exitCode).toBe(2);
    expect(oneLine(missing)).toMatch(/^sockgrade: SUBMISSION is missing; usage: sockgrade grade TASK SUBMISSION \[--format /);
    const both = await sockgrade(['batch']);
    expect(oneLine(both)).toMatch(/^sockgrade: TASK and SUBMISSIONS_DIR are missing; usage: sockgrade batch TASK SUBMISSIONS_DIR /);
    const value = await sockgrade(['grade', 'calculator-server', correct, '--seed']);
    expect(oneLine(value)).toMatch(/^sockgrade: --seed needs a value \(--seed N\); usage: sockgrade grade /);
    const count = await sockgrade(['doctor', 'extra']);
    expect(count.exitCode).toBe(2);
    expect(oneLine(count)).toBe("sockgrade: doctor takes no arguments: 'extra'; usage: sockgrade doctor [--format text|json]");
    const unknown = await sockgrade(['frobnicate']);
    expect(unknown.exitCode).toBe(2);
    expect(oneLine(unknown)).toMatch(/^sockgrade: unknown command 'frobnicate'; commands: grade, .*doctor/);
  });

  it('prints its version, and each command\'s help: every option with one line, the environment, examples (exit 0)', async () => {
    const version = await sockgrade(['--version']);
    expect(version.exitCode).toBe(0);
    expect(version.stdout).toBe(`sockgrade ${JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version}`);
    const top = await sockgrade(['--help']);
    expect(top.exitCode).toBe(0);
    for (const command of ['grade', 'batch', 'check', 'doctor', 'tasks', 'demo']) expect(top.stdout).toMatch(new RegExp(`^  ${command} .*\\w`, 'm'));
    const { COMMANDS: COMMAND_SPECS } = await import('../grader/cli/commands.js');
    for (const [command, spec] of Object.entries(COMMAND_SPECS)) {
      for (const flag of ['--help', '-h']) {
        const r = await sockgrade([command, flag]);
        expect(r.exitCode, `${command} ${flag}: ${r.stderr}`).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^usage: sockgrade ${command}`));
        for (const option of [...Object.keys(spec.options), 'help', 'no-color']) {
          // Each option on its own line, with words after it.
          expect(r.stdout, `${command} --${option}`).toMatch(new RegExp(`^ .*--${option}\\b.*  \\w+`, 'm'));
        }
        expect(r.stdout).toMatch(/^environment:\n  SOCKGRADE_/m);
        expect(r.stdout).toMatch(/^examples:\n  sockgrade /m);
      }
    }
    // Help wins over a missing argument: `grade --help` alone is not an error.
    expect((await sockgrade(['help', 'grade'])).stdout).toMatch(/^usage: sockgrade grade TASK SUBMISSION/);
  });

  it('refuses a bad --out before grading, so no grade is lost to it (exit 2)', async () => {
    const dir = tempDir('sockgrade-out-');
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'x');
    const cases: [string[], RegExp][] = [
      [['grade', 'calculator-server', correct, '--out', path.join(file, 'r.json')], /^sockgrade: --out .*a-file\/r\.json: cannot make folder .*a-file \((EEXIST|ENOTDIR)\)$/],
      [['grade', 'calculator-server', correct, '--out', dir], /^sockgrade: --out .* is a folder; give the name of a file to write$/],
      [['check', 'calculator-server', '--out', path.join(file, 'check.xml')], /^sockgrade: --out .*check\.xml: cannot make folder .*a-file/],
    ];
    for (const [args, message] of cases) {
      const r = await sockgrade(args);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(oneLine(r)).toMatch(message);
      expect(r.stdout).toBe(''); // nothing was graded: no report, no check progress
    }
    mkdirSync(path.join(dir, 'subs'));
    const batch = await sockgrade(['batch', 'calculator-server', path.join(dir, 'subs'), '--out', file]);
    expect(batch.exitCode).toBe(2);
    expect(oneLine(batch)).toMatch(/--out .*a-file is a file; give a folder for the grades/);
  });

  it('makes a missing --out folder only once the rest of the command line is good', async () => {
    const dir = tempDir('sockgrade-out-');
    const r = await sockgrade(['grade', 'no-such-task', correct, '--out', path.join(dir, 'reports', 'r.json')]);
    expect(r.exitCode).toBe(2);
    expect(existsSync(path.join(dir, 'reports'))).toBe(false);
  });

  it.runIf(checkoutReadableBy(65534))('refuses an --out folder the grader cannot write, as an ordinary user', async () => {
    const r = await sockgrade(['grade', 'calculator-server', correct, '--out', '/root/report.json'], { asUser: 65534 });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim()).toMatch(/^sockgrade: --out \/root\/report\.json: folder \/root is not writable$/);
  });

  it('takes a SOCKGRADE_TASKS that is not a folder as a usage error when listing tasks', async () => {
    const r = await runCli(['tasks'], { env: { SOCKGRADE_TASKS: '/nonexistent/tasks' } });
    expect(r.exitCode).toBe(2);
    expect(oneLine(r)).toBe('sockgrade: tasks folder not found: /nonexistent/tasks; SOCKGRADE_TASKS must name the folder holding the task folders');
  });

  it('exits 0 quietly when the reader of its output goes away (| true)', async () => {
    // `true` exits without reading: the listing's write meets a closed pipe (EPIPE).
    const r = await execa('bash', ['-c', `"${process.execPath}" "${BIN}" tasks | true; echo "status=\${PIPESTATUS[0]}"`], { reject: false, cwd: ROOT });
    expect(r.stdout.trim()).toBe('status=0');
    expect(r.stderr).toBe('');
  });

  describe('an internal error (a fault of sockgrade)', () => {
    // The real dispatcher, with a command standing in for a bug: nothing a user
    // can type reaches one, and each kind of failure must still end the same way.
    function runBuggy(body: string, env: Record<string, string> = {}) {
      const script = path.join(tempDir('sockgrade-bug-'), 'buggy.mjs');
      writeFileSync(
        script,
        [
          `import { main } from ${JSON.stringify(path.join(ROOT, 'dist', 'grader', 'cli', 'main.js'))};`,
          `import { registerCommand } from ${JSON.stringify(path.join(ROOT, 'dist', 'grader', 'cli', 'main.js'))};`,
          `registerCommand('buggy', async () => { ${body} });`,
          "process.exitCode = await main(['buggy']);",
        ].join('\n'),
      );
      return execa(process.execPath, [script], { reject: false, env: { ...process.env, ...env } });
    }

    it('is one line asking for a report, exit 4, no stack trace', async () => {
      const r = await runBuggy("throw new TypeError('cannot read x of undefined\\nmore');");
      expect(r.exitCode).toBe(4);
      expect(oneLine(r)).toBe(
        'sockgrade: internal error: cannot read x of undefined; please report it with the command line (SOCKGRADE_LOG=debug shows the stack)',
      );
    });

    it('ends the same way when thrown outside the command\'s own await', async () => {
      const r = await runBuggy("setImmediate(() => { throw new Error('late failure'); }); await new Promise(() => {});");
      expect(r.exitCode).toBe(4);
      expect(oneLine(r)).toMatch(/^sockgrade: internal error: late failure; please report it/);
    });

    it('shows the stack with SOCKGRADE_LOG=debug', async () => {
      const r = await runBuggy("throw new Error('with stack');", { SOCKGRADE_LOG: 'debug' });
      expect(r.exitCode).toBe(4);
      expect(r.stderr).toMatch(/internal error: with stack; please report it/);
      expect(r.stderr).toMatch(/buggy\.mjs:\d+/); // where it was thrown
    });
  });
});

describe('colour', () => {
  const failing = fixture('calculator-server', 'host-byte-order');
  const args = ['grade', 'calculator-server', failing, '--test', 'sum-int', '--test', 'sum-text'];
  const colour = /\x1b\[3[12]m/;
  /** Runs sockgrade with a pseudo-terminal as its stdout (`script`), as at a keyboard. */
  function onTerminal(extra: string[], env: Record<string, string> = {}) {
    const command = [process.execPath, BIN, ...args, ...extra].map((a) => `'${a}'`).join(' ');
    return execa('script', ['-qfec', command, '/dev/null'], { reject: false, cwd: ROOT, env: { TERM: 'xterm', ...env } });
  }

  it('colours on a terminal, never with --no-color, NO_COLOR or TERM=dumb; no empty colour codes', async () => {
    const tty = await onTerminal([]);
    expect(tty.exitCode, tty.stdout).toBe(0);
    expect(tty.stdout).toMatch(colour);
    expect(tty.stdout).not.toMatch(/\x1b\[[1-9]\d*m\x1b\[0m/); // nothing painted, no codes
    for (const [extra, env] of [[['--no-color'], {}], [[], { NO_COLOR: '1' }], [[], { TERM: 'dumb' }]] as [string[], Record<string, string>][]) {
      const r = await onTerminal(extra, env);
      expect(r.exitCode, r.stdout).toBe(0);
      expect(r.stdout, JSON.stringify({ extra, env })).toMatch(/FAIL\s+sum-int/);
      expect(r.stdout, JSON.stringify({ extra, env })).not.toContain('\x1b[');
    }
  });

  it('FORCE_COLOR colours a report that is not on a terminal, unless NO_COLOR says no', async () => {
    const forced = await runCli(args, { env: { FORCE_COLOR: '1' } });
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(colour);
    const both = await runCli(args, { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(both.stdout).not.toContain('\x1b[');
    const zero = await runCli(args, { env: { FORCE_COLOR: '0' } });
    expect(zero.stdout).not.toContain('\x1b[');
  });
});
