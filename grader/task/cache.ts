// Loaded tasks kept between runs: reading task.yaml and its tests files
// (yaml) and checking them (zod) costs more than a short grade's own work, and
// gives the same Task as long as nothing it depends on changed. An entry
// holds the Task as data (its protocol by name, rebuilt from the registry)
// with the content hash of every file in the task folder (the loader reads
// only files there: task.yaml, the tests files, statement, prelude, harness)
// and a stamp of the loader's own code. Anything that does not match, or does
// not read back as an entry, is a miss: the task is loaded from its YAML again
// (errors reported exactly as without a cache) and the entry rewritten. Only
// tasks that load are kept. No usable cache folder means no cache, never an
// error: a read-only home still grades.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { codeRoot, packageRoot } from '../../runner/paths.js';
import { userCacheDir } from '../../runner/sandbox/native-cache.js';
import type { Task, TestSpec } from '../model/task.js';

/** Bump when the entry's layout changes. */
const FORMAT = 1;
/** A folder for the task cache alone; `off` turns the cache off. Else SOCKGRADE_CACHE/tasks, else the user cache's tasks/. */
export const TASK_CACHE_ENV = 'SOCKGRADE_TASK_CACHE';

/** The Task as stored: plain data, its protocol by name, each test's file as an absolute path (shown relative to where we run). */
interface StoredTask extends Omit<Task, 'protocol' | 'tests'> {
  protocol: string;
  tests: (Omit<TestSpec, 'source' | 'file'> & { file: string })[];
}

interface Entry {
  format: number;
  code: string;
  dir: string;
  files: Record<string, string>;
  task: StoredTask;
}

const myUid = (): number => process.getuid?.() ?? -1;

/** The cache folder, or null when there is none to use. */
export function taskCacheDir(): string | null {
  const own = process.env[TASK_CACHE_ENV];
  if (own === 'off') return null;
  if (own) return path.resolve(own);
  const shared = process.env.SOCKGRADE_CACHE;
  return path.join(shared ? path.resolve(shared) : userCacheDir(), 'tasks');
}

/** Ours alone: an entry decides what runs and what passes, so a folder others can write is not trusted. */
function ownedByUs(p: string, dir: boolean): boolean {
  try {
    const st = lstatSync(p);
    return (dir ? st.isDirectory() : st.isFile()) && st.uid === myUid() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

let codeStampMemo: string | undefined;

/**
 * What the loaded Task depends on besides the task's files: sockgrade's
 * version, the entry format, the installed yaml and zod, and the loader's
 * code (size and time of every file of grader/task, kinds, protocols, model
 * and verdict, whose controls.ts checks `control:`: a changed default or check
 * must not be answered from an old entry).
 */
function codeStamp(): string {
  if (codeStampMemo !== undefined) return codeStampMemo;
  // The compiled loader's files (a bundle runs only while it is as new as they are: runner/bundles.ts), or its sources under a test runner.
  const grader = path.join(codeRoot, 'grader');
  const h = createHash('sha256').update(`format ${FORMAT}\n`);
  try {
    h.update(readFileSync(path.join(packageRoot, 'package.json')));
  } catch {
    h.update('no package.json');
  }
  // The parser and schema library read the YAML too: another version may read it otherwise.
  for (const dep of ['yaml', 'zod']) {
    try {
      const st = statSync(path.join(packageRoot, 'node_modules', dep, 'package.json'));
      h.update(`${dep} ${st.size} ${st.mtimeMs}\n`);
    } catch {
      h.update(`${dep} elsewhere\n`);
    }
  }
  for (const sub of ['task', 'kinds', 'protocols', 'model', 'verdict']) {
    const base = path.join(grader, sub);
    // The code itself (compiled .js, or the .ts sources under a test runner), not its maps and declarations.
    const code = (readdirSync(base, { recursive: true }) as string[]).filter((n) => n.endsWith('.js') || (n.endsWith('.ts') && !n.endsWith('.d.ts')));
    for (const name of code.sort()) {
      const st = statSync(path.join(base, name));
      h.update(`${sub}/${name} ${st.size} ${st.mtimeMs}\n`);
    }
  }
  codeStampMemo = h.digest('hex');
  return codeStampMemo;
}

/** The content hash of every file directly in the task folder, by name (a missing file is a different set of names). */
function folderHashes(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    if (!d.isFile() && !d.isSymbolicLink()) continue;
    try {
      files[d.name] = createHash('sha256').update(readFileSync(path.join(dir, d.name))).digest('hex');
    } catch {
      files[d.name] = 'unreadable';
    }
  }
  return files;
}

function sameFiles(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** JSON has no undefined; a Task has keys set to it (`timeoutMs: undefined`): kept as this marker and put back. */
const UNDEFINED = { $undefined: true };

function toJson(entry: Entry): string {
  return JSON.stringify(entry, (_k, v: unknown) => (v === undefined ? UNDEFINED : v));
}

function restoreUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(restoreUndefined);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Object.keys(o).length === 1 && o.$undefined === true) return undefined;
    for (const k of Object.keys(o)) o[k] = restoreUndefined(o[k]);
  }
  return v;
}

function entryPath(cacheDir: string, dir: string): string {
  return path.join(cacheDir, `${createHash('sha256').update(dir).digest('hex').slice(0, 32)}.json`);
}

/** The entry for `dir` when it is sound and still matches its files and code; null otherwise. */
function readEntry(cacheDir: string, dir: string, files: Record<string, string>): Entry | null {
  const file = entryPath(cacheDir, dir);
  // The entry, its folder and the folder above must all be ours alone: an entry decides what runs.
  if (!ownedByUs(path.dirname(cacheDir), true) || !ownedByUs(cacheDir, true) || !ownedByUs(file, false)) return null;
  try {
    const e = JSON.parse(readFileSync(file, 'utf8')) as Partial<Entry> | null;
    // Cheap shape check; a bad entry is a miss, never trusted.
    if (!e || e.format !== FORMAT || e.code !== codeStamp() || e.dir !== dir || typeof e.files !== 'object' || !e.files) return null;
    const t = e.task;
    if (!t || typeof t !== 'object' || typeof t.protocol !== 'string' || !Array.isArray(t.tests) || typeof t.title !== 'string' || typeof t.role !== 'string') return null;
    if (!sameFiles(e.files, files)) return null;
    return restoreUndefined(e) as Entry;
  } catch {
    return null;
  }
}

/** Writes the entry (a whole file, renamed into place); a folder we cannot write just means no cache. */
function writeEntry(cacheDir: string, entry: Entry): void {
  const file = entryPath(cacheDir, entry.dir);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    // Folders above ours as runner/sandbox/native-cache.ts makes them (the sandbox's uid passes through the user cache).
    mkdirSync(path.dirname(cacheDir), { recursive: true, mode: 0o755 });
    // A folder above ours that others can write lets them swap ours: no cache there.
    if (!ownedByUs(path.dirname(cacheDir), true)) return;
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    if (!ownedByUs(cacheDir, true)) return;
    writeFileSync(tmp, toJson(entry), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Nothing was written there either.
    }
  }
}

/** A test's file as users are shown it: relative to where we run, as the loader shows it. */
function shown(abs: string): string {
  return path.relative(process.cwd(), abs) || abs;
}

function store(task: Task): StoredTask {
  return {
    ...task,
    protocol: task.protocol.name,
    tests: task.tests.map(({ source: _source, file, ...rest }) => ({ ...rest, file: path.resolve(file) })),
  };
}

async function rebuild(stored: StoredTask): Promise<Task | null> {
  const { protocolNamed } = await import('../protocols/registry.js');
  const protocol = protocolNamed(stored.protocol);
  if (!protocol) return null;
  const tests = stored.tests.map((t): TestSpec => {
    const file = shown(t.file);
    // Key order as the loader makes it, for reports and anything else that lists a test's keys.
    const { fail, line, file: _abs, ...rest } = t;
    return { ...rest, ...(fail ? { fail } : {}), source: `${file}:${line}`, file, line };
  });
  return { ...stored, protocol, tests };
}

/** Where a task's cache stands: what it holds for `dir` (null: nothing usable) and how to store a fresh load. */
interface Lookup {
  stored: StoredTask | null;
  save: (task: Task) => void;
}

function lookup(dir: string): Lookup {
  const cacheDir = taskCacheDir();
  if (!cacheDir) return { stored: null, save: () => {} };
  let files: Record<string, string>;
  try {
    files = folderHashes(dir);
  } catch {
    return { stored: null, save: () => {} };
  }
  const usable = ownedByUs(cacheDir, true);
  const entry = usable ? readEntry(cacheDir, dir, files) : null;
  return { stored: entry?.task ?? null, save: (task) => writeEntry(cacheDir, { format: FORMAT, code: codeStamp(), dir, files, task: store(task) }) };
}

/** Loads a task from its YAML (the parser and schemas loaded now, only on a miss) and keeps it. */
async function loadAndKeep(dir: string, l: Lookup): Promise<Task> {
  const { loadTask } = await import('./load.js');
  const task = loadTask(dir);
  l.save(task);
  return task;
}

/** The task in folder `dir` (made absolute), from the cache when it still matches; a TaskError as loadTask throws it. */
export async function loadTaskCached(dir: string): Promise<Task> {
  const abs = path.resolve(dir);
  const l = lookup(abs);
  const task = l.stored ? await rebuild(l.stored) : null;
  return task ?? loadAndKeep(abs, l);
}

/** What `sockgrade tasks` lists of a task (from the cache, else a full load): no protocol needed. */
export async function taskSummary(dir: string): Promise<{ role: string; tests: number; title: string }> {
  const abs = path.resolve(dir);
  const l = lookup(abs);
  const t = l.stored ?? (await loadAndKeep(abs, l));
  return { role: t.role, tests: t.tests.length, title: t.title };
}
