// A submission folder read as the kernel has it: names as bytes (see
// names.ts), lstat only, links never followed, and nothing opened but regular
// files, opened non-blocking and checked again once open: opening a FIFO
// blocks, and a device such as /dev/zero never ends. measureTree counts what a
// folder will take on the scratch tmpfs before anything is copied; hashTree
// feeds it to a content hash (a batch's resume, its build reuse); copyTree
// copies it, walking folders by descriptor (a folder swapped for a link while
// it is copied is never followed) and refusing a hard link to someone else's
// file (root would otherwise copy, and hand the student, what it can read).
import type { Hash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, opendirSync, openSync, readdirSync, readlinkSync, readSync, symlinkSync, writeSync, type Stats } from 'node:fs';
import { SubmissionError, SubmissionTooLargeError } from './errors.js';
import { escapeName, joinName, type FsPath } from './names.js';

/** tmpfs gives each file whole pages, and even an empty file or a folder costs an inode. */
export const PAGE_BYTES = 4096;
export const pageRounded = (bytes: number) => Math.max(1, Math.ceil(bytes / PAGE_BYTES)) * PAGE_BYTES;

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
export const mib = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;

/** Refuses a submission that would take more than `maxBytes` of scratch space. */
export function checkFits(bytes: number, what: string, maxBytes: number | undefined): void {
  if (maxBytes === undefined || bytes <= maxBytes) return;
  throw new SubmissionTooLargeError(`submission larger than ${mib(maxBytes)}: ${what} would take ${mib(bytes)} of scratch space (each file counted in whole 4 KiB pages)`);
}

/** What a file that is neither a regular file, a folder nor a link is, in words. */
export function specialKind(st: Stats): string | null {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFile() || st.isDirectory() || st.isSymbolicLink()) return null;
  return 'a special file';
}

export interface TreeSize {
  /** Bytes on a tmpfs: every entry page-rounded, at least one page each. */
  bytes: number;
  /** Raw bytes of the regular files. */
  fileBytes: number;
  files: number;
  /** Folders and links. */
  others: number;
  /** The walk stopped at MAX_ENTRIES: far too many for any scratch space. */
  truncated: boolean;
}

// A folder that holds more entries than this is too big for any scratch space; its walk stops there.
const MAX_ENTRIES = 200_000;
// A tree past its budget with at least this many entries is not walked further.
const MANY_ENTRIES = 1000;

/**
 * Walks `root` without opening anything; throws SubmissionError naming the
 * first FIFO, socket or device found. The walk stops (truncated) at
 * MAX_ENTRIES, or once past `stopAboveBytes` with MANY_ENTRIES seen: a folder
 * of a million empty files is known to be too large after a few thousand.
 */
export function measureTree(root: FsPath, stopAboveBytes = Infinity): TreeSize {
  const size: TreeSize = { bytes: 0, fileBytes: 0, files: 0, others: 0, truncated: false };
  const walk = (dir: FsPath, rel: string, depth: number) => {
    if (depth > MAX_TREE_DEPTH) throw new SubmissionError(`submission ${escapeName(root)} nests folders deeper than ${MAX_TREE_DEPTH} ('${rel}')`);
    // Read as a stream, not listed whole: a folder may hold millions of names.
    // ('buffer' works as for readdir; the type only lists text encodings.)
    const listing = opendirSync(dir, { encoding: 'buffer' as BufferEncoding });
    try {
      for (let ent; !size.truncated && (ent = listing.readSync()) !== null; ) measure(dir, rel, depth, ent.name as unknown as Buffer);
    } finally {
      listing.closeSync();
    }
  };
  const measure = (dir: FsPath, rel: string, depth: number, name: Buffer) => {
    const p = joinName(dir, name);
    const r = rel ? `${rel}/${escapeName(name)}` : escapeName(name);
    const st = lstatSync(p);
    const special = specialKind(st);
    if (special) throw new SubmissionError(`submission ${escapeName(root)} holds ${special}, '${r}': only regular files, folders and links are accepted`);
    if (st.isFile()) {
      size.files++;
      size.fileBytes += st.size;
      size.bytes += pageRounded(st.size);
    } else {
      size.others++;
      size.bytes += PAGE_BYTES;
    }
    const entries = size.files + size.others;
    // Past the budget, a small tree is still walked to the end (its message gives the whole figure).
    if (entries >= MAX_ENTRIES || (size.bytes > stopAboveBytes && entries >= MANY_ENTRIES)) size.truncated = true;
    else if (st.isDirectory()) walk(p, r, depth + 1);
  };
  walk(root, '', 0);
  return size;
}

/** Opens a regular file for reading, never blocking, never through a link (unless `followLink`); anything else throws. */
export function openRegular(file: FsPath, followLink = false): { fd: number; st: Stats } {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | (followLink ? 0 : constants.O_NOFOLLOW));
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new SubmissionError(`${escapeName(file)} is ${specialKind(st) ?? 'not a regular file'}: only regular files and folders are accepted`);
  }
  return { fd, st };
}

/**
 * The one buffer every copy and hash of this process reads through: they are
 * synchronous, so none can interleave. A fresh zero-filled MiB per file cost
 * 0.4-1 ms on a machine whose new pages are slow, for a file of a few KiB.
 */
let ioBuffer: Buffer | undefined;
const readBuffer = () => (ioBuffer ??= Buffer.allocUnsafeSlow(1 << 20));

/** Copies the open regular file `fd` (its bytes and permission bits `mode`) to `to`, which must not exist. */
function copyOpen(fd: number, mode: number, to: FsPath): void {
  const out = openSync(to, 'wx', mode & 0o777);
  try {
    const buf = readBuffer();
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      for (let off = 0; off < n; ) off += writeSync(out, buf, off, n - off);
    }
  } finally {
    closeSync(out);
  }
}

/** Refuses an open file with more than one link that `owner` does not own (CopyOptions.owner says why). */
function refuseForeignLink(opened: Stats, owner: number | undefined, what: string): void {
  if (owner === undefined || opened.nlink < 2 || opened.uid === owner) return;
  throw new SubmissionError(`${what} a hard link to a file of uid ${opened.uid} (the submission belongs to uid ${owner}): hard links to other users' files are not copied`);
}

/**
 * Copies a regular file (its bytes and permission bits) to `to`, which must
 * not exist; with `owner`, a hard link to a file someone else owns is refused.
 */
export function copyRegular(from: FsPath, to: FsPath, followLink = false, owner?: number): void {
  const { fd, st } = openRegular(from, followLink);
  try {
    refuseForeignLink(st, owner, `submission ${escapeName(from)} is`);
    copyOpen(fd, st.mode, to);
  } finally {
    closeSync(fd);
  }
}

export interface CopyOptions {
  /**
   * The uid that owns the submission: a file with more than one link owned by
   * anyone else is refused. Such a file is someone else's file reached through
   * a hard link (to /etc/shadow, say): only regular files count, so the link
   * rule alone does not stop it, and a copy made as root would hand the
   * student what only root may read.
   */
  owner?: number;
  /** Shown in messages (the submission's path); `from` when absent. */
  shown?: string;
}

/** Folders deeper than this are no one's source tree (and each costs an open descriptor while copied). */
export const MAX_TREE_DEPTH = 64;

/**
 * Copies the folder `from` into `to` (created if missing): files, folders,
 * links as links. Each folder is opened (never through a link) and its entries
 * are reached through /proc/self/fd/N, the folder as opened: a folder swapped
 * for a link to /etc between the listing and the copy is not followed.
 */
export function copyTree(from: FsPath, to: FsPath, opts: CopyOptions = {}): void {
  const shown = opts.shown ?? escapeName(from);
  const walk = (dirFd: number, dest: FsPath, rel: string, depth: number) => {
    if (depth > MAX_TREE_DEPTH) throw new SubmissionError(`submission ${shown} nests folders deeper than ${MAX_TREE_DEPTH} ('${rel}')`);
    mkdirSync(dest, { recursive: depth === 0 });
    const here = `/proc/self/fd/${dirFd}`;
    for (const name of readdirSync(here, { encoding: 'buffer' })) {
      const src = joinName(here, name);
      const out = joinName(dest, name);
      const r = rel ? `${rel}/${escapeName(name)}` : escapeName(name);
      const st = lstatSync(src);
      if (st.isSymbolicLink()) {
        // Links are copied as links: inside the sandbox they can only point into it.
        symlinkSync(readlinkSync(src, { encoding: 'buffer' }), out);
      } else if (st.isDirectory()) {
        const sub = openSync(src, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
        try {
          walk(sub, out, r, depth + 1);
        } finally {
          closeSync(sub);
        }
      } else {
        const { fd, st: opened } = openRegular(src); // throws on a FIFO, socket, device or a link swapped in
        try {
          refuseForeignLink(opened, opts.owner, `submission ${shown} holds '${r}',`);
          copyOpen(fd, opened.mode, out);
        } finally {
          closeSync(fd);
        }
      }
    }
  };
  const top = openSync(from, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    walk(top, to, '', 0);
  } finally {
    closeSync(top);
  }
}

/** Feeds the bytes of the regular file `file` to `h`, opened as openRegular opens it (never a FIFO or a device). */
export function hashFileBytes(h: Hash, file: FsPath, followLink = false): void {
  const buf = readBuffer();
  const { fd } = openRegular(file, followLink);
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

export interface HashTreeOptions {
  /** Left out, with what is below it; sees the '/'-joined path below the root, escaped. */
  skip?: (rel: string) => boolean;
  /** The permission bits a file's hash carries; by default only whether it is executable. */
  modeBits?: number;
}

/**
 * Feeds a folder to `h`: every name (as bytes, in byte order), its kind, a
 * link's target, a file's size, permission bits and bytes. Nothing but a
 * regular file is opened: a pipe, socket or device is hashed by its kind.
 */
export function hashTree(h: Hash, dir: FsPath, opts: HashTreeOptions = {}, rel: Buffer = Buffer.alloc(0)): void {
  for (const name of readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare)) {
    const r = rel.length ? Buffer.concat([rel, Buffer.from('/'), name]) : name;
    if (opts.skip?.(escapeName(r))) continue;
    const p = joinName(dir, name);
    const st = lstatSync(p);
    const entry = (kind: string, ...rest: (string | Buffer)[]) => {
      h.update(`${kind}\0`);
      for (const part of [r, ...rest]) h.update(part).update('\0');
    };
    if (st.isDirectory()) {
      entry('D');
      hashTree(h, p, opts, r);
    } else if (st.isSymbolicLink()) {
      entry('L', readlinkSync(p, { encoding: 'buffer' }));
    } else if (st.isFile()) {
      entry('F', opts.modeBits === undefined ? (st.mode & 0o111 ? 'x' : '-') : String(st.mode & opts.modeBits), String(st.size));
      hashFileBytes(h, p);
    } else {
      entry('O');
    }
  }
}
