// What a student hands in is graded from a scratch copy: the original is never
// written, and the shapes a student may hand in all work.
import { chmodSync, cpSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, grade, summary, tempDir } from './helpers.js';

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
