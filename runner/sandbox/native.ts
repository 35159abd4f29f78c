// Native helpers (the launcher, the faults shim, task harnesses) compiled from
// C, keyed by a hash of their source and flags, so a checkout never runs a
// stale one. Built by the install step into dist/native, else on first use into
// a cache the grading user owns (native-cache.ts says where).
//
// Safe under concurrency and self-healing:
// - correctness: gcc writes a temporary file with a unique name in the cache
//   folder; it is made 0755, checked complete, then renamed into place
//   (atomic), so no one ever sees a half-written helper;
// - no double work: one build per helper at a time, in-process (one promise per
//   helper) and across processes (an O_EXCL lock file, stolen when its holder
//   is gone or it is older than any build); the lock only saves work, so a
//   waiter that gives up builds anyway and is still correct;
// - healing: a cached helper is trusted only when it is ours, 0755 and a
//   complete ELF file; otherwise it is rebuilt.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, lstatSync, openSync, readFileSync, readlinkSync, readSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { SandboxUnavailableError } from '../errors.js';
import { installedNativeDir, packageRoot } from '../paths.js';
import { deadline, waitUntil } from '../wait.js';
import { CACHE_ENV, helperDirs, helperReader, whyNotWritable, whyUnusable } from './native-cache.js';

export type HelperKind = 'exe' | 'shared';

export function launcherSource(): string {
  return path.join(packageRoot, 'runner', 'sandbox', 'launcher.c');
}

export function compileLauncher(): Promise<string> {
  return compileNative(launcherSource(), 'exe');
}

/** pid 1 of a job's pid namespace: reaps what the namespace hands to it (runner/job/reaper.c). */
export async function compileReaper(): Promise<string> {
  const reaper = await compileNative(path.join(packageRoot, 'runner', 'job', 'reaper.c'), 'exe');
  linkReaper(reaper);
  return reaper;
}

/**
 * dist/native/reaper, a link to the reaper built there: the name the shell
 * line of bin/sockgrade.js looks for, to start `grade`'s job before Node
 * starts (a shell cannot pick the newest of the hashed names cheaply). Made
 * at install, and again whenever a newer reaper is built there; where the
 * helpers live elsewhere (a read-only install's, in the cache) there is
 * none, and bin/sockgrade.js starts the job as it always could. Never fails
 * a grade: without the link the job is only started later.
 */
function linkReaper(reaper: string): void {
  if (path.dirname(reaper) !== installedNativeDir) return;
  const link = path.join(installedNativeDir, 'reaper');
  try {
    if (readlinkSync(link) === path.basename(reaper)) return;
  } catch {
    /* none yet */
  }
  const tmp = `${link}.${process.pid}.tmp`;
  try {
    rmSync(tmp, { force: true });
    symlinkSync(path.basename(reaper), tmp);
    renameSync(tmp, link); // in one step: a grade starting meanwhile finds the old link or the new one
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** Where Node's own headers are (node_api.h), for the one addon: beside the node binary, else the system's. */
function nodeIncludeDir(): string | null {
  const dirs = [path.join(path.dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'];
  return dirs.find((d) => existsSync(path.join(d, 'node_api.h'))) ?? null;
}

/**
 * The job's Node-API addon (runner/job/job-addon.c); null where Node's
 * headers are not installed or it cannot be built: each grade then has a job
 * process of its own, and readiness reads /proc.
 */
export async function compileJobAddon(): Promise<string | null> {
  const include = nodeIncludeDir();
  if (!include) return null;
  try {
    return await compileNative(path.join(packageRoot, 'runner', 'job', 'job-addon.c'), 'shared', ['-I', include]);
  } catch {
    return null;
  }
}

/** sg-remote: runs the program where the platform puts it (run_student's container, a separate user). */
export function compileRemoteLauncher(): Promise<string> {
  return compileNative(path.join(packageRoot, 'runner', 'sandbox', 'remote-launch.c'), 'exe');
}

/** A lock older than this is a dead build's: no helper takes gcc this long. */
const LOCK_STALE_MS = 120_000;
/** How long a process waits for another's build before building itself. */
const LOCK_WAIT_MS = 60_000;

/** Builds in flight or done in this process, one per helper and cache choice. */
const inFlight = new Map<string, Promise<string>>();

export function helperName(source: string, kind: HelperKind, extraArgs: string[]): string {
  const text = readFileSync(source);
  const hash = createHash('sha256').update(text).update(kind).update(extraArgs.join(' ')).digest('hex').slice(0, 16);
  return `${path.basename(source, '.c')}-${hash}${kind === 'shared' ? '.so' : ''}`;
}

/** Returns the path of the helper built from `source`, building it when no valid one exists. */
export function compileNative(source: string, kind: HelperKind, extraArgs: string[] = []): Promise<string> {
  const name = helperName(source, kind, extraArgs);
  const key = `${process.env[CACHE_ENV] ?? ''}\0${name}`;
  let p = inFlight.get(key);
  if (!p) {
    p = findOrBuild(source, kind, extraArgs, name);
    inFlight.set(key, p);
    p.catch(() => inFlight.delete(key)); // a failed build is tried again next time
  }
  return p;
}

/** Where `dir` really is, or null when it cannot be resolved (missing). */
function realDir(dir: string): string | null {
  try {
    return realpathSync(dir);
  } catch {
    return null;
  }
}

/**
 * A folder holding a valid `name`, or where to build it (throws when there is
 * nowhere). Both are given as the folder's real path, the one that was
 * checked: a link on the way (a `/tmp/sockgrade-0` someone else planted, say)
 * could otherwise be swapped between the check and bwrap's bind-mount.
 */
function locate(name: string, valid: (file: string) => boolean): { found: string } | { buildIn: string } {
  const reader = helperReader();
  const dirs = helperDirs();
  for (const d of dirs) {
    const real = realDir(d.dir);
    if (real === null || whyUnusable(real, reader) !== null) continue;
    const file = path.join(real, name);
    if (valid(file)) return { found: file };
  }
  const why: string[] = [];
  for (const d of dirs) {
    const no = whyNotWritable(d, reader);
    const real = no === null ? realDir(d.dir) : null;
    if (real !== null && whyUnusable(real, reader) === null) return { buildIn: real };
    why.push(`${d.label} ${d.dir}: ${no ?? 'changed while it was checked'}`);
  }
  throw new SandboxUnavailableError(
    `cannot grade: no folder to build sockgrade's native helpers in (${why.join('; ')}); set SOCKGRADE_CACHE to a folder you own`,
  );
}

async function findOrBuild(source: string, kind: HelperKind, extraArgs: string[], name: string): Promise<string> {
  const where = locate(name, (f) => validHelper(f, kind) === null);
  if ('found' in where) return where.found;
  const out = path.join(where.buildIn, name);
  await withBuildLock(`${out}.lock`, () => validHelper(out, kind) === null, async () => {
    if (validHelper(out, kind) === null) return; // built by another process while we waited
    const tmp = `${out}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const flags = kind === 'shared' ? ['-shared', '-fPIC'] : [];
      // Loaded here only: importing execa costs ~100 ms, and every grade would pay it.
      const { execa } = await import('execa');
      await execa('gcc', ['-O2', '-Wall', ...flags, '-o', tmp, source, ...extraArgs]);
      chmodSync(tmp, 0o755); // whatever the umask: the sandbox's uid must read and run it
      const why = validHelper(tmp, kind);
      if (why) throw new Error(`gcc wrote an unusable ${name}: ${why}`);
      renameSync(tmp, out);
    } finally {
      rmSync(tmp, { force: true });
    }
  });
  return out;
}

/**
 * A copy of a plain file (a task's prelude header) in the helpers' folder,
 * named by its content, for a sandbox that cannot reach the original.
 */
export function stageFile(source: string): Promise<string> {
  const text = readFileSync(source);
  const ext = path.extname(source);
  const name = `${path.basename(source, ext)}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}${ext}`;
  const key = `${process.env[CACHE_ENV] ?? ''}\0${name}`;
  let p = inFlight.get(key);
  if (!p) {
    p = (async () => {
      const where = locate(name, (f) => validCopy(f, text));
      if ('found' in where) return where.found;
      const out = path.join(where.buildIn, name);
      const tmp = `${out}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        writeFileSync(tmp, text, { mode: 0o644, flag: 'wx' });
        chmodSync(tmp, 0o644);
        renameSync(tmp, out);
      } finally {
        rmSync(tmp, { force: true });
      }
      return out;
    })();
    inFlight.set(key, p);
    p.catch(() => inFlight.delete(key));
  }
  return p;
}

/** A staged copy is used only when it is ours (or root's), no one else can write it, and its bytes are the original's. */
function validCopy(file: string, text: Buffer): boolean {
  try {
    const st = lstatSync(file);
    const me = process.getuid?.() ?? -1;
    return st.isFile() && (st.uid === me || st.uid === 0) && (st.mode & 0o777) === 0o644 && readFileSync(file).equals(text);
  } catch {
    return false;
  }
}

/** Runs `build` holding the helper's lock file; `done` says another process already built it. */
async function withBuildLock(lock: string, done: () => boolean, build: () => Promise<void>): Promise<void> {
  const until = deadline(LOCK_WAIT_MS);
  let fd: number | null = null;
  for (;;) {
    try {
      fd = openSync(lock, 'wx', 0o644);
      writeSync(fd, String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (staleLock(lock)) {
      rmSync(lock, { force: true });
      continue;
    }
    // The holder's build ends with a rename and the lock's removal: no event to wait on but those.
    const freed = await waitUntil(() => !existsSync(lock) || done() || staleLock(lock), until, { intervalMs: 25 });
    if (done()) return;
    if (!freed) break; // waited long enough: build without the lock (still correct, see above)
  }
  try {
    await build();
  } finally {
    if (fd !== null) {
      closeSync(fd);
      rmSync(lock, { force: true });
    }
  }
}

/** A lock whose holder has died, or that is older than any build. */
function staleLock(lock: string): boolean {
  try {
    if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) return true;
    const pid = Number(readFileSync(lock, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false; // being written right now
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Why the file at `file` is not a helper to run, or null when it is: a regular
 * file of ours (or root's), 0755, and a complete ELF file (its headers and
 * every loaded segment inside the file: a truncated write loses the section
 * table at the end first).
 */
export function validHelper(file: string, kind: HelperKind): string | null {
  let st;
  try {
    st = lstatSync(file);
  } catch {
    return 'missing';
  }
  if (!st.isFile()) return 'not a regular file';
  const me = process.getuid?.() ?? -1;
  if (st.uid !== me && st.uid !== 0) return `owned by uid ${st.uid}`;
  if ((st.mode & 0o777) !== 0o755) return `mode ${(st.mode & 0o777).toString(8)}, not 755`;
  const fd = openSync(file, 'r');
  try {
    return elfProblem(fd, st.size, kind);
  } finally {
    closeSync(fd);
  }
}

const PT_LOAD = 1;
const ET_EXEC = 2;
const ET_DYN = 3;

function elfProblem(fd: number, size: number, kind: HelperKind): string | null {
  const h = Buffer.alloc(64);
  if (readSync(fd, h, 0, 64, 0) < 52) return 'shorter than an ELF header';
  if (h.readUInt32BE(0) !== 0x7f454c46) return 'not an ELF file';
  const is64 = h[4] === 2;
  const le = h[5] === 1;
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const word = (b: Buffer, o: number) => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o));
  const type = u16(h, 16);
  if (type !== ET_DYN && !(kind === 'exe' && type === ET_EXEC)) return `ELF type ${type}, not a ${kind === 'exe' ? 'program' : 'shared library'}`;
  const [phoff, shoff] = is64 ? [word(h, 32), word(h, 40)] : [word(h, 28), word(h, 32)];
  const [phentsize, phnum, shentsize, shnum] = is64
    ? [u16(h, 54), u16(h, 56), u16(h, 58), u16(h, 60)]
    : [u16(h, 42), u16(h, 44), u16(h, 46), u16(h, 48)];
  if (phnum === 0) return 'no program headers';
  if (phoff + phnum * phentsize > size) return 'truncated (program headers)';
  if (shoff + shnum * shentsize > size) return 'truncated (section headers)';
  const ph = Buffer.alloc(phnum * phentsize);
  readSync(fd, ph, 0, ph.length, phoff);
  for (let i = 0; i < phnum; i++) {
    const at = i * phentsize;
    if (u32(ph, at) !== PT_LOAD) continue;
    const [offset, filesz] = is64 ? [word(ph, at + 8), word(ph, at + 32)] : [word(ph, at + 4), word(ph, at + 16)];
    if (offset + filesz > size) return 'truncated (a loaded segment)';
  }
  return null;
}
