// The task cache (grader/task/cache.ts) as a user meets it: a second grade of
// the same task reads the kept task (no YAML parser loaded) and reports the
// same; an edited tests file is seen at once; a cache folder that cannot be
// written, or a damaged entry, still grades; a broken task is reported as
// without a cache, and never kept.
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadTaskCached, TASK_CACHE_ENV } from '../grader/task/cache.js';
import { listTaskIds, loadTask } from '../grader/task/load.js';
import { bundleRecord, type BundleRecordData } from '../runner/bundles.js';
import { fixture, ROOT, runCli, taskCopy, TASKS, tempDir } from './helpers.js';

const SUBMISSION = fixture('calculator-server', 'correct-c-plain');

/**
 * Names every module file the CLI loads, one file URL a line in `file`: ES
 * modules through a loader hook, CommonJS files (the CLI's bundle, a
 * package's CommonJS build) as Node compiles them.
 */
function moduleLog(file: string): string {
  const out = JSON.stringify(file);
  const hook = `export async function load(url, ctx, next) { if (url.startsWith('file:')) (await import('node:fs')).appendFileSync(${out}, url + '\\n'); return next(url, ctx); }`;
  const register = [
    `import { register, Module } from 'node:module'; import { appendFileSync } from 'node:fs'; import { pathToFileURL } from 'node:url';`,
    `register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`,
    `const compile = Module.prototype._compile;`,
    `Module.prototype._compile = function (content, filename) { appendFileSync(${out}, pathToFileURL(filename).href + '\\n'); return compile.call(this, content, filename); };`,
  ].join(' ');
  return `--import=data:text/javascript,${encodeURIComponent(register)}`;
}

/**
 * The compiled modules behind the files a module log names: a file of the
 * CLI's bundle (runner/bundle.ts) stands for the modules its record says it holds.
 */
function compiledModules(log: string): string {
  const { chunks } = JSON.parse(readFileSync(bundleRecord('cli'), 'utf8')) as BundleRecordData;
  return log
    .split('\n')
    .flatMap((url) => {
      const file = url.startsWith('file:') ? path.relative(ROOT, fileURLToPath(url)) : url;
      return chunks[file] ?? [url];
    })
    .join('\n');
}

/** Grades sum-int and product-int of `taskDir` through the CLI; the JSON report without its timings. */
async function gradeWith(taskDir: string, cache: string, nodeOptions = '') {
  const r = await runCli(['grade', taskDir, SUBMISSION, '--format', 'json', '--test', 'sum-int', '--test', 'product-int'], {
    env: { [TASK_CACHE_ENV]: cache, NODE_OPTIONS: nodeOptions },
  });
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  const report = JSON.parse(r.stdout) as Record<string, unknown> & { tests: Record<string, unknown>[] };
  const { duration_ms: _d, timing: _t, ...rest } = report;
  return { ...rest, tests: report.tests.map(({ duration_ms: _td, usage: _u, ...t }) => t) } as Record<string, unknown> & { tests: { name: string; status: string }[] };
}

const entries = (cache: string) => (existsSync(cache) ? readdirSync(cache).filter((f) => f.endsWith('.json')) : []);

describe('task cache', () => {
  it('a second grade reads the kept task, loads no YAML parser, and reports the same; an edited tests.yaml is seen at once', async () => {
    const cache = path.join(tempDir(), 'tasks');
    const dir = taskCopy('calculator-server');
    const first = await gradeWith(dir, cache);
    expect(entries(cache)).toHaveLength(1);
    expect(first.score).toBe(100);

    const loaded = path.join(tempDir(), 'modules.txt');
    const second = await gradeWith(dir, cache, moduleLog(loaded));
    expect(second).toEqual(first);
    const modules = compiledModules(readFileSync(loaded, 'utf8'));
    expect(modules).toMatch(/grader\/task\/cache\.js/);
    // A hit: neither the YAML parser, zod, the loader nor any schema was imported.
    expect(modules).not.toMatch(/node_modules\/(yaml|zod)\//);
    expect(modules).not.toMatch(/grader\/task\/(load|yaml-file|issues|faults|schema)\.js/);
    expect(modules).not.toMatch(/grader\/(kinds|protocols)\/.*(schema|read)/);

    // The same task folder, a test renamed in its tests file: the grade shows the new name.
    const tests = path.join(dir, 'tests.yaml');
    writeFileSync(tests, readFileSync(tests, 'utf8').replace(/^(\s+name:) .*$/m, '$1 Sum of integers, renamed in the copy'));
    const third = await gradeWith(dir, cache, moduleLog(loaded + '.3'));
    expect(third.tests.map((t) => t.name)).toContain('Sum of integers, renamed in the copy');
    expect(first.tests.map((t) => t.name)).not.toContain('Sum of integers, renamed in the copy');
    expect(readFileSync(loaded + '.3', 'utf8')).toMatch(/node_modules\/yaml\/[^]*node_modules\/zod\/|node_modules\/zod\/[^]*node_modules\/yaml\//);
    expect(entries(cache)).toHaveLength(1);
    expect(readFileSync(path.join(cache, entries(cache)[0]!), 'utf8')).toContain('Sum of integers, renamed in the copy');
  });

  it('a damaged entry is not trusted: the task is loaded again, graded the same, and the entry rewritten', async () => {
    const cache = path.join(tempDir(), 'tasks');
    const dir = taskCopy('calculator-server');
    const first = await gradeWith(dir, cache);
    const entry = path.join(cache, entries(cache)[0]!);
    const good = readFileSync(entry, 'utf8');
    const withTask = (change: (task: Record<string, unknown>) => void) => {
      const e = JSON.parse(good) as { task: Record<string, unknown> };
      change(e.task);
      return JSON.stringify(e);
    };
    const damages = [
      good.slice(0, good.length / 2),
      'null',
      withTask((t) => (t.tests = { 'sum-int': {} })),
      withTask((t) => (t.protocol = 'no-such-protocol')),
    ];
    for (const damage of damages) {
      writeFileSync(entry, damage);
      expect(await gradeWith(dir, cache)).toEqual(first);
      expect(readFileSync(entry, 'utf8')).toBe(good);
    }
  });

  it('a cache folder that cannot be used still grades, and nothing is kept in it', async () => {
    const base = tempDir();
    const dir = taskCopy('calculator-server');
    // Not a folder at all (as a read-only home: nothing can be made there).
    writeFileSync(path.join(base, 'file'), '');
    const notAFolder = await gradeWith(dir, path.join(base, 'file', 'tasks'));
    expect(notAFolder.score).toBe(100);
    // A folder someone else owns: an entry there could be planted, so it is neither read nor written.
    const theirs = path.join(base, 'theirs');
    mkdirSync(theirs);
    chownSync(theirs, 65534, 65534);
    chmodSync(theirs, 0o755);
    expect(await gradeWith(dir, theirs)).toEqual(notAFolder);
    expect(readdirSync(theirs)).toEqual([]);
  });

  it('a broken task is reported exactly as without a cache, and not kept', async () => {
    const cache = path.join(tempDir(), 'tasks');
    const dir = taskCopy('calculator-server');
    const tests = path.join(dir, 'tests.yaml');
    writeFileSync(tests, readFileSync(tests, 'utf8').replace('- id: sum-int', '- id: Sum_Int'));
    const withCache = await runCli(['grade', dir, SUBMISSION], { env: { [TASK_CACHE_ENV]: cache } });
    const without = await runCli(['grade', dir, SUBMISSION], { env: { [TASK_CACHE_ENV]: 'off' } });
    expect(withCache.exitCode).toBe(2);
    expect(withCache.stderr).toMatch(/tests\.yaml:\d+:\d+: .*lower-case letters, digits and dashes/);
    expect(withCache.stderr).toBe(without.stderr);
    expect(entries(cache)).toEqual([]);
  });

  it('every bundled task read back from the cache is the Task the loader makes', async () => {
    process.env[TASK_CACHE_ENV] = path.join(tempDir(), 'tasks');
    try {
      for (const id of listTaskIds(TASKS)) {
        const dir = path.join(TASKS, id);
        const fresh = loadTask(dir);
        const miss = await loadTaskCached(dir);
        const hit = await loadTaskCached(dir);
        expect(isDeepStrictEqual(miss, fresh), id).toBe(true);
        expect(isDeepStrictEqual(hit, fresh), id).toBe(true);
        expect(hit.protocol).toBe(fresh.protocol);
      }
      expect(entries(process.env[TASK_CACHE_ENV]!)).toHaveLength(listTaskIds(TASKS).length);
    } finally {
      delete process.env[TASK_CACHE_ENV];
    }
  });
});
