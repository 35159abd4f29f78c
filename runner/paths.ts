// Where sockgrade's own files are: the package root, the compiled runner, and
// the folder the install step builds the native helpers into.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

// Compiled files live in dist/runner/..., sources in runner/...: walk up to the
// folder holding package.json either way.
function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (path.basename(dir) === 'runner') {
      const up = path.dirname(dir);
      return path.basename(up) === 'dist' ? path.dirname(up) : up;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('sockgrade: cannot locate the package root');
    dir = parent;
  }
}

export const packageRoot = findPackageRoot();
/** Compiled JS of the runner (the job entry point runs from here). */
export const distRunnerDir = path.join(packageRoot, 'dist', 'runner');
/**
 * Native helpers built by `npm ci`/`npm install` (the prepare script). Only one
 * of the places they may be: see runner/sandbox/native-cache.ts for the others.
 */
export const installedNativeDir = path.join(packageRoot, 'dist', 'native');
