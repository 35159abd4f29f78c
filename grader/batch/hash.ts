// Content hashes that say whether a stored grade still holds: one of the
// submission's files (paths, bytes, executable bits, link targets) or of its
// archive bytes, one of the task folder. Student names are not hashed, so
// two students who handed in the same thing get the same hash. Names are
// hashed as bytes (a name that is not UTF-8 is its own), and nothing but a
// regular file is ever opened (runner/tree.ts hashTree): a FIFO or a device is hashed by its kind.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { escapeName, type FsPath } from '../../runner/names.js';
import { packageRoot } from '../../runner/paths.js';
import { hashFileBytes, hashTree, specialKind } from '../../runner/tree.js';
import type { Task } from '../model/task.js';

const SOCKGRADE_VERSION = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

export function submissionHash(submission: FsPath): string {
  const h = createHash('sha256');
  const st = statSync(submission); // opens nothing
  if (st.isDirectory()) {
    h.update('dir\0');
    hashTree(h, submission);
  } else if (st.isFile()) {
    // A .c file is built, any other file run: the kind is part of what is graded.
    h.update(`file\0${escapeName(submission).endsWith('.c') ? 'c' : ''}\0`);
    hashFileBytes(h, submission, true);
  } else {
    h.update(`special\0${specialKind(st)}\0`); // refused when graded; never opened here
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
  hashTree(h, task.dir, { skip: (rel) => rel === statement || path.basename(rel).startsWith('.') });
  return h.digest('hex');
}
