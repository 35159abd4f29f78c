// The YAML of function tasks (the student hands in one C function, see
// docs/function-tasks.md): shapes, checked with positions like the rest of
// the task, and resolved into what the plan needs (file names to paths).
// Injected failures (`fail:`, any kind of task) are grader/task/faults.ts.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { FunctionSpec } from '../../model/task.js';
import type { YamlFile } from '../../task/yaml-file.js';

const fileName = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a plain file name (letters, digits, . _ -)');

/** `function:` in task.yaml. */
export const functionSchema = z
  .object({
    /** The C function the student defines, looked up by this name in the compiled file. */
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a C identifier'),
    /** Header included before the student's file (its #includes and the function's prototype). */
    prelude: fileName,
    /** The hidden main() that calls the function (C, with runner/harness/sockgrade_harness.h). */
    harness: fileName,
  })
  .strict();

/** `after:` of a function test. */
export const functionAfterSchema = z
  .object({
    /** What the function must return; 'any': only that it returns. */
    returns: z.union([z.number().int(), z.literal('any')], { error: "a number (what the function must return) or 'any'" }).default(0),
    /** The value the harness reads back after the call (e.g. *result), as an unsigned 32-bit number. */
    result: z.number().int().min(-0x80000000).max(0xffffffff).optional(),
    /** How long the function may take to return (default: the task's exit_ms). */
    within_ms: z.number().int().positive().optional(),
  })
  .strict();
export type FunctionAfter = z.infer<typeof functionAfterSchema>;

export function readFunctionAfter(file: YamlFile, value: unknown, at: PropertyKey[]): FunctionAfter | null {
  return file.validate(functionAfterSchema, value ?? {}, at);
}

/**
 * The `function:` block of a kind: function task, checked against the task
 * folder. Records problems on the file; null when it is not valid.
 */
export function readFunctionTask(
  file: YamlFile,
  y: { function?: z.infer<typeof functionSchema> | undefined; build: unknown[] },
  dir: string,
): FunctionSpec | null {
  const f = y.function;
  if (!f) {
    file.problem(['kind'], 'kind: function needs a function: block with name, prelude and harness');
    return null;
  }
  if (y.build.length) file.problem(['build'], 'a function task is built by sockgrade (the file with the prelude, as a library): remove build');
  let ok = true;
  for (const key of ['prelude', 'harness'] as const) {
    if (!existsSync(path.join(dir, f[key]))) {
      file.problem(['function', key], `${key} file '${f[key]}' not found in the task folder`);
      ok = false;
    }
  }
  return ok ? { name: f.name, preludePath: path.join(dir, f.prelude), harnessPath: path.join(dir, f.harness) } : null;
}
