// Timing whole processes as a user's shell would: wall time from spawn to
// exit, and CPU (user+sys) of the process and every descendant it waited for,
// read by GNU time from the kernel's rusage of children. process.resourceUsage()
// would count only this bench's own process, not the grade it spawned.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface Timed {
  /** Wall seconds from spawn to exit, measured here (finer than time's %e). */
  wallS: number;
  /** User+system CPU seconds of the command and its waited-for descendants. */
  cpuS: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

export function assertGnuTime(): void {
  if (!existsSync(GNU_TIME)) {
    process.stderr.write(`bench: ${GNU_TIME} not found; the CPU per grade is read with GNU time (apt-get install time)\n`);
    process.exit(3);
  }
}

/** Runs argv to its exit through GNU time; never throws on a non-zero status (the caller judges). */
export async function timeCommand(argv: string[], opts: { cwd?: string } = {}): Promise<Timed> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sockgrade-bench-time-'));
  const usage = path.join(dir, 'usage');
  try {
    const started = performance.now();
    const child = spawn(GNU_TIME, ['-f', '%U %S', '-o', usage, '--', ...argv], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c));
    });
    const wallS = (performance.now() - started) / 1000;
    // time writes "Command exited with non-zero status N" before the figures when the status is not 0.
    const last = readFileSync(usage, 'utf8').trim().split('\n').pop() ?? '';
    const [user, sys] = last.split(' ').map(Number);
    if (!Number.isFinite(user) || !Number.isFinite(sys)) throw new Error(`bench: cannot read ${GNU_TIME}'s output: ${last}`);
    return { wallS, cpuS: user! + sys!, code, stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Like timeCommand, but a non-zero status is a broken bench, said in one line. */
export async function timeOk(argv: string[], opts: { cwd?: string } = {}): Promise<Timed> {
  const t = await timeCommand(argv, opts);
  if (t.code !== 0) throw new Error(`bench: ${argv.join(' ')} exited with status ${t.code}: ${t.stderr.trim().slice(-300)}`);
  return t;
}
