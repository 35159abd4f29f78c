// Scratch folders that say whose they are. Each one holds an owner record
// (pid, the process's start time and the boot it ran in, so a reused pid
// cannot pass for the owner), and the first scratch folder a process makes
// first sweeps away those whose owner is dead: a grading process killed with
// SIGKILL cannot clean up after itself, the next one does. Only folders with
// our name pattern, owned by this user, holding a valid record are touched:
// never anything else in the temporary folder.
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { procStat } from './proc-stat.js';

const PREFIX = 'sockgrade-';
/** mkdtemp's six random characters after the prefix, and nothing else. */
const NAME = /^sockgrade-[A-Za-z0-9]{6}$/;
export const OWNER_RECORD = '.sockgrade-owner';

export interface ScratchOwner {
  pid: number;
  /** Start time of the process, in clock ticks since boot (/proc/<pid>/stat field 22). */
  start: number;
  boot: string;
}

function bootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

/** Start time of a live process; null when there is no such process. */
function startTimeOf(pid: number | 'self'): number | null {
  return procStat(pid)?.start ?? null;
}

function ownerIsAlive(owner: ScratchOwner, boot: string): boolean {
  return owner.boot === boot && startTimeOf(owner.pid) === owner.start;
}

function readOwner(file: string): ScratchOwner | null {
  try {
    const st = lstatSync(file);
    if (!st.isFile() || st.uid !== process.getuid?.()) return null;
    const o = JSON.parse(readFileSync(file, 'utf8')) as Partial<ScratchOwner>;
    if (!Number.isInteger(o.pid) || !Number.isInteger(o.start) || typeof o.boot !== 'string') return null;
    return o as ScratchOwner;
  } catch {
    return null;
  }
}

/**
 * The scratch folders in `tmp` that we made, with their owners. A folder
 * without a record (another program's, or one being made) is not ours.
 */
export function ownedScratchDirs(tmp = os.tmpdir()): { dir: string; owner: ScratchOwner }[] {
  const out: { dir: string; owner: ScratchOwner }[] = [];
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return out;
  }
  for (const name of names) {
    if (!NAME.test(name)) continue;
    const dir = path.join(tmp, name);
    try {
      const st = lstatSync(dir);
      // Ours only: a real folder of this user that nobody else may write into.
      if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) continue;
    } catch {
      continue;
    }
    const owner = readOwner(path.join(dir, OWNER_RECORD));
    if (owner) out.push({ dir, owner });
  }
  return out;
}

/**
 * A scratch folder for a program's working folder, `work` inside it (not made
 * yet): traversable, not listable, so that the sandbox user (nobody, when
 * sockgrade runs as root) reaches work/.
 */
export function makeWorkScratch(): { base: string; workDir: string } {
  const base = makeScratchDir();
  chmodSync(base, 0o711);
  return { base, workDir: path.join(base, 'work') };
}

/**
 * Removes a scratch folder and all in it. What the submission brought may be
 * read-only (a folder copied with mode 0555): then the folders are made
 * writable and the removal tried once more.
 */
export function removeScratchDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    const unlock = (d: string) => {
      try {
        chmodSync(d, 0o700);
        for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) unlock(path.join(d, e.name));
      } catch {
        /* rmSync below says what is left */
      }
    };
    unlock(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Removes the scratch folders of grading processes that are gone; returns those removed. */
export function sweepDeadScratchDirs(tmp = os.tmpdir()): string[] {
  const boot = bootId();
  const removed: string[] = [];
  for (const { dir, owner } of ownedScratchDirs(tmp)) {
    if (ownerIsAlive(owner, boot)) continue;
    try {
      removeScratchDir(dir);
      removed.push(dir);
    } catch {
      // Still in use by a mount (a job of a dead owner that somehow lives on): the next start tries again.
    }
  }
  return removed;
}

let swept = false;

/**
 * A fresh scratch folder under the temporary folder, recorded as this
 * process's. The first call of a process sweeps the folders of dead ones.
 */
export function makeScratchDir(): string {
  if (!swept) {
    swept = true;
    sweepDeadScratchDirs();
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), PREFIX));
  const owner: ScratchOwner = { pid: process.pid, start: startTimeOf('self')!, boot: bootId() };
  // Written whole, then renamed into place: a sweeper never reads half a record.
  const tmp = path.join(dir, `${OWNER_RECORD}.new`);
  writeFileSync(tmp, JSON.stringify(owner), { mode: 0o600 });
  renameSync(tmp, path.join(dir, OWNER_RECORD));
  return dir;
}
