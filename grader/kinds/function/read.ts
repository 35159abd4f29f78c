// What the function kind reads from the YAML: its `function:` block (the
// function, prelude and harness) and its tests' `after:` (./schema.ts).
// Loading only.
import type { KindReader } from '../kind.js';
import { functionBuildRule } from './plan.js';
import { readFunctionAfter, readFunctionTask } from './schema.js';

export const functionReader: KindReader = {
  readTask(file, y, dir) {
    const fn = readFunctionTask(file, y, dir);
    return fn ? { build: [functionBuildRule(fn, y.program)], function: fn } : null;
  },
  // `after:` may be left out: the function must then return 0.
  readAfter: (file, value, at) => readFunctionAfter(file, value, at),
};
