// Loads a task folder into a validated Task. Every problem in every file is
// collected and reported together, each with its file, line and column.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { FaultPlan, Limits } from '../../runner/types.js';
import { functionBuildRule } from '../functions/plan.js';
import { readFaults, readFunctionAfter, readFunctionTask, type FunctionSpec } from '../functions/schema.js';
import { protocolNamed, protocolNames } from '../protocols/index.js';
import type { Protocol } from '../protocols/protocol.js';
import { afterSchema, stepSchema, taskSchema, testSchema, testsFileSchema, type TaskYaml } from './schema.js';
import { TaskError, YamlFile, type Problem } from './yaml-file.js';
import { controlProblems } from '../controls.js';

export type Visibility = 'visible' | 'feedback' | 'hidden' | 'after_due_date';

export type MessageSpec = { raw: string } | { structured: unknown };

export type StepSpec =
  | { kind: 'send'; socket: string; message: MessageSpec; expect: unknown; timeoutMs: number | undefined }
  | { kind: 'receive'; expect: unknown; answer: MessageSpec | null; timeoutMs: number | undefined }
  | { kind: 'wait-exit'; timeoutMs: number | undefined };

export interface AfterSpec {
  running?: true;
  exit?: number | 'nonzero';
  stdout?: string;
  stderr?: string;
  within_ms?: number;
  /** The value printed in the task's result line; 'none': no result line at all. */
  result?: number | string;
  datagrams?: 'none' | 'retransmissions';
  /** Function tasks: what the function must return ('any': only that it returns). */
  returns?: number | 'any';
}

export interface TestSpec {
  id: string;
  name: string;
  weight: number;
  tags: string[];
  visibility: Visibility;
  argv: string[];
  port: number;
  occupy: number[];
  ready: 'port' | 'none';
  steps: StepSpec[];
  after: AfterSpec;
  /** Socket calls made to fail during this test. */
  fail?: FaultPlan[];
  /** Negative tests: the positive tests, one of which must pass for this one to count (grader/controls.ts). */
  control?: string[];
  /** Where the test is defined, for messages about it. */
  source: string;
  /** The same as data: its tests file (as shown to users) and the line its entry starts on. */
  file: string;
  line: number;
}

export interface Task {
  id: string;
  dir: string;
  title: string;
  statementPath: string;
  role: 'server' | 'client';
  program: string;
  build: { when: string; run: string[] }[];
  protocol: Protocol;
  limits: Limits;
  buildLimits: Limits;
  timeouts: { readyMs: number; replyMs: number; exitMs: number };
  /** Size of the programs' scratch folder (limits.disk_mb). */
  scratchMb: number;
  /** How the program prints its result, with {result} for the value; null when the task does not say. */
  resultLine: string | null;
  tests: TestSpec[];
  /** Set for a function task (kind: function). */
  function?: FunctionSpec;
}

export const DEFAULT_LIMITS: Limits = {
  cpuSeconds: 2,
  wallSeconds: 10,
  memoryMb: 256,
  processes: 16,
  fileSizeMb: 8,
  openFiles: 64,
  outputKb: 64,
};

/** The submission, its build and what its programs write, together. */
const DEFAULT_SCRATCH_MB = 64;

const DEFAULT_BUILD_LIMITS: Limits = {
  cpuSeconds: 30,
  wallSeconds: 60,
  memoryMb: 1024,
  processes: 64,
  fileSizeMb: 64,
  openFiles: 256,
  outputKb: 32,
};

function toLimits(y: z.infer<typeof taskSchema>['limits'], base: Limits): Limits {
  return {
    cpuSeconds: y.cpu_s ?? base.cpuSeconds,
    wallSeconds: y.wall_s ?? base.wallSeconds,
    memoryMb: y.memory_mb ?? base.memoryMb,
    processes: y.processes ?? base.processes,
    fileSizeMb: y.file_size_mb ?? base.fileSizeMb,
    openFiles: y.open_files ?? base.openFiles,
    outputKb: y.output_kb ?? base.outputKb,
  };
}

/** Folder names under tasks/ that hold a task.yaml. */
export function listTaskIds(tasksDir: string): string[] {
  if (!existsSync(tasksDir)) return [];
  return readdirSync(tasksDir)
    .filter((name) => existsSync(path.join(tasksDir, name, 'task.yaml')))
    .sort();
}

/** A task id (folder under tasksDir) or a path to a task folder. */
export function resolveTaskDir(task: string, tasksDir: string): string | null {
  const candidates = [path.resolve(task), path.join(tasksDir, task)];
  for (const dir of candidates) {
    if (existsSync(path.join(dir, 'task.yaml')) && statSync(dir).isDirectory()) return dir;
  }
  return null;
}

const HEX = /^[0-9a-fA-F\s]*$/;

function message(file: YamlFile, value: unknown, at: PropertyKey[], schema: z.ZodType): MessageSpec | null {
  if (value && typeof value === 'object' && 'raw' in value) {
    const raw = (value as { raw: unknown }).raw;
    const keys = Object.keys(value);
    if (keys.length !== 1) {
      file.problem(at, 'a raw message has only the key raw');
      return null;
    }
    if (typeof raw !== 'string' || !HEX.test(raw) || raw.replace(/\s+/g, '').length % 2 !== 0) {
      file.problem([...at, 'raw'], 'raw is a string of hex bytes, e.g. "50 00 00 00 01" ("" for an empty datagram)');
      return null;
    }
    return { raw: raw.replace(/\s+/g, '').toLowerCase() };
  }
  const structured = file.validate(schema, value, at);
  return structured === null ? null : { structured };
}

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

function loadTests(file: YamlFile, task: TaskYaml, protocol: Protocol, defaults: Visibility): TestSpec[] {
  const top = file.validate(testsFileSchema, file.data());
  if (!top) return [];
  const out: TestSpec[] = [];
  const ids: { id: string; at: PropertyKey[] }[] = [];
  top.tests.forEach((raw, ti) => {
    const at = ['tests', ti];
    const t = file.validate(testSchema, raw, at);
    // Steps and ids are checked even when the test itself is not valid: every problem at once.
    const rawTest = (raw ?? {}) as { id?: unknown; steps?: unknown };
    if (typeof rawTest.id === 'string') ids.push({ id: rawTest.id, at });
    const steps: StepSpec[] = [];
    (Array.isArray(rawTest.steps) ? rawTest.steps : []).forEach((rawStep: unknown, si: number) => {
      const sat = [...at, 'steps', si];
      const s = file.validate(stepSchema, rawStep, sat);
      if (!s) return;
      let step: StepSpec | null = null;
      if (s.send !== undefined) {
        const msg = message(file, s.send, [...sat, 'send'], protocol.requestSchema);
        const expect = s.expect === undefined ? undefined : file.validate(protocol.replyExpectSchema, s.expect, [...sat, 'expect']);
        if (msg && expect !== null) {
          if (expect !== undefined) {
            const req = 'raw' in msg ? protocol.requestFromRaw(Buffer.from(msg.raw, 'hex')).resolved : protocol.buildRequest(msg.structured, () => 1).resolved;
            const problem = protocol.expectationProblem(expect, req);
            if (problem) file.problem([...sat, 'expect'], problem);
          }
          step = { kind: 'send', socket: s.from ?? '', message: msg, expect, timeoutMs: s.timeout_ms };
        }
      } else if (s.receive !== undefined) {
        const expect = s.receive === null ? null : file.validate(protocol.requestExpectSchema, s.receive, [...sat, 'receive']);
        const answer = s.answer === undefined || s.answer === null ? null : message(file, s.answer, [...sat, 'answer'], protocol.responseSchema);
        if (expect !== null || s.receive === null) step = { kind: 'receive', expect, answer, timeoutMs: s.timeout_ms };
      } else {
        step = { kind: 'wait-exit', timeoutMs: s.timeout_ms };
      }
      if (step) for (let r = 0; r < s.repeat; r++) steps.push(step);
    });
    if (!t) return;
    const port = t.port ?? task.port;
    const after = (task.kind === 'function' ? readFunctionAfter(file, t.after, [...at, 'after']) : t.after === undefined ? (task.role === 'server' ? { running: true } : { exit: 0 }) : file.validate(afterSchema, t.after, [...at, 'after'])) as AfterSpec | null;
    if (!after) return;
    if (task.kind !== 'function') checkClientAfter(file, [...at, 'after'], task, after, steps);
    const fail = t.fail === undefined ? [] : readFaults(file, t.fail, [...at, 'fail']);
    if (!fail) return;
    const pos = file.position(at);
    out.push({
      id: t.id,
      name: t.name,
      weight: t.weight,
      tags: t.tags,
      visibility: t.visibility ?? defaults,
      argv: (t.args ?? task.run).map((a) => a.replaceAll('{port}', String(port))),
      port,
      occupy: t.occupy.map((p) => (p === 'port' ? port : p)),
      // With nothing to send, a function test or one that makes a call fail may end before it binds: no use waiting for the port.
      ready: t.ready ?? (task.role === 'server' && t.occupy.length === 0 && (steps.length > 0 || (task.kind !== 'function' && !fail.length)) ? 'port' : 'none'),
      steps,
      after,
      ...(fail.length ? { fail } : {}),
      ...(t.control !== undefined ? { control: typeof t.control === 'string' ? [t.control] : t.control } : {}),
      source: `${file.shownPath}:${pos.line}`,
      file: file.shownPath,
      line: pos.line,
    });
  });
  const firstAt = new Map<string, number>();
  for (const { id, at } of ids) {
    const line = file.position(at, 'id').line;
    const first = firstAt.get(id);
    if (first === undefined) firstAt.set(id, line);
    else file.problem(at, `duplicate test id '${id}' (first defined at line ${first}); test ids must be unique`, 'id');
  }
  return out;
}

export function loadTask(dir: string): Task {
  const problems: Problem[] = [];
  const taskFile = YamlFile.read(path.join(dir, 'task.yaml'));
  const y = taskFile.ok ? taskFile.validate(taskSchema, taskFile.data()) : null;
  let protocol: Protocol | undefined;
  let tests: TestSpec[] = [];
  let fn: FunctionSpec | null = null;
  if (y) {
    fn = readFunctionTask(taskFile, y, dir);
    protocol = protocolNamed(y.protocol);
    if (!protocol) taskFile.problem(['protocol'], `unknown protocol '${y.protocol}'; known: ${protocolNames().join(', ')}`);
    if (!existsSync(path.join(dir, y.statement))) taskFile.problem(['statement'], `statement file '${y.statement}' not found in the task folder`);
    for (const [i, rule] of y.build.entries()) {
      if (!rule.run.length) taskFile.problem(['build', i, 'run'], 'empty build command');
    }
    const files = typeof y.tests === 'string' ? [y.tests] : y.tests;
    for (const [i, name] of files.entries()) {
      const testPath = path.join(dir, name);
      if (!existsSync(testPath)) {
        taskFile.problem(typeof y.tests === 'string' ? ['tests'] : ['tests', i], `tests file '${name}' not found in the task folder`);
        continue;
      }
      if (!protocol) continue;
      const tf = YamlFile.read(testPath);
      if (tf.ok) tests = tests.concat(loadTests(tf, y, protocol, y.visibility));
      problems.push(...tf.problems);
    }
    // Within a file, loadTests reports duplicates; here, ids repeated across test files.
    const seen = new Map<string, string>();
    for (const t of tests) {
      const first = seen.get(t.id);
      const [file, line] = t.source.split(/:(?=\d+$)/);
      if (first && !first.startsWith(`${file}:`)) {
        problems.push({ file: file!, line: Number(line), col: 1, message: `duplicate test id '${t.id}' (first defined at ${first}); test ids must be unique` });
      } else if (!first) seen.set(t.id, t.source);
    }
  }
  problems.push(...controlProblems(tests));
  problems.unshift(...taskFile.problems);
  if (problems.length || !y || !protocol) throw new TaskError(problems);
  return {
    id: path.basename(dir),
    dir,
    title: y.title,
    statementPath: path.join(dir, y.statement),
    role: y.role,
    program: y.program,
    build: fn ? [functionBuildRule(fn, y.program)] : y.build,
    protocol,
    limits: toLimits(y.limits, DEFAULT_LIMITS),
    buildLimits: toLimits(y.build_limits, DEFAULT_BUILD_LIMITS),
    timeouts: { readyMs: y.timeouts.ready_ms, replyMs: y.timeouts.reply_ms, exitMs: y.timeouts.exit_ms },
    scratchMb: y.limits.disk_mb ?? DEFAULT_SCRATCH_MB,
    resultLine: y.result_line ?? null,
    tests,
    ...(fn ? { function: fn } : {}),
  };
}
