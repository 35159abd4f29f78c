// Files that must survive the process being killed at any instant, or the
// machine losing power: written, flushed to disk, then renamed into place.
import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Flushes a folder's entries (a rename or a new file) to disk. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `file` with `text` all at once: a reader (or a restart after a
 * kill) sees the old content or the new, never half. `durable` also flushes
 * it to disk before returning.
 */
export function writeFileAtomic(file: string, text: string, durable = false): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, text);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  if (durable) fsyncDir(path.dirname(file));
}
