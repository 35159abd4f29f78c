// The install step (npm's prepare script, after tsc): builds every native
// helper the bundled tasks need into dist/native, so grading starts with them
// ready and a read-only install never needs to compile. Never fails the
// install: whatever cannot be built here is built on first use in the cache
// (runner/sandbox/native-cache.ts), where a missing compiler gets its fix.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { compileFaultsShim, compileHarness } from './harness/build.js';
import { installedNativeDir, packageRoot } from './paths.js';
import { compileJobAddon, compileLauncher, compileReaper, compileRemoteLauncher } from './sandbox/native.js';
import { CACHE_ENV, helperReader, whyNotWritable } from './sandbox/native-cache.js';

async function main(): Promise<void> {
  // The same code path as grading, pointed at dist/native when the sandbox can
  // use it there; else (a root checkout in a 0700 folder) at the cache grading
  // will use, so the first grade finds them there.
  process.env[CACHE_ENV] = installedNativeDir;
  const notHere = whyNotWritable({ dir: installedNativeDir, label: 'dist/native', create: true }, helperReader());
  if (notHere) delete process.env[CACHE_ENV];
  const tasksDir = path.join(packageRoot, 'tasks');
  const harnesses = existsSync(tasksDir)
    ? readdirSync(tasksDir).map((t) => path.join(tasksDir, t, 'harness.c')).filter((f) => existsSync(f))
    : [];
  try {
    const launcher = await compileLauncher();
    await compileReaper();
    await compileJobAddon();
    await compileRemoteLauncher();
    await compileFaultsShim();
    for (const h of harnesses) await compileHarness(h);
    const why = notHere ? ` (not in dist/native: ${notHere})` : '';
    process.stdout.write(`sockgrade: native helpers built in ${path.dirname(launcher)}${why}\n`);
  } catch (err) {
    const why = String((err as Error).message).split('\n')[0];
    process.stderr.write(`sockgrade: native helpers not built at install (${why}); grading builds them on first use\n`);
  }
}

await main();
