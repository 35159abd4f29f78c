// The submissions folder of a batch: one entry per student (a folder, a
// .zip, a .tar.gz, or a single file), named after the student. Names are
// read as bytes: a folder `Jos\xe9` (not UTF-8) is that student's, opened by
// its own bytes, and shown (id, reports, grades.csv) escaped. Listing opens
// nothing: a FIFO, socket or device among the entries is a student whose
// submission is refused when it is prepared, never read.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isArchive } from '../../runner/archive.js';
import { escapeName, joinName, type FsPath } from '../../runner/names.js';
import { BatchInputError } from '../errors.js';

export interface StudentEntry {
  /** The student's id: the entry's name, escaped (names.ts), without its archive extension. */
  id: string;
  /** The entry's name in the folder, escaped. */
  entry: string;
  /** The entry's path, by its bytes when its name is not UTF-8. */
  path: FsPath;
}

/** Where a path really is, as bytes (hex), to compare with the output folder. */
function realKey(p: FsPath): string {
  try {
    return realpathSync(p, { encoding: 'buffer' }).toString('hex');
  } catch {
    return Buffer.from(p).toString('hex'); // a dangling link: graded, and reported as missing
  }
}

export function studentId(entry: string): string {
  return isArchive(entry) ? entry.replace(/\.(zip|tar\.gz|tgz)$/i, '') : entry;
}

/** Every student's entry in `dir`, by id; dotfiles and `exclude`d paths (the output folder) are skipped. */
export function listStudents(dir: string, exclude: string[] = []): StudentEntry[] {
  if (!existsSync(dir)) throw new BatchInputError(`submissions folder not found: ${dir}`);
  if (!statSync(dir).isDirectory()) throw new BatchInputError(`${dir} is not a folder; batch takes a folder holding one submission per student`);
  const skip = new Set(exclude.filter((p) => existsSync(p)).map(realKey));
  const byId = new Map<string, StudentEntry>();
  for (const name of readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare)) {
    if (name[0] === 0x2e) continue; // dotfiles
    const p = joinName(dir, name);
    if (skip.has(realKey(p))) continue;
    // escapeName never gives two names the same text: ids stay one per entry.
    const entry = escapeName(name);
    const id = studentId(entry);
    const seen = byId.get(id);
    if (seen) throw new BatchInputError(`${dir} holds two submissions for student '${id}': ${seen.entry} and ${entry}; keep one`);
    byId.set(id, { id, entry, path: p });
  }
  if (byId.size === 0) throw new BatchInputError(`no submissions in ${dir}: expected one folder, .zip or .tar.gz per student`);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
