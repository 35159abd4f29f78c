// Where a command is on PATH, as exec finds it: the first folder of the list
// where it is a file we may execute. One home for the sandbox probe, the
// INGInious commands and the job's own process starts. Empty entries (the
// current folder to exec) are skipped: sockgrade never runs what happens to
// be where it was started.
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';

/** The command's path in the first folder of `dirs` (a PATH value) where it can be executed; null when none. */
export function findOnPath(cmd: string, dirs: string): string | null {
  for (const dir of dirs.split(':')) {
    if (!dir) continue;
    const file = path.join(dir, cmd);
    // Missing is the common case on a long PATH, and accessSync says so by throwing (an error and its stack each time).
    if (!existsSync(file)) continue;
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* there, but not ours to run: keep looking */
    }
  }
  return null;
}
