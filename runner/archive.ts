// Archive submissions (.zip, .tar.gz). Every entry is listed and checked
// before anything is written: entry count, total and per-entry expansion,
// depth, names that escape the folder (../, absolute), links that point out of
// it, special files. Only then are the entries written, by our own code, into
// a folder that did not exist before. A single top-level folder (students zip
// their folder) is unwrapped.
import { once } from 'node:events';
import { closeSync, copyFileSync, createWriteStream, mkdirSync, openSync, read, symlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
// zlib, stream/promises, tar and yauzl are imported when an archive is unpacked: most
// submissions are plain files, and every grade loads this module.
import type { ReadEntry } from 'tar';
import type yauzl from 'yauzl';
import { SubmissionError } from './errors.js';
import { escapeName, type FsPath } from './names.js';
import { checkFits, mib as mibOf, openRegular, PAGE_BYTES, pageRounded, plural } from './tree.js';

export interface ArchiveLimits {
  /** Entries of any kind, folders included. */
  maxEntries: number;
  /** Sum of the unpacked sizes of all files. */
  maxTotalBytes: number;
  /** Path components of the deepest entry (after unwrapping). */
  maxDepth: number;
  /** Unpacked/packed size above which a big entry (or archive) is taken for a bomb. */
  maxRatio: number;
}

export const ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntries: 1000,
  maxTotalBytes: 64 * 1024 * 1024,
  maxDepth: 16,
  maxRatio: 100,
};

// Source files compress well (5-10x); below this size no ratio is suspicious.
const RATIO_FLOOR_BYTES = 1024 * 1024;
const MAX_LINK_TARGET = 1024;
const MAX_NAME_BYTES = 255;

type Kind = 'file' | 'dir' | 'symlink' | 'hardlink';

interface ListedEntry {
  /** Position in the archive. */
  index: number;
  /** The name as stored in the archive. */
  name: string;
  kind: Kind;
  size: number;
  executable: boolean;
  /** Symlink target (relative to the link's folder) or hard link target (archive root). */
  link?: string;
}

interface PlannedEntry extends ListedEntry {
  /** Relative path inside the unpacked folder, '/'-separated. */
  path: string;
  /** Hard links: the planned path of the file it names. */
  linkedFile?: string;
}

export function isArchive(file: string): boolean {
  // Only the extension matters; a name that is not UTF-8 is passed in escaped.
  return /\.(zip|tar\.gz|tgz)$/i.test(file);
}

const mb = (n: number) => (n < 1024 * 1024 ? `${Math.ceil(n / 1024)} KB` : `${Math.round((n / 1024 / 1024) * 10) / 10} MB`);

class Rejected extends SubmissionError {}

/** Throws SubmissionTooLargeError when the planned entries do not fit the scratch space. */
type Fits = (planned: PlannedEntry[]) => void;

/** What every check on one archive needs, zip or tar.gz alike. */
interface ArchiveChecks {
  limits: ArchiveLimits;
  /** Size of the archive file, for the expansion ratio. */
  packedBytes: number;
  reject: (why: string) => Error;
  fits: Fits;
}

/**
 * Unpacks `file` into `into` (created here; it must not exist) within
 * `limits`, and only when the unpacked entries fit in `maxBytes` of scratch
 * space, counted from their listed sizes as tmpfs holds them (whole pages).
 */
export async function unpackArchive(file: FsPath, into: string, limits: ArchiveLimits = ARCHIVE_LIMITS, maxBytes?: number): Promise<void> {
  const shown = escapeName(file);
  // Entry names and link targets are the archive's bytes: shown escaped (names.ts), so a
  // name holding ESC or a newline never reaches a terminal, a log or a report as itself.
  const reject = (why: string) => new Rejected(`archive rejected: ${shown}: ${escapeName(why)}`);
  // A FIFO named x.zip would block the open, a device never end: only a regular file is read.
  const { fd, st } = openRegular(file, true);
  let closeFd = true;
  const fits = (planned: PlannedEntry[]) => checkFits(scratchBytes(planned), `its ${plural(planned.length, 'entry', 'entries')} (${mibOf(planned.reduce((n, e) => n + e.size, 0))} unpacked)`, maxBytes);
  const checks: ArchiveChecks = { limits, packedBytes: st.size, reject, fits };
  try {
    if (/\.zip$/i.test(shown)) {
      closeFd = false; // yauzl closes it with the zip
      await unpackZip(fd, into, checks);
    } else {
      await unpackTarGz(fd, into, checks);
    }
  } catch (err) {
    if (err instanceof SubmissionError) throw err;
    // yauzl, zlib and tar say what is broken; the student needs to know it is the archive.
    throw reject(`corrupt or unreadable archive (${(err as Error).message})`);
  } finally {
    if (closeFd) closeSync(fd);
  }
}

/** What the planned entries take on a tmpfs: the folder itself, each file in whole pages, a page per folder or link. */
function scratchBytes(planned: PlannedEntry[]): number {
  return PAGE_BYTES + planned.reduce((n, e) => n + (e.kind === 'file' || e.kind === 'hardlink' ? pageRounded(e.size) : PAGE_BYTES), 0);
}

/** Splits a stored name into safe components, or says why it is refused. */
function components(name: string, reject: (why: string) => Error, what = `entry '${name}'`): string[] {
  if (name.includes('\0')) throw reject(`${what} holds a NUL byte`);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw reject(`${what} is an absolute path, outside the submission folder`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw reject(`${what} escapes the submission folder (..)`);
  for (const p of parts) {
    if (Buffer.byteLength(p) > MAX_NAME_BYTES) throw reject(`${what} has a name longer than ${MAX_NAME_BYTES} bytes`);
  }
  return parts;
}

/** A listed entry with its name split into components. */
interface SplitEntry {
  e: ListedEntry;
  parts: string[];
}

/** From the listed entries to what will be written, with every check that needs the whole list. */
function planEntries(listed: ListedEntry[], { limits, packedBytes, reject, fits }: ArchiveChecks): PlannedEntry[] {
  const total = checkListedSizes(listed, limits, packedBytes, reject);
  const split = studentEntries(listed, reject);
  const strip = singleFolderUnwrapped(split);
  const { planned, byPath } = placeEntries(split, strip, limits, reject);
  for (const entry of planned) checkPlace(entry, byPath, reject);
  const copies = planned.filter((e) => e.kind === 'hardlink').reduce((sum, e) => sum + e.size, 0);
  if (total + copies > limits.maxTotalBytes) throw reject(`unpacks to ${mb(total + copies)}, more than the ${mb(limits.maxTotalBytes)} allowed`);
  // Inside every cap, and still too big once each file takes whole pages: too large, not hostile.
  fits(planned);
  return planned;
}

/** Entry count, total size and expansion of the whole archive; returns the files' total size. */
function checkListedSizes(listed: ListedEntry[], limits: ArchiveLimits, packedBytes: number, reject: (why: string) => Error): number {
  if (listed.length > limits.maxEntries) throw reject(`more than ${limits.maxEntries} entries`);
  const total = listed.filter((e) => e.kind === 'file').reduce((sum, e) => sum + e.size, 0);
  if (total > limits.maxTotalBytes) throw reject(`unpacks to ${mb(total)}, more than the ${mb(limits.maxTotalBytes)} allowed`);
  if (total > RATIO_FLOOR_BYTES && total / Math.max(1, packedBytes) > limits.maxRatio) {
    throw reject(`expands ${Math.round(total / Math.max(1, packedBytes))} times (${mb(packedBytes)} to ${mb(total)}): an archive bomb?`);
  }
  return total;
}

/** Every name checked and split; macOS adds resource forks under __MACOSX/: not the student's work. */
function studentEntries(listed: ListedEntry[], reject: (why: string) => Error): SplitEntry[] {
  return listed
    .map((e) => ({ e, parts: components(e.name, reject) }))
    .filter(({ parts }) => parts.length > 0 && parts[0] !== '__MACOSX');
}

/** One folder holding everything is unwrapped: returns what strips it from a name's components. */
function singleFolderUnwrapped(split: SplitEntry[]): (parts: string[]) => string[] {
  const tops = new Set(split.map(({ parts }) => parts[0]));
  const unwrap =
    tops.size === 1 &&
    split.some(({ parts }) => parts.length > 1) &&
    split.every(({ e, parts }) => parts.length > 1 || e.kind === 'dir');
  return (parts: string[]) => (unwrap ? parts.slice(1) : parts);
}

/** Each entry at its path in the unpacked folder: depth capped, no path twice, hard links resolved. */
function placeEntries(
  split: SplitEntry[],
  strip: (parts: string[]) => string[],
  limits: ArchiveLimits,
  reject: (why: string) => Error,
): { planned: PlannedEntry[]; byPath: Map<string, PlannedEntry> } {
  const byPath = new Map<string, PlannedEntry>();
  const planned: PlannedEntry[] = [];
  for (const { e, parts } of split) {
    const rel = strip(parts);
    if (rel.length === 0) continue; // the unwrapped folder itself
    if (rel.length > limits.maxDepth) throw reject(`entry '${e.name}' is nested deeper than ${limits.maxDepth} folders`);
    const p = rel.join('/');
    const seen = byPath.get(p);
    if (seen) {
      if (seen.kind === 'dir' && e.kind === 'dir') continue;
      throw reject(`entry '${e.name}' appears twice`);
    }
    const entry: PlannedEntry = { ...e, path: p };
    if (e.kind === 'hardlink') resolveHardLink(entry, strip, byPath, reject);
    byPath.set(p, entry);
    planned.push(entry);
  }
  return { planned, byPath };
}

/** A hard link becomes a copy of a file placed before it: it takes that file's path and size. */
function resolveHardLink(entry: PlannedEntry, strip: (parts: string[]) => string[], byPath: Map<string, PlannedEntry>, reject: (why: string) => Error): void {
  const target = strip(components(entry.link ?? '', reject, `hard link '${entry.name}' -> '${entry.link}'`)).join('/');
  const file = byPath.get(target);
  if (!file || file.kind !== 'file') throw reject(`hard link '${entry.name}' does not name a file stored before it in the archive`);
  entry.linkedFile = target;
  entry.size = file.size;
}

/** Nothing may be written through a link, or below a file; a symbolic link must stay inside. */
function checkPlace(entry: PlannedEntry, byPath: Map<string, PlannedEntry>, reject: (why: string) => Error): void {
  const parts = entry.path.split('/');
  for (let i = 1; i < parts.length; i++) {
    const parent = byPath.get(parts.slice(0, i).join('/'));
    if (parent?.kind === 'symlink') throw reject(`entry '${entry.name}' lies inside the link '${parent.name}'`);
    if (parent && parent.kind !== 'dir') throw reject(`entry '${entry.name}' lies inside the file '${parent.name}'`);
  }
  if (entry.kind === 'symlink') checkLink(entry, byPath, reject);
}

/**
 * A symbolic link must resolve inside the folder, judged on its text alone:
 * relative, never climbing above the root, and never going through another
 * link on the way (a link to '.' followed by '..' would climb out unseen).
 */
function checkLink(entry: PlannedEntry, byPath: Map<string, PlannedEntry>, reject: (why: string) => Error): void {
  const target = entry.link ?? '';
  if (!target || target.length > MAX_LINK_TARGET || target.includes('\0')) throw reject(`link '${entry.name}' has an unusable target`);
  if (target.startsWith('/')) throw reject(`link '${entry.name}' points outside the submission folder (${target})`);
  const at = entry.path.split('/').slice(0, -1);
  const steps = target.split('/').filter((s) => s !== '' && s !== '.');
  for (const [i, step] of steps.entries()) {
    if (step === '..') {
      if (at.length === 0) throw reject(`link '${entry.name}' points outside the submission folder (${target})`);
      at.pop();
    } else {
      at.push(step);
      const through = byPath.get(at.join('/'));
      if (through?.kind === 'symlink' && i < steps.length - 1) throw reject(`link '${entry.name}' goes through another link ('${through.name}')`);
    }
  }
}

/** Writes the planned entries: folders, then files (by `writeFiles`, the format's own reading), then links. */
async function writeEntries(into: string, planned: PlannedEntry[], writeFiles: (files: PlannedEntry[], dest: (e: PlannedEntry) => string) => Promise<void>): Promise<void> {
  mkdirSync(into); // fails if it exists: nothing of ours is ever written into someone else's folder
  const dest = (e: PlannedEntry) => path.join(into, ...e.path.split('/'));
  for (const e of planned) {
    if (e.kind === 'dir') mkdirSync(dest(e), { recursive: true });
    else mkdirSync(path.dirname(dest(e)), { recursive: true });
  }
  await writeFiles(planned.filter((e) => e.kind === 'file'), dest);
  for (const e of planned) {
    if (e.kind === 'hardlink') copyFileSync(path.join(into, ...e.linkedFile!.split('/')), dest(e));
  }
  // Links last, so no entry is ever written through one.
  for (const e of planned) if (e.kind === 'symlink') symlinkSync(e.link!, dest(e));
}

const fileMode = (e: ListedEntry) => (e.executable ? 0o755 : 0o644);

/**
 * Caps the running total of the files' sizes as each entry is listed: the
 * sizes are the declared ones, so a bomb is refused before a body is inflated.
 */
function fileBytesCounter({ limits, reject }: ArchiveChecks): (size: number) => void {
  let total = 0;
  return (size) => {
    total += size;
    if (total > limits.maxTotalBytes) throw reject(`unpacks to more than the ${mb(limits.maxTotalBytes)} allowed`);
  };
}

/** One listed entry; only a file has a size of its own (a hard link's is its file's, set when planned). */
function listedEntry(index: number, name: string, kind: Kind, size: number, mode: number, link: string | undefined): ListedEntry {
  return { index, name, kind, size: kind === 'file' ? size : 0, executable: (mode & 0o111) !== 0, ...(link !== undefined ? { link } : {}) };
}

// ---- zip ----

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** Lists the zip's directory, plans the entries, then streams each file out of the zip. */
async function unpackZip(fd: number, into: string, checks: ArchiveChecks): Promise<void> {
  const zip = await openZip(fd);
  try {
    const { limits, reject } = checks;
    if (zip.entryCount > limits.maxEntries) throw reject(`${zip.entryCount} entries, more than the ${limits.maxEntries} allowed`);
    const { listed, zipEntries } = await listZip(zip, checks);
    const { pipeline } = await import('node:stream/promises');
    await writeEntries(into, planEntries(listed, checks), async (files, dest) => {
      for (const e of files) {
        // yauzl checks the stream against the declared size, which the caps were checked on.
        await pipeline(await zip.openReadStreamPromise(zipEntries[e.index]!), createWriteStream(dest(e), { flags: 'wx', mode: fileMode(e) }));
      }
    });
  } finally {
    zip.close(); // closes fd once its streams are done
  }
}

/** The zip on `fd`, which it owns from then on; not a zip: the fd is closed here. */
/** yauzl, loaded only when a zip comes: most grades never unpack one (the module system keeps it once loaded). */
async function loadYauzl(): Promise<typeof yauzl> {
  return (await import('yauzl')).default;
}

async function openZip(fd: number): Promise<yauzl.ZipFile> {
  const yauzlLib = await loadYauzl();
  try {
    // decodeStrings off: we decode and check names ourselves, with our own messages.
    return await yauzlLib.fromFdPromise(fd, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true });
  } catch (err) {
    closeSync(fd); // not a zip: yauzl never took the fd
    throw err;
  }
}

/** Every entry of the zip's directory, each checked as it comes; `zipEntries[i]` is `listed[i]`'s. */
async function listZip(zip: yauzl.ZipFile, checks: ArchiveChecks): Promise<{ listed: ListedEntry[]; zipEntries: yauzl.Entry[] }> {
  const { limits, reject } = checks;
  const countFile = fileBytesCounter(checks);
  const listed: ListedEntry[] = [];
  const zipEntries: yauzl.Entry[] = [];
  const { getFileNameLowLevel } = await loadYauzl();
  for await (const entry of zip.eachEntry()) {
    const name = getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
    if (entry.isEncrypted()) throw reject(`entry '${name}' is encrypted`);
    const unixMode = entry.versionMadeBy >> 8 === 3 ? entry.externalFileAttributes >>> 16 : 0;
    const kind = zipKind(name, unixMode, reject);
    if (kind === 'file') {
      countFile(entry.uncompressedSize);
      checkZipRatio(entry, name, limits, reject);
    }
    const link = kind === 'symlink' ? await zipLinkTarget(zip, entry, name, reject) : undefined;
    listed.push(listedEntry(listed.length, name, kind, entry.uncompressedSize, unixMode, link));
    zipEntries.push(entry);
  }
  return { listed, zipEntries };
}

/** The kind from the Unix mode bits (zips made on Unix) or the name's trailing slash. */
function zipKind(name: string, unixMode: number, reject: (why: string) => Error): Kind {
  const type = unixMode & S_IFMT;
  if (name.endsWith('/') || type === S_IFDIR) return 'dir';
  if (type === S_IFLNK) return 'symlink';
  if (type === 0 || type === S_IFREG) return 'file';
  throw reject(`entry '${name}' is a special file (device, pipe or socket)`);
}

/** A big entry that expands far more than source code does is taken for a bomb. */
function checkZipRatio(entry: yauzl.Entry, name: string, limits: ArchiveLimits, reject: (why: string) => Error): void {
  const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
  if (entry.uncompressedSize > RATIO_FLOOR_BYTES && ratio > limits.maxRatio) {
    throw reject(`entry '${name}' expands ${Math.round(ratio)} times (${mb(entry.compressedSize)} to ${mb(entry.uncompressedSize)}): an archive bomb?`);
  }
}

/** A zip stores a link's target as the entry's body: read it, when it is short enough to be one. */
async function zipLinkTarget(zip: yauzl.ZipFile, entry: yauzl.Entry, name: string, reject: (why: string) => Error): Promise<string> {
  if (entry.uncompressedSize > MAX_LINK_TARGET) throw reject(`link '${name}' has an unusable target`);
  return readSmall(await zip.openReadStreamPromise(entry));
}

async function readSmall(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// ---- tar.gz ----

/**
 * The bytes of an open file, by positional reads. Not fs.createReadStream: its
 * destroy() closes the fd even with autoClose off, and the caller, which owns
 * the fd, closes it again (EBADF, or worse, a descriptor opened meanwhile).
 */
async function* chunksOf(fd: number): AsyncGenerator<Buffer> {
  for (let position = 0; ; ) {
    const buffer = Buffer.allocUnsafe(64 * 1024);
    const bytes = await new Promise<number>((resolve, rejectRead) =>
      read(fd, buffer, 0, buffer.length, position, (err, n) => (err ? rejectRead(err) : resolve(n))),
    );
    if (bytes === 0) return;
    position += bytes;
    yield buffer.subarray(0, bytes);
  }
}

/**
 * Reads the archive once, calling `onEntry` for each entry in order. The
 * decompressed stream is capped, so a gzip bomb stops at the cap rather than
 * at the end of the disk. An error thrown by `onEntry` ends the walk.
 */
async function walkTar(fd: number, maxStreamBytes: number, reject: (why: string) => Error, onEntry: (e: ReadEntry) => void): Promise<void> {
  const [{ Parser }, { createGunzip }] = await Promise.all([import('tar'), import('node:zlib')]);
  const parser = new Parser({ strict: true });
  // From the start each time (two walks), on the fd the caller opened and closes.
  const source = Readable.from(chunksOf(fd));
  const inflated = source.pipe(createGunzip());
  let failure: unknown = null;
  let fail: (err: unknown) => void = () => {};
  const failed = new Promise<never>((_, rejectWalk) => {
    fail = (err) => {
      failure ??= err;
      source.destroy();
      inflated.destroy();
      rejectWalk(failure);
    };
  });
  failed.catch(() => {}); // awaited in the race below
  parser.on('error', fail);
  source.on('error', fail);
  parser.on('entry', (e: ReadEntry) => {
    try {
      onEntry(e);
    } catch (err) {
      e.resume();
      fail(err);
    }
  });
  const ended = once(parser, 'end');
  const feed = async () => {
    let bytes = 0;
    for await (const chunk of inflated) {
      bytes += (chunk as Buffer).length;
      if (bytes > maxStreamBytes) throw reject(`unpacks to more than ${mb(maxStreamBytes)}: a gzip bomb?`);
      if (!parser.write(chunk as Buffer)) await Promise.race([once(parser, 'drain'), failed]);
      if (failure) throw failure;
    }
    parser.end();
    await ended;
  };
  await Promise.race([feed(), failed]);
  if (failure) throw failure;
}

const TAR_KINDS: Partial<Record<string, Kind>> = {
  File: 'file',
  OldFile: 'file',
  ContiguousFile: 'file',
  Directory: 'dir',
  GNUDumpDir: 'dir',
  SymbolicLink: 'symlink',
  Link: 'hardlink',
};

/** Two walks over the stream, one to list and one to write: a tar.gz has no index to seek in. */
async function unpackTarGz(fd: number, into: string, checks: ArchiveChecks): Promise<void> {
  // Headers, padding and PAX records on top of the file bytes.
  const maxStreamBytes = checks.limits.maxTotalBytes + (checks.limits.maxEntries + 2) * 3 * 512 + 10240;
  const listed = await listTar(fd, maxStreamBytes, checks);
  await writeEntries(into, planEntries(listed, checks), (files, dest) => writeTarFiles(fd, maxStreamBytes, checks.reject, files, dest));
}

/** First walk: every entry's header, checked as it comes; the bodies are skipped. */
async function listTar(fd: number, maxStreamBytes: number, checks: ArchiveChecks): Promise<ListedEntry[]> {
  const { limits, reject } = checks;
  const countFile = fileBytesCounter(checks);
  const listed: ListedEntry[] = [];
  await walkTar(fd, maxStreamBytes, reject, (e) => {
    const kind = TAR_KINDS[e.type];
    if (!kind) throw reject(`entry '${e.path}' is a ${e.type} entry, which a submission may not hold`);
    if (listed.length >= limits.maxEntries) throw reject(`more than ${limits.maxEntries} entries`);
    // The header gives the size before the body: a bomb is refused before it is inflated.
    if (kind === 'file') countFile(e.size);
    const link = kind === 'symlink' || kind === 'hardlink' ? (e.linkpath ?? '') : undefined;
    listed.push(listedEntry(listed.length, e.path, kind, e.size, e.mode ?? 0, link));
    e.resume();
  });
  return listed;
}

/** Second walk: each planned file's body written to its place, found by its position in the archive. */
async function writeTarFiles(fd: number, maxStreamBytes: number, reject: (why: string) => Error, files: PlannedEntry[], dest: (e: PlannedEntry) => string): Promise<void> {
  const byIndex = new Map(files.map((p) => [p.index, p]));
  let index = 0;
  await walkTar(fd, maxStreamBytes, reject, (e) => {
    const entry = byIndex.get(index++);
    if (entry) writeBody(e, dest(entry), fileMode(entry));
    else e.resume();
  });
}

/**
 * 'wx': never through something already there. Sizes come from the header
 * the caps were checked on; the parser reads exactly that many bytes.
 */
function writeBody(e: ReadEntry, file: string, mode: number): void {
  const fd = openSync(file, 'wx', mode);
  e.on('data', (chunk: Buffer) => {
    try {
      writeSync(fd, chunk);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  });
  e.on('end', () => closeSync(fd));
}
