// A submission, copied into a private scratch folder: the original is never
// written, and nothing is run here. A single file becomes the program (or its
// C source); archives are unpacked with caps by archive.ts.
import { chmodSync, closeSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isArchive, unpackArchive } from './archive.js';
import { SubmissionError } from './errors.js';
import { makeScratchDir } from './scratch-dirs.js';

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

/** Copies (or unpacks) a submission into a fresh scratch folder. */
export async function prepareSubmission(source: string, program: string): Promise<Scratch> {
  if (!existsSync(source)) throw new SubmissionError(`submission not found: ${source}`);
  const base = makeScratchDir(); // owned, and swept once its owner is dead (scratch-dirs.ts)
  // Traversable, not listable: the sandbox user (nobody, when sockgrade runs as root) must reach work/.
  chmodSync(base, 0o711);
  const workDir = path.join(base, 'work');
  const cleanup = () => rmSync(base, { recursive: true, force: true });
  try {
    const st = statSync(source);
    if (st.isDirectory()) {
      // Links are copied as links: inside the sandbox they can only point into it.
      cpSync(source, workDir, { recursive: true, verbatimSymlinks: true });
    } else if (isArchive(source)) {
      await unpackArchive(source, workDir);
    } else if (st.isFile()) {
      mkdirSync(workDir);
      cpSync(source, path.join(workDir, source.endsWith('.c') ? `${program}.c` : program));
    } else {
      throw new SubmissionError(`submission is neither a file nor a folder: ${source}`);
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
    throw new SubmissionError(`cannot prepare submission ${source}: ${(err as Error).message}`);
  }
}
