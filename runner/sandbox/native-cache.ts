// Where the native helpers (launcher, faults shim, task harnesses) are kept,
// and which of those folders may be trusted. Two rules decide:
// - reach: bwrap bind-mounts each helper, and when sockgrade runs as root bwrap
//   itself already runs as ROOT_SANDBOX_UID, so that uid must be able to walk
//   to the helper (a checkout under /root or in a `mktemp -d` folder is 0700);
// - trust: a folder (or any folder above it) that someone else can write could
//   hand us a planted launcher, so it is used only when we or root own it and
//   no one else can write it (or swap it: a world-writable parent must be sticky).
import { accessSync, constants, lstatSync, mkdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installedNativeDir } from '../paths.js';

/** The unprivileged uid student code (and bwrap) runs under when sockgrade itself runs as root. */
export const ROOT_SANDBOX_UID = 65534;
/** Overrides every other place: helpers are looked up and built there only. */
export const CACHE_ENV = 'SOCKGRADE_CACHE';

const myUid = (): number => process.getuid?.() ?? -1;

/** A place helpers may be. */
export interface HelperDir {
  dir: string;
  /** Who chose it, for messages: "dist/native", "SOCKGRADE_CACHE", ... */
  label: string;
  /** Ours to create when missing (a cache), or only used when it exists (the install's). */
  create: boolean;
}

/** Can `uid` (with its own group only: setpriv --clear-groups) do `bits` (r=4, w=2, x=1) on this? */
function permits(st: Stats, uid: number, bits: number): boolean {
  if (uid === 0) return true;
  const mode = st.mode & 0o777;
  const shift = st.uid === uid ? 6 : st.gid === uid ? 3 : 0; // the drop (setpriv --regid) makes gid = uid
  return ((mode >> shift) & bits) === bits;
}

/**
 * Why a helper in `dir` could not be used, or null: every folder from / down
 * must be passable by the sandbox's uid and writable by no one but us or root.
 */
export function whyUnusable(dir: string, sandboxUid: number | null): string | null {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch (err) {
    return `cannot open it (${(err as NodeJS.ErrnoException).code})`;
  }
  const me = myUid();
  const st = statSync(real);
  if (!st.isDirectory()) return 'not a folder';
  if (st.uid !== me && st.uid !== 0) return `owned by uid ${st.uid}, not by us`;
  if (st.mode & 0o022) return 'others can write it';
  for (let d = real; ; d = path.dirname(d)) {
    const s = statSync(d);
    if (sandboxUid !== null && !permits(s, sandboxUid, 1)) {
      return `the sandbox's uid ${sandboxUid} cannot pass through ${d} (mode ${(s.mode & 0o777).toString(8)})`;
    }
    // Others may write /tmp (sticky: they cannot rename what is ours), never a folder without that bit.
    if (d !== real && s.mode & 0o022 && !(s.mode & 0o1000)) return `others can write ${d}`;
    if (s.uid !== me && s.uid !== 0) return `${d} belongs to uid ${s.uid}, who could swap what is below it`;
    if (d === path.dirname(d)) return null;
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Can `uid` read `file`, passing through every folder above it? */
export function canRead(file: string, uid: number): boolean {
  try {
    const real = realpathSync(file);
    if (!permits(statSync(real), uid, 4)) return false;
    for (let d = path.dirname(real); ; d = path.dirname(d)) {
      if (!permits(statSync(d), uid, 1)) return false;
      if (d === path.dirname(d)) return true;
    }
  } catch {
    return false;
  }
}

/** Makes our own cache folder (0755 for root, whose sandbox uid must read it; 0700 otherwise). */
function ensureOwnDir(dir: string, sandboxUid: number | null): string | null {
  try {
    mkdirSync(path.dirname(dir), { recursive: true, mode: 0o755 });
    mkdirSync(dir, { mode: sandboxUid === null ? 0o700 : 0o755 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') return `cannot create it (${code})`;
  }
  // Never follow a link someone left in a shared folder such as /tmp.
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) return 'a symbolic link';
  return null;
}

/** Why no new helper may be written in `d` (making it first if it is ours to make), or null. */
export function whyNotWritable(d: HelperDir, sandboxUid: number | null): string | null {
  const why = (d.create ? ensureOwnDir(d.dir, sandboxUid) : null) ?? whyUnusable(d.dir, sandboxUid);
  return why ?? (writable(d.dir) ? null : 'not writable');
}

/** The per-user cache: one the grading user owns and, as root, the sandbox's uid can pass through. */
export function userCacheDir(): string {
  if (myUid() === 0) return '/var/cache/sockgrade';
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return path.join(base, 'sockgrade');
}

/**
 * Where helpers may be, best first: $SOCKGRADE_CACHE alone when set; else the
 * install's dist/native, the per-user cache, and a folder of our own in the
 * temporary folder. Nothing is checked or made here (whyUnusable, whyNotWritable).
 */
export function helperDirs(): HelperDir[] {
  const chosen = process.env[CACHE_ENV];
  if (chosen) return [{ dir: path.resolve(chosen), label: CACHE_ENV, create: true }];
  return [
    { dir: installedNativeDir, label: 'dist/native', create: false },
    { dir: userCacheDir(), label: 'the user cache', create: true },
    { dir: path.join(os.tmpdir(), `sockgrade-${myUid()}`), label: 'the temporary folder', create: true },
  ];
}

/** The uid that must reach the helpers: ROOT_SANDBOX_UID when we are root, else we ourselves. */
export function helperReader(): number | null {
  return myUid() === 0 ? ROOT_SANDBOX_UID : null;
}
