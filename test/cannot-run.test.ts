// A submission that cannot run at all gets one message saying what to do,
// once — not the same line under each of twenty tests. Real submissions,
// graded in the real sandbox.
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, grade, runCli, tempDir, writeFiles } from './helpers.js';

const correctC = path.join(fixture('calculator-server', 'correct-c-plain'), 'server.c');
const correctPython = path.join(fixture('calculator-server', 'correct-python'), 'server');

/** A submission folder holding these files (name -> text), executables when asked. */
function submission(files: Record<string, string>, executable: string[] = []): string {
  return writeFiles(tempDir('sockgrade-cannot-run-'), files, (name) => (executable.includes(name) ? 0o755 : 0o644));
}

async function oneMessage(dir: string): Promise<string> {
  const report = await grade('calculator-server', dir);
  expect(report).toMatchObject({ result: 'failed', score: 0, build: { ok: false }, tests: [] });
  return report.build.output;
}

describe('a submission that cannot run', () => {
  it('a script without its #! line: add one (the interpreter guessed from the text)', async () => {
    expect(await oneMessage(fixture('calculator-server', 'script-without-shebang'))).toBe(
      "'server' is a script without a #! line, so nothing says which interpreter runs it: make its first line e.g. #!/usr/bin/env python3",
    );
    const sh = submission({ server: 'echo hello\n' }, ['server']);
    expect(await oneMessage(sh)).toMatch(/make its first line e\.g\. #!\/bin\/sh$/);
  });

  it('a #! line ending in CR LF: save with Unix line endings', async () => {
    expect(await oneMessage(fixture('calculator-server', 'crlf-shebang'))).toMatch(/ends in a Windows line ending \(CR LF\), .*'python3\\r'.*dos2unix server$/);
  });

  it('a near miss of the file name: what the submission has, and the name to use', async () => {
    expect(await oneMessage(fixture('calculator-server', 'wrong-file-name'))).toBe(
      'nothing to build or run: the submission has none of Makefile, server.c, server; it has main.cpp: server.c is expected: the task builds C with gcc, not C++; write the program in C as server.c (or add a Makefile)',
    );
    const c = readFileSync(correctC, 'utf8');
    expect(await oneMessage(submission({ 'Server.c': c }))).toMatch(/it has Server\.c: rename Server\.c to server\.c \(names are case-sensitive\)$/);
    expect(await oneMessage(submission({ 'calc.c': c, 'notes.txt': 'x' }))).toMatch(/it has calc\.c, notes\.txt: rename calc\.c to server\.c$/);
    const folder = tempDir('sockgrade-cannot-run-');
    cpSync(fixture('calculator-server', 'correct-c-plain'), path.join(folder, 'lab3'), { recursive: true });
    expect(await oneMessage(folder)).toMatch(/it has lab3\/: your files are inside the folder lab3\/: hand in the files themselves/);
  });

  it('every test fails to start it the same way (an interpreter the machine lacks): said once', async () => {
    const python2 = readFileSync(correctPython, 'utf8').replace('#!/usr/bin/env python3', '#!/usr/bin/env python2-not-installed');
    expect(await oneMessage(submission({ server: python2 }, ['server']))).toMatch(
      /^the program 'server' cannot be started: \/usr\/bin\/env: .python2-not-installed.: No such file or directory; check its #! line/,
    );
  });

  it('the text report says it once', async () => {
    const r = await runCli(['grade', 'calculator-server', fixture('calculator-server', 'script-without-shebang')]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.match(/without a #! line/g)).toHaveLength(1);
    expect(r.stdout).toMatch(/^submission: FAILED$/m);
    expect(r.stdout).not.toMatch(/FAIL\s+sum-int/);
  });
});
