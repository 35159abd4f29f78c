// The scratch folder the programs of one job write into. The host side hands
// it to the sandbox user; inside the job's own mount namespace it is moved onto
// a size-capped tmpfs, so that a program cannot fill the grading machine's disk
// (the per-file limit does not bound how many files it writes), and whatever it
// wrote vanishes with the job.
import { execFileSync } from 'node:child_process';
import { chownSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { joinName, type FsPath } from '../names.js';
import { copyTree } from '../tree.js';

// Names are bytes: a student's `r\xe9sum\xe9.txt` must not break the copy (names.ts).
export function chownTree(dir: FsPath, uid: number): void {
  chownSync(dir, uid, uid);
  for (const entry of readdirSync(dir, { encoding: 'buffer' })) {
    const p = joinName(dir, entry);
    const st = lstatSync(p);
    if (st.isDirectory()) chownTree(p, uid);
    else if (!st.isSymbolicLink()) chownSync(p, uid, uid);
  }
}

/** Mounts a nosuid, nodev tmpfs with `options` on `target` (the job's addon: no `mount` process per grade). */
export type TmpfsMounter = (target: string, options: string) => void;

/**
 * Mounts a tmpfs of `sizeMb` beside `workDir` (in the job's private mount
 * namespace only), copies the submission into it, and returns its path.
 */
export function scratchOnTmpfs(workDir: string, sizeMb: number, ownerUid: number | null, mountTmpfs?: TmpfsMounter): string {
  const ram = `${workDir}-ram`;
  mkdirSync(ram);
  const owner = ownerUid === null ? '' : `,uid=${ownerUid},gid=${ownerUid}`;
  // nosuid and nodev are flags of mount(2), the rest the tmpfs's own options.
  if (mountTmpfs) mountTmpfs(ram, `size=${sizeMb}m,mode=0755${owner}`);
  else {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0755,nosuid,nodev${owner}`, 'sockgrade-scratch', ram], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }
  copyTree(workDir, ram);
  if (ownerUid !== null) chownTree(ram, ownerUid);
  return ram;
}
