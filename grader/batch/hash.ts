// Content hashes that say whether a stored grade still holds: one of the
// submission's files (paths, bytes, executable bits, link targets) or of its
// archive bytes, one of the task folder. Student names are not hashed, so
// two students who handed in the same thing get the same hash. Names are
// hashed as bytes (a name that is not UTF-8 is its own), and nothing but a
// regular file is ever opened: a FIFO or a device is hashed by its kind.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, lstatSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { escapeName, joinName, type FsPath } from '../../runner/names.js';
import { packageRoot } from '../../runner/paths.js';
import { openRegular, specialKind } from '../../runner/tree.js';
import type { Task } from '../model/task.js';

const SOCKGRADE_VERSION = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;

function hashFileBytes(h: Hash, file: FsPath, followLink = false): void {
  const buf = Buffer.alloc(1 << 20);
  const { fd } = openRegular(file, followLink);
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

/** `rel` is the '/'-joined path below the root, as bytes; `skip` sees it escaped. */
function hashTree(h: Hash, dir: FsPath, rel: Buffer, skip: (rel: string) => boolean): void {
  for (const name of readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare)) {
    const r = rel.length ? Buffer.concat([rel, Buffer.from('/'), name]) : name;
    if (skip(escapeName(r))) continue;
    const p = joinName(dir, name);
    const st = lstatSync(p);
    const entry = (kind: string, ...rest: (string | Buffer)[]) => {
      h.update(`${kind}\0`);
      for (const part of [r, ...rest]) h.update(part).update('\0');
    };
    if (st.isDirectory()) {
      entry('D');
      hashTree(h, p, r, skip);
    } else if (st.isSymbolicLink()) {
      entry('L', readlinkSync(p, { encoding: 'buffer' }));
    } else if (st.isFile()) {
      entry('F', st.mode & 0o111 ? 'x' : '-', String(st.size));
      hashFileBytes(h, p);
    } else {
      entry('O'); // a pipe, socket or device: never read
    }
  }
}

export function submissionHash(submission: FsPath): string {
  const h = createHash('sha256');
  const st = statSync(submission); // opens nothing
  if (st.isDirectory()) {
    h.update('dir\0');
    hashTree(h, submission, Buffer.alloc(0), () => false);
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
  hashTree(h, task.dir, Buffer.alloc(0), (rel) => rel === statement || path.basename(rel).startsWith('.'));
  return h.digest('hex');
}
