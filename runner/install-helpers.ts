// The install step (npm's prepare script, after tsc): builds every native
// helper the bundled tasks need into dist/native, so grading starts with them
// ready and a read-only install never needs to compile. Never fails the
// install: whatever cannot be built here is built on first use in the cache
// (runner/sandbox/native-cache.ts), where a missing compiler gets its fix.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { compileFaultsShim, compileHarness } from './harness/build.js';
import { installedNativeDir, packageRoot } from './paths.js';
import { compileLauncher } from './sandbox/native.js';
import { CACHE_ENV } from './sandbox/native-cache.js';

async function main(): Promise<void> {
  // The same code path as grading, pointed at dist/native.
  process.env[CACHE_ENV] = installedNativeDir;
  const tasksDir = path.join(packageRoot, 'tasks');
  const harnesses = existsSync(tasksDir)
    ? readdirSync(tasksDir).map((t) => path.join(tasksDir, t, 'harness.c')).filter((f) => existsSync(f))
    : [];
  try {
    await compileLauncher();
    await compileFaultsShim();
    for (const h of harnesses) await compileHarness(h);
    process.stdout.write(`sockgrade: native helpers built in ${path.relative(process.cwd(), installedNativeDir) || '.'}\n`);
  } catch (err) {
    const why = String((err as Error).message).split('\n')[0];
    process.stderr.write(`sockgrade: native helpers not built at install (${why}); they will be built on first use\n`);
  }
}

await main();
