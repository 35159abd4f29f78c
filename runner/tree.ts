// A submission folder read as the kernel has it: names as bytes (see
// names.ts), lstat only, links never followed, and nothing opened but regular
// files, opened non-blocking and checked again once open: opening a FIFO
// blocks, and a device such as /dev/zero never ends. measureTree counts what a
// folder will take on the scratch tmpfs before anything is copied; copyTree
// copies it.
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, readSync, symlinkSync, writeSync, type Stats } from 'node:fs';
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

/** Walks `root` without opening anything; throws SubmissionError naming the first FIFO, socket or device found. */
export function measureTree(root: FsPath): TreeSize {
  const size: TreeSize = { bytes: 0, fileBytes: 0, files: 0, others: 0, truncated: false };
  const walk = (dir: FsPath, rel: string) => {
    for (const name of readdirSync(dir, { encoding: 'buffer' })) {
      if (size.truncated) return;
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
      if (size.files + size.others >= MAX_ENTRIES) size.truncated = true;
      if (st.isDirectory()) walk(p, r);
    }
  };
  walk(root, '');
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

/** Copies a regular file (its bytes and permission bits) to `to`, which must not exist. */
export function copyRegular(from: FsPath, to: FsPath, followLink = false): void {
  const { fd, st } = openRegular(from, followLink);
  try {
    const out = openSync(to, 'wx', st.mode & 0o777);
    try {
      const buf = Buffer.alloc(1 << 20);
      for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
        for (let off = 0; off < n; ) off += writeSync(out, buf, off, n - off);
      }
    } finally {
      closeSync(out);
    }
  } finally {
    closeSync(fd);
  }
}

/** Copies the folder `from` into `to` (created if missing): files, folders, links as links. */
export function copyTree(from: FsPath, to: FsPath): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from, { encoding: 'buffer' })) {
    const src = joinName(from, name);
    const dest = joinName(to, name);
    const st = lstatSync(src);
    if (st.isDirectory()) {
      copyTree(src, dest);
    } else if (st.isSymbolicLink()) {
      // Links are copied as links: inside the sandbox they can only point into it.
      symlinkSync(readlinkSync(src, { encoding: 'buffer' }), dest);
    } else {
      copyRegular(src, dest); // throws on a FIFO, socket or device
    }
  }
}
