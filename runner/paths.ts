// Where sockgrade's own files are: the package root, the compiled runner, and
// the folder the install step builds the native helpers into.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

// Compiled files live in dist/runner/..., sources in runner/..., bundles in
// dist/bundle/...: walk up to the folder holding package.json and runner/.
function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'runner'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('sockgrade: cannot locate the package root');
    dir = parent;
  }
}

export const packageRoot = findPackageRoot();
/** Where the running code's grader/ and runner/ are: dist/ when compiled (or bundled), the package root under a test runner. */
export const codeRoot = path.relative(packageRoot, fileURLToPath(import.meta.url)).startsWith(`dist${path.sep}`)
  ? path.join(packageRoot, 'dist')
  : packageRoot;
/** Compiled JS of the runner (the job entry point runs from here). */
export const distRunnerDir = path.join(packageRoot, 'dist', 'runner');
/**
 * Native helpers built by `npm ci`/`npm install` (the prepare script). Only one
 * of the places they may be: see runner/sandbox/native-cache.ts for the others.
 */
export const installedNativeDir = path.join(packageRoot, 'dist', 'native');
