// What each kind of task reads from the YAML, by `kind:` (beside ./index.ts,
// which names the kinds themselves). Only the task loader imports this: the
// readers check with zod schemas, and a task read back from the task cache
// (grader/task/cache.ts) is graded without them.
import type { TaskYaml } from '../task/schema.js';
import { functionReader } from './function/read.js';
import type { KindReader } from './kind.js';
import { programReader } from './program/read.js';

const READERS: Record<TaskYaml['kind'], KindReader> = { program: programReader, function: functionReader };

/** The reader of the kind named by `kind:` in task.yaml. */
export function kindReaderNamed(name: TaskYaml['kind']): KindReader {
  return READERS[name];
}
