// The function kind of task (`kind: function`): the student hands in one C
// function; sockgrade compiles it alone into a library and the task's hidden
// harness calls it (docs/function-tasks.md). Its YAML part and `after:` are
// read by read.ts (with schema.ts), its build and run planned by plan.ts, its
// verdict decided by verdict.ts.
import type { FunctionSpec, Task } from '../../model/task.js';
import type { TaskKind } from '../kind.js';
import { functionBuildFiles, harnessCommand } from './plan.js';
import { decideFunctionVerdict } from './verdict.js';

/** The function of a task of this kind (kinds/index.ts hands it only those). */
function spec(task: Task): FunctionSpec {
  return task.function!;
}

export const functionKind: TaskKind = {
  name: 'function',
  // With nothing to send, a function may return before it binds: no use waiting for the port.
  waitsForPort: (steps) => steps.length > 0,
  buildFiles: (task) => functionBuildFiles(spec(task)),
  planProgram: (task, test) => harnessCommand(task, spec(task), test),
  planJob: (task) => ({ harness: spec(task).harnessPath }),
  // Each test calls the function once, in a harness run of its own.
  mayShareStart: () => false,
  who: () => 'the function',
  decideVerdict: decideFunctionVerdict,
};
