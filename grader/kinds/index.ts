// Which kind a task is: the one place that tells a function task from a
// program task. Everything else asks the kind it gets here.
import type { Task } from '../model/task.js';
import type { TaskYaml } from '../task/schema.js';
import { functionKind } from './function/index.js';
import type { TaskKind } from './kind.js';
import { programKind } from './program/index.js';

const KINDS: Record<TaskYaml['kind'], TaskKind> = { program: programKind, function: functionKind };

/** The kind named by `kind:` in task.yaml. */
export function kindNamed(name: TaskYaml['kind']): TaskKind {
  return KINDS[name];
}

/** The kind of a loaded task. */
export function kindOf(task: Task): TaskKind {
  return task.function ? functionKind : programKind;
}
