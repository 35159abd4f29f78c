// Content hashes that say whether a stored grade still holds: one of the
// submission's files (paths, bytes, executable bits, link targets) or of its
// archive bytes, one of the task folder. Student names are not hashed, so
// two students who handed in the same thing get the same hash.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../runner/paths.js';
import type { Task } from '../task/load.js';

const SOCKGRADE_VERSION = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

function hashFileBytes(h: Hash, file: string): void {
  const buf = Buffer.alloc(1 << 20);
  const fd = openSync(file, 'r');
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

function hashTree(h: Hash, root: string, rel: string, skip: (rel: string) => boolean): void {
  for (const name of readdirSync(path.join(root, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    if (skip(r)) continue;
    const p = path.join(root, r);
    const st = lstatSync(p);
    if (st.isDirectory()) {
      h.update(`D\0${r}\0`);
      hashTree(h, root, r, skip);
    } else if (st.isSymbolicLink()) {
      h.update(`L\0${r}\0${readlinkSync(p)}\0`);
    } else if (st.isFile()) {
      h.update(`F\0${r}\0${st.mode & 0o111 ? 'x' : '-'}\0${st.size}\0`);
      hashFileBytes(h, p);
    } else {
      h.update(`O\0${r}\0`); // a pipe or socket: never read
    }
  }
}

export function submissionHash(submission: string): string {
  const h = createHash('sha256');
  if (statSync(submission).isDirectory()) {
    h.update('dir\0');
    hashTree(h, submission, '', () => false);
  } else {
    // A .c file is built, any other file run: the kind is part of what is graded.
    h.update(`file\0${submission.endsWith('.c') ? 'c' : ''}\0`);
    hashFileBytes(h, submission);
  }
  return h.digest('hex');
}

/**
 * Everything that can change a grade: the task folder (not the statement, not
 * dotfiles), and sockgrade's own version, whose checks and harness judge it.
 */
export function taskHash(task: Task): string {
  const h = createHash('sha256');
  h.update(`sockgrade ${SOCKGRADE_VERSION}\0`);
  const statement = path.relative(task.dir, task.statementPath);
  hashTree(h, task.dir, '', (rel) => rel === statement || path.basename(rel).startsWith('.'));
  return h.digest('hex');
}
