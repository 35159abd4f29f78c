// A short system command of the job's own (mount, ip) run without blocking
// its thread: the job starts them as it starts, while Node loads its modules
// (runner/job/own-namespaces.ts). Not execa: loading it would cost more than
// these calls.
import { spawn } from 'node:child_process';

/** Runs `file args` with `input` on its stdin; rejects with what it said on stderr (or why it could not run). */
export function runQuietly(file: string, args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => (stderr += d));
    child.stdin?.on('error', () => {}); // it may end before reading: its status says why
    child.stdin?.end(input);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const why = stderr.trim().replace(/\s+/g, ' ') || `${file} ended with ${signal ?? `status ${code}`}`;
      reject(new Error(why));
    });
  });
}
