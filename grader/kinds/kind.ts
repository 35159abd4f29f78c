// What a kind of task is (`kind:` in task.yaml): the one seam between what
// every task shares and what differs between a program sockgrade talks to
// (grader/kinds/program/) and a C function the task's hidden harness calls
// (grader/kinds/function/). Loading, planning and deciding a verdict ask the
// task's kind (grader/kinds/index.ts) instead of branching on it.
import type { CommandPlan, FaultPlan, JobPlan, StepPlan, TestObservation } from '../../runner/types.js';
import type { StepContext } from '../model/step-context.js';
import type { AfterSpec, BuildRule, FunctionSpec, StepSpec, Task, TestSpec } from '../model/task.js';
import type { TaskYaml } from '../task/schema.js';
import type { YamlFile } from '../task/yaml-file.js';
import type { TestVerdict } from '../verdict/primitives.js';

/** What a kind reads from task.yaml into the Task. */
export interface KindPart {
  build: BuildRule[];
  function?: FunctionSpec;
}

export interface TaskKind {
  /** Its name in task.yaml (`kind:`). */
  readonly name: TaskYaml['kind'];

  // Loading (grader/task/load.ts): what the kind reads from the YAML is its KindReader (below).
  /** When a test says nothing (`ready:`), whether a server test waits for its port before the steps. */
  waitsForPort(steps: StepSpec[], fail: FaultPlan[]): boolean;

  // Planning (grader/plan.ts): what the runner's commands need besides argv and limits.
  /** The build command's extra files. */
  buildFiles(task: Task): Partial<CommandPlan>;
  /** One test's program: how it is started, which socket calls fail. `shim`: the faults shim can be preloaded (not through run_student). */
  planProgram(task: Task, test: TestSpec, shim: boolean): Partial<CommandPlan>;
  /** What the whole job carries (a function task's harness). */
  planJob(task: Task): Partial<JobPlan>;
  /** Whether the test may be served by a program started for another test (TestPlan.shareStart). */
  mayShareStart(task: Task, test: TestSpec, steps: StepPlan[]): boolean;

  // Deciding (grader/verdict/decide.ts).
  /** The thing graded, as feedback names it ("the server", "the function"). */
  who(task: Task): string;
  /** The verdict of one test the runner ran and reported (internal errors are judged before). */
  decideVerdict(task: Task, test: TestSpec, obs: TestObservation, contexts: StepContext[]): TestVerdict;
}

/**
 * What a kind reads from the YAML (grader/kinds/readers.ts), apart from the
 * kind itself because it checks with zod schemas: grading a loaded task (from
 * the task cache, grader/task/cache.ts) needs neither. Problems are recorded
 * on the file, with positions.
 */
export interface KindReader {
  /** The kind's part of task.yaml, checked against the task folder; null when it is not valid. */
  readTask(file: YamlFile, y: TaskYaml, dir: string): KindPart | null;
  /** A test's `after:` (`value`, undefined when absent) with the kind's defaults; null when it is not valid. */
  readAfter(file: YamlFile, value: unknown, at: PropertyKey[], y: TaskYaml, steps: StepSpec[]): AfterSpec | null;
}
