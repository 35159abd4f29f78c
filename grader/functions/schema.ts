// The YAML of function tasks (the student hands in one C function, see
// docs/function-tasks.md) and of injected failures (`fail:`, any task):
// shapes, checked with positions like the rest of the task, and resolved into
// what the plan needs (errno names to numbers, file names to paths).
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { FaultPlan } from '../../runner/types.js';
import type { YamlFile } from '../task/yaml-file.js';

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

export interface FunctionSpec {
  name: string;
  preludePath: string;
  harnessPath: string;
}

/** The calls the faults shim can make fail (runner/harness/faults.c). */
export const FAULTABLE_CALLS = ['socket', 'bind', 'connect', 'send', 'sendto', 'sendmsg', 'write', 'recv', 'recvfrom', 'recvmsg', 'read'] as const;
type FaultableCall = (typeof FAULTABLE_CALLS)[number];

/** What a failing call sets when the test names no errno: what that call really returns on a bad day. */
const DEFAULT_ERRNO: Record<FaultableCall, string> = {
  socket: 'EMFILE',
  bind: 'EADDRINUSE',
  connect: 'ECONNREFUSED',
  send: 'ENOBUFS',
  sendto: 'ENOBUFS',
  sendmsg: 'ENOBUFS',
  write: 'ENOBUFS',
  recv: 'ECONNREFUSED',
  recvfrom: 'ECONNREFUSED',
  recvmsg: 'ECONNREFUSED',
  read: 'ECONNREFUSED',
};

const ERRNOS = osConstants.errno as Record<string, number>;

const faultSchema = z
  .object({
    /** One call, or several that count as one (e.g. [send, sendto, write]: "sending"). */
    call: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.enum(FAULTABLE_CALLS)).min(1)),
    errno: z.string().refine((e) => e in ERRNOS, { message: 'an errno name such as EADDRINUSE, ECONNREFUSED, ENOBUFS' }).optional(),
    /** Only the nth such call fails (1 = the first); 0 (default): every one. */
    nth: z.number().int().min(0).default(0),
  })
  .strict();

/** `fail:` of a test: one fault, or a list of them. */
export function readFaults(file: YamlFile, value: unknown, at: PropertyKey[]): FaultPlan[] | null {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) {
    file.problem(at, 'fail: give a call to make fail, e.g. {call: bind, errno: EADDRINUSE}');
    return null;
  }
  const faults = list.map((item, i) => file.validate(faultSchema, item, Array.isArray(value) ? [...at, i] : at));
  if (faults.some((f) => f === null)) return null;
  return faults.map((f) => ({ calls: f!.call, errno: ERRNOS[f!.errno ?? DEFAULT_ERRNO[f!.call[0]!]]!, nth: f!.nth }));
}

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
 * The task's `function:` block, checked against `kind` and the task folder.
 * Records problems on the file; null when the task is not a valid function task.
 */
export function readFunctionTask(
  file: YamlFile,
  y: { kind: 'program' | 'function'; function?: z.infer<typeof functionSchema> | undefined; build: unknown[] },
  dir: string,
): FunctionSpec | null {
  if (y.kind !== 'function') {
    if (y.function) file.problem(['function'], "function: goes with kind: function (a task where the student hands in one C function)");
    return null;
  }
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
