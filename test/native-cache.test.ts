// The native-helper cache: one build per helper however many jobs or processes
// ask at once, a broken cached helper rebuilt rather than trusted, and a cache
// folder others could tamper with (or the sandbox could not reach) refused.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileLauncher, helperName, launcherSource, validHelper } from '../runner/sandbox/native.js';
import { ROOT, fixture, runCli, tempDir } from './helpers.js';

const isRoot = process.getuid?.() === 0;
const correct = fixture('calculator-server', 'correct-c-plain');

/** A fresh cache folder the sandbox's uid can reach (tempDir is 0700: as root, bwrap could not). */
function freshCache(): { cache: string; gccCalls: string; path: string } {
  const base = tempDir('sockgrade-cache-');
  chmodSync(base, 0o755);
  // The real gcc, behind a wrapper that counts its runs: how many builds happened.
  const bin = path.join(base, 'bin');
  mkdirSync(bin);
  const gccCalls = path.join(base, 'gcc-calls');
  writeFileSync(gccCalls, '');
  const realGcc = execFileSync('sh', ['-c', 'command -v gcc'], { encoding: 'utf8' }).trim();
  writeFileSync(path.join(bin, 'gcc'), `#!/bin/sh\necho "$*" >> '${gccCalls}'\nexec '${realGcc}' "$@"\n`, { mode: 0o755 });
  return { cache: path.join(base, 'cache'), gccCalls, path: `${bin}:${process.env.PATH}` };
}

const builds = (gccCalls: string) => readFileSync(gccCalls, 'utf8').split('\n').filter(Boolean).length;
const leftovers = (cache: string) => readdirSync(cache).filter((f) => /\.(tmp|lock)$/.test(f));

describe('native helper cache', () => {
  const saved = { cache: process.env.SOCKGRADE_CACHE, path: process.env.PATH };
  let c: ReturnType<typeof freshCache>;
  beforeEach(() => {
    c = freshCache();
    process.env.SOCKGRADE_CACHE = c.cache;
    process.env.PATH = c.path;
  });
  afterEach(() => {
    if (saved.cache === undefined) delete process.env.SOCKGRADE_CACHE;
    else process.env.SOCKGRADE_CACHE = saved.cache;
    process.env.PATH = saved.path;
  });

  it('builds a helper once for many jobs of one process asking at once', async () => {
    const paths = await Promise.all(Array.from({ length: 8 }, () => compileLauncher()));
    expect(new Set(paths).size).toBe(1);
    expect(path.dirname(paths[0]!)).toBe(c.cache);
    expect(validHelper(paths[0]!, 'exe')).toBeNull();
    expect(builds(c.gccCalls)).toBe(1);
    expect(leftovers(c.cache)).toEqual([]);
  });

  it('builds a helper once for several processes racing on an empty cache', async () => {
    const script = `import { compileLauncher } from ${JSON.stringify(path.join(ROOT, 'dist/runner/sandbox/native.js'))};
      process.stdout.write(await compileLauncher());`;
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => execa(process.execPath, ['--input-type=module', '-e', script], { env: { SOCKGRADE_CACHE: c.cache, PATH: c.path } })),
    );
    const paths = new Set(runs.map((r) => r.stdout));
    expect(paths.size).toBe(1);
    expect(validHelper([...paths][0]!, 'exe')).toBeNull();
    expect(builds(c.gccCalls)).toBe(1);
    expect(leftovers(c.cache)).toEqual([]);
  });

  it('does not wait on a lock whose process is gone', async () => {
    mkdirSync(c.cache, { mode: isRoot ? 0o755 : 0o700 });
    const dead = await execa(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    // The lock of a build that died half-way, in the way of the next one.
    writeFileSync(path.join(c.cache, `${helperName(launcherSource(), 'exe', [])}.lock`), dead.stdout);
    const started = performance.now();
    expect(validHelper(await compileLauncher(), 'exe')).toBeNull();
    expect(performance.now() - started).toBeLessThan(30_000); // far below the 60 s a live holder gets
    expect(leftovers(c.cache)).toEqual([]);
  });

  it.each([
    ['cut short', (f: string) => truncateSync(f, 9000)],
    ['not executable', (f: string) => chmodSync(f, 0o644)],
    ['not a program at all', (f: string) => writeFileSync(f, Buffer.alloc(17_000), { mode: 0o755 })],
  ])('rebuilds a cached launcher that is %s, and the grade succeeds', async (_what, breakIt) => {
    const launcher = await compileLauncher();
    breakIt(launcher);
    expect(validHelper(launcher, 'exe')).not.toBeNull();
    const r = await runCli(['grade', 'calculator-server', correct, '--format', 'json'], { env: { SOCKGRADE_CACHE: c.cache, PATH: c.path } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ result: 'success', score: 100 });
    expect(validHelper(launcher, 'exe')).toBeNull();
    expect(builds(c.gccCalls)).toBeGreaterThanOrEqual(2);
  });

  it('refuses a cache folder others can write: they could plant a launcher', async () => {
    mkdirSync(c.cache);
    chmodSync(c.cache, 0o777);
    const r = await runCli(['grade', 'calculator-server', correct], { env: { SOCKGRADE_CACHE: c.cache } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/SOCKGRADE_CACHE .*others can write it/);
    expect(readdirSync(c.cache)).toEqual([]);
  });

  it('hands out the helper by its checked real path: a link to the cache swapped afterwards changes nothing', async () => {
    // A trusted cache holding a valid launcher...
    const trusted = await compileLauncher();
    // ...reached through a link (as a /tmp/sockgrade-0 someone else planted would be).
    const base = path.dirname(c.cache);
    const link = path.join(base, 'via-link');
    symlinkSync(c.cache, link);
    process.env.SOCKGRADE_CACHE = link;
    const chosen = await compileLauncher();
    // Whoever owns the link points it at a folder of their own, with their own "launcher", before bwrap binds it.
    const evil = path.join(base, 'evil');
    mkdirSync(evil);
    writeFileSync(path.join(evil, path.basename(trusted)), '#!/bin/sh\necho forged meta\n', { mode: 0o755 });
    unlinkSync(link);
    symlinkSync(evil, link);
    expect(chosen).toBe(trusted);
    expect(readFileSync(chosen).equals(readFileSync(trusted))).toBe(true);
    expect(builds(c.gccCalls)).toBe(1);
  });

  it.runIf(isRoot)('as root, grades a function task kept in a private (0700) folder, as from /root', async () => {
    const hidden = tempDir('sockgrade-private-');
    const taskDir = path.join(hidden, 'sockets-creating-a-socket');
    cpSync(path.join(ROOT, 'tasks', 'sockets-creating-a-socket'), taskDir, { recursive: true });
    const submission = path.join(ROOT, 'fixtures', 'sockets-creating-a-socket', 'correct', 'submission.c');
    const r = await runCli(['grade', taskDir, submission, '--format', 'json'], { env: { SOCKGRADE_CACHE: c.cache, PATH: c.path } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ result: 'success', score: 100 });
    // The harness and the prelude the sandbox's uid could not reach came from the cache.
    expect(readdirSync(c.cache).filter((f) => /^(harness-|prelude-.*\.h$)/.test(f))).toHaveLength(2);
  });

  it.runIf(isRoot)('as root, refuses a cache the sandbox uid cannot reach, saying why', async () => {
    const hidden = tempDir('sockgrade-private-'); // 0700, like /root or a fresh mktemp -d
    const r = await runCli(['grade', 'calculator-server', correct], { env: { SOCKGRADE_CACHE: path.join(hidden, 'cache') } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/uid 65534 cannot pass through .*sockgrade-private-.* \(mode 700\).*SOCKGRADE_CACHE/);
    expect(existsSync(path.join(hidden, 'cache'))).toBe(true);
  });
});
