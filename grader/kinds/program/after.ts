// A program test's `after:` (how the program must end, what it prints and
// sends), read with the program kind's defaults: a server keeps running, a
// client exits 0. What it asks must be something the task can check.
import type { AfterSpec, StepSpec } from '../../model/task.js';
import { afterSchema, type TaskYaml } from '../../task/schema.js';
import type { YamlFile } from '../../task/yaml-file.js';

/** What `after` asks of a client's output and datagrams must be something the task can check. */
function checkClientAfter(file: YamlFile, at: PropertyKey[], task: TaskYaml, after: AfterSpec, steps: StepSpec[]): void {
  if (after.result !== undefined && task.result_line === undefined) {
    file.problem([...at, 'result'], 'result needs result_line in task.yaml (how the program prints its result, e.g. "Result: {result}")');
  }
  if (after.datagrams === 'none' && steps.some((s) => s.kind === 'receive')) {
    file.problem([...at, 'datagrams'], "datagrams: none, but a step receives a datagram: drop one or the other");
  }
  if (after.datagrams === 'retransmissions' && !steps.some((s) => s.kind === 'receive')) {
    file.problem([...at, 'datagrams'], 'datagrams: retransmissions needs a receive step (the datagram that may be repeated)');
  }
}

/** `after:` of a program test (`value` undefined when absent); null when it is not valid. */
export function readProgramAfter(file: YamlFile, value: unknown, at: PropertyKey[], task: TaskYaml, steps: StepSpec[]): AfterSpec | null {
  const after: AfterSpec | null =
    value === undefined ? (task.role === 'server' ? { running: true } : { exit: 0 }) : (file.validate(afterSchema, value, at) as AfterSpec | null);
  if (after) checkClientAfter(file, at, task, after, steps);
  return after;
}
