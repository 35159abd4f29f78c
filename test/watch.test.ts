// `grade --watch`: a student fixes their file and the report comes again on
// its own; Ctrl-C ends it with exit 0. The real CLI as a child process, the
// real sandbox; waits on the child's output, never a fixed time.
import { copyFileSync, cpSync, existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, fixture, tempDir } from './helpers.js';

const REPORT_END = /^score: .*$/gm;

describe('grade --watch', () => {
  it('grades again when the submission changes, and ends with exit 0 on Ctrl-C', async () => {
    const dir = tempDir();
    const work = path.join(dir, 'work');
    cpSync(fixture('calculator-server', 'host-byte-order'), work, { recursive: true });
    // The traces go inside the watched folder: writing them is not a change of the student's.
    const args = ['grade', 'calculator-server', work, '--test', 'sum-int', '--watch', '--trace', path.join(work, 'traces')];
    const child = execa(process.execPath, [BIN, ...args], { reject: false, cwd: ROOT, buffer: true });
    let stdout = '';
    let stderr = '';
    const waiters: { count: number; resolve: () => void }[] = [];
    const reports = () => stdout.match(REPORT_END)?.length ?? 0;
    const settle = () => {
      for (const w of waiters.splice(0)) (reports() >= w.count ? w.resolve() : waiters.push(w));
    };
    child.stdout!.on('data', (b: Buffer) => {
      stdout += b.toString();
      settle();
    });
    child.stderr!.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    // Resolves when the nth report is complete; the child ending first is a failure, not a hang.
    const nthReport = (count: number) =>
      Promise.race([
        new Promise<void>((resolve) => {
          waiters.push({ count, resolve });
          settle();
        }),
        child.then(() => {
          throw new Error(`the watch ended before report ${count}: ${stderr}`);
        }),
      ]);
    try {
      await nthReport(1);
      expect(stdout).toMatch(/FAIL\s+sum-int/);
      expect(stdout.match(REPORT_END)![0]).toMatch(/^score: 0\/100/);
      expect(existsSync(path.join(work, 'traces', 'sum-int.pcapng'))).toBe(true);

      // The student's fix: the byte-order bug gone.
      copyFileSync(path.join(fixture('calculator-server', 'correct-c-plain'), 'server.c'), path.join(work, 'server.c'));
      await nthReport(2);
      const second = stdout.split(REPORT_END)[1]!;
      expect(second).toMatch(/PASS\s+sum-int/);
      expect(stdout.match(REPORT_END)![1]).toMatch(/^score: 100\/100/);
      expect(stderr).toMatch(/watching .*work: the report comes again when a file changes/);
    } finally {
      child.kill('SIGINT'); // by its pid, as Ctrl-C would
    }
    const end = await child;
    expect(end.exitCode, stderr).toBe(0);
    expect(reports()).toBe(2); // one save, one grading
  });
});
