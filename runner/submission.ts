// A submission, copied into a private scratch folder: the original is never
// written, and nothing is run here. A single file becomes the program (or its
// C source); archives are unpacked with caps by archive.ts. Before anything
// is copied, the submission is measured as the scratch tmpfs will hold it
// (tree.ts): one that cannot fit is refused as too large, the student's
// failure rather than a sandbox failure half-way through the copy. Only
// regular files, folders and links are read (tree.ts); names are bytes (names.ts).
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readSync, rmSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { isArchive, unpackArchive } from './archive.js';
import { SubmissionError, SubmissionTooLargeError } from './errors.js';
import { makeWorkScratch } from './scratch-dirs.js';
import { baseName, escapeName, type FsPath } from './names.js';
import { checkFits, copyRegular, copyTree, measureTree, mib, pageRounded, plural, specialKind } from './tree.js';

export interface Scratch {
  /** Host path of the scratch copy; the program's working directory in the sandbox. */
  workDir: string;
  cleanup(): void;
}

function startsWith(file: string, magic: string): boolean {
  const buf = Buffer.alloc(magic.length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, magic.length, 0);
  } finally {
    closeSync(fd);
  }
  return buf.toString('latin1') === magic;
}

/**
 * A file system error in words for a one-line message. Node's message quotes
 * the path, which holds the student's names: shown escaped (an ESC in a folder
 * name must not reach the terminal), and a path too long to open is said so
 * rather than quoted whole.
 */
function fsProblem(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENAMETOOLONG') return 'a path inside it is longer than the system allows (4096 bytes)';
  return escapeName(e.message ?? String(err));
}

export interface PrepareOptions {
  /** The most the submission may take once copied, counted as tmpfs does (whole pages); no cap when absent. */
  maxBytes?: number;
}

/** The folder holding `p` (bytes kept as bytes). */
function parentOf(p: FsPath): FsPath {
  if (typeof p === 'string') return path.dirname(p);
  const cut = p.lastIndexOf(0x2f);
  return cut < 0 ? '.' : cut === 0 ? '/' : p.subarray(0, cut);
}

/** The submission itself (followed when it is a link: it was named on purpose), or why it cannot be read. */
function statSubmission(source: FsPath): Stats {
  let st: Stats;
  try {
    st = statSync(source); // stat opens nothing: a FIFO or a device is only looked at
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new SubmissionError(`submission not found: ${escapeName(source)}`);
    throw new SubmissionError(`cannot read submission ${escapeName(source)}: ${fsProblem(err)}`);
  }
  const special = st.isFile() || st.isDirectory() ? null : specialKind(st);
  if (special) throw new SubmissionError(`submission ${escapeName(source)} is ${special}: only a regular file or a folder can be graded`);
  return st;
}

/** Refuses, before anything is copied, a folder or file that would not fit (archives count their entries in archive.ts). */
function measure(source: FsPath, st: Stats, name: string, maxBytes: number | undefined): void {
  if (st.isDirectory()) {
    const size = measureTree(source, maxBytes);
    if (size.truncated && maxBytes !== undefined && size.bytes <= maxBytes) {
      throw new SubmissionTooLargeError(`submission larger than ${mib(maxBytes)}: it holds more than ${size.files + size.others} files and folders`);
    }
    // A walk stopped once past the budget counted only part of the folder: "already".
    checkFits(size.bytes + pageRounded(0), `${size.truncated ? 'already its first' : 'its'} ${plural(size.files, 'file')} (${mib(size.fileBytes)})${size.others ? ` and ${plural(size.others, 'folder or link', 'folders or links')}` : ''}`, maxBytes);
  } else if (!isArchive(name)) {
    checkFits(pageRounded(st.size) + pageRounded(0), `the file ${name} (${mib(st.size)})`, maxBytes);
  }
}

/** Copies (or unpacks) a submission into a fresh scratch folder. */
export async function prepareSubmission(source: FsPath, program: string, opts: PrepareOptions = {}): Promise<Scratch> {
  const st = statSubmission(source);
  const shown = escapeName(source);
  const name = escapeName(baseName(source));
  try {
    measure(source, st, name, opts.maxBytes);
  } catch (err) {
    if (err instanceof SubmissionError) throw err;
    throw new SubmissionError(`cannot read submission ${shown}: ${fsProblem(err)}`);
  }
  const { base, workDir } = makeWorkScratch(); // owned, and swept once its owner is dead (scratch-dirs.ts)
  const cleanup = () => rmSync(base, { recursive: true, force: true });
  try {
    if (st.isDirectory()) {
      copyTree(source, workDir, { owner: st.uid, shown });
    } else if (isArchive(name)) {
      await unpackArchive(source, workDir, undefined, opts.maxBytes);
    } else {
      mkdirSync(workDir);
      // A lone file belongs to whoever owns the folder it was handed in.
      copyRegular(source, path.join(workDir, name.endsWith('.c') ? `${program}.c` : program), true, statSync(parentOf(source)).uid);
    }
    // A script handed in without its x bit (archives often lose it) still runs.
    // lstat, never stat: a `server` that is a link to a host file must not be read or chmod-ed here.
    const prog = path.join(workDir, program);
    const progStat = existsSync(prog) ? lstatSync(prog) : null;
    if (progStat?.isFile() && (startsWith(prog, '#!') || startsWith(prog, '\x7fELF'))) {
      chmodSync(prog, progStat.mode | 0o755);
    }
    return { workDir, cleanup };
  } catch (err) {
    cleanup();
    if (err instanceof SubmissionError) throw err;
    throw new SubmissionError(`cannot prepare submission ${shown}: ${fsProblem(err)}`);
  }
}
