// The submissions folder of a batch: one entry per student (a folder, a
// .zip, a .tar.gz, or a single file), named after the student.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { isArchive } from '../../runner/archive.js';
import { UsageError } from '../cli.js';

export interface StudentEntry {
  /** The student's id: the entry's name without its archive extension. */
  id: string;
  /** The entry's name in the folder. */
  entry: string;
  path: string;
}

function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p; // a dangling link: graded, and reported as missing
  }
}

export function studentId(entry: string): string {
  return isArchive(entry) ? entry.replace(/\.(zip|tar\.gz|tgz)$/i, '') : entry;
}

/** Every student's entry in `dir`, by id; dotfiles and `exclude`d paths (the output folder) are skipped. */
export function listStudents(dir: string, exclude: string[] = []): StudentEntry[] {
  if (!existsSync(dir)) throw new UsageError(`submissions folder not found: ${dir}`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a folder; batch takes a folder holding one submission per student`);
  const skip = new Set(exclude.filter((p) => existsSync(p)).map((p) => realpathSync(p)));
  const byId = new Map<string, StudentEntry>();
  for (const entry of readdirSync(dir).sort()) {
    if (entry.startsWith('.')) continue;
    const p = path.join(dir, entry);
    if (skip.has(realPath(p))) continue;
    const id = studentId(entry);
    const seen = byId.get(id);
    if (seen) throw new UsageError(`${dir} holds two submissions for student '${id}': ${seen.entry} and ${entry}; keep one`);
    byId.set(id, { id, entry, path: p });
  }
  if (byId.size === 0) throw new UsageError(`no submissions in ${dir}: expected one folder, .zip or .tar.gz per student`);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
