// What the program kind reads from the YAML: its part of task.yaml (nothing
// beyond the build rules) and its tests' `after:` (./after.ts). Loading only.
import type { KindReader } from '../kind.js';
import { readProgramAfter } from './after.js';

export const programReader: KindReader = {
  readTask(file, y) {
    if (y.function) file.problem(['function'], "function: goes with kind: function (a task where the student hands in one C function)");
    return { build: y.build };
  },
  readAfter: readProgramAfter,
};
