// Loads a task folder into a validated Task (grader/model/task.ts). Every
// problem in every file is collected and reported together, each with its
// file, line and column. What differs between kinds of task (their YAML part,
// their build rule, the defaults of a test's `after:` and `ready:`) the
// task's kind reads (grader/kinds/).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { Limits } from '../../runner/types.js';
import type { KindReader, TaskKind } from '../kinds/kind.js';
import { kindNamed } from '../kinds/index.js';
import { kindReaderNamed } from '../kinds/readers.js';
import { DEFAULT_LIMITS, type MessageSpec, type StepSpec, type Task, type TestSpec, type Visibility } from '../model/task.js';
import { protocolNamed, protocolNames } from '../protocols/registry.js';
import { controlProblems } from '../verdict/controls.js';
import type { Protocol, ProtocolSchemas } from '../protocols/protocol.js';
import { protocolSchemas } from '../protocols/schemas.js';
import { readFaults } from './faults.js';
import { stepSchema, taskSchema, testSchema, testsFileSchema, type TaskYaml } from './schema.js';
import { TaskError, YamlFile, type Problem } from './yaml-file.js';

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

// Finding tasks needs no YAML: it lives in find.ts (re-exported for the callers of load.ts).
export { listTaskIds, resolveTaskDir } from './find.js';

/** A protocol with the schemas its YAML messages are checked against (apart: grading needs no zod). */
type ReadingProtocol = Protocol & ProtocolSchemas;
/** A kind with what it reads from the YAML (likewise apart). */
type ReadingKind = TaskKind & KindReader;

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

/** A send step: the request, and the reply it expects (which must fit the request). */
function readSend(file: YamlFile, s: z.infer<typeof stepSchema>, sat: PropertyKey[], protocol: ReadingProtocol): StepSpec | null {
  const msg = message(file, s.send, [...sat, 'send'], protocol.requestSchema);
  const expect = s.expect === undefined ? undefined : file.validate(protocol.replyExpectSchema, s.expect, [...sat, 'expect']);
  if (!msg || expect === null) return null;
  if (expect !== undefined) {
    const req = 'raw' in msg ? protocol.requestFromRaw(Buffer.from(msg.raw, 'hex')).resolved : protocol.buildRequest(msg.structured, () => 1).resolved;
    const problem = protocol.expectationProblem(expect, req);
    if (problem) file.problem([...sat, 'expect'], problem);
  }
  return { kind: 'send', socket: s.from ?? '', message: msg, expect, timeoutMs: s.timeout_ms };
}

/** A test's steps, each repeated `repeat` times; an invalid step is left out (its problems recorded). */
function readSteps(file: YamlFile, rawSteps: unknown, at: PropertyKey[], protocol: ReadingProtocol): StepSpec[] {
  const steps: StepSpec[] = [];
  (Array.isArray(rawSteps) ? rawSteps : []).forEach((rawStep: unknown, si: number) => {
    const sat = [...at, 'steps', si];
    const s = file.validate(stepSchema, rawStep, sat);
    if (!s) return;
    let step: StepSpec | null = null;
    if (s.send !== undefined) {
      step = readSend(file, s, sat, protocol);
    } else if (s.receive !== undefined) {
      const expect = s.receive === null ? null : file.validate(protocol.requestExpectSchema, s.receive, [...sat, 'receive']);
      const answer = s.answer === undefined || s.answer === null ? null : message(file, s.answer, [...sat, 'answer'], protocol.responseSchema);
      if (expect !== null || s.receive === null) step = { kind: 'receive', expect, answer, timeoutMs: s.timeout_ms };
    } else {
      step = { kind: 'wait-exit', timeoutMs: s.timeout_ms };
    }
    if (step) for (let r = 0; r < s.repeat; r++) steps.push(step);
  });
  return steps;
}

/** What every test of a tests file is read against. */
interface TestsContext {
  file: YamlFile;
  task: TaskYaml;
  kind: ReadingKind;
  protocol: ReadingProtocol;
  defaults: Visibility;
}

/** One entry of a tests file; null when it is not valid (its problems recorded). */
function readTest(c: TestsContext, raw: unknown, at: PropertyKey[]): TestSpec | null {
  const { file, task, kind } = c;
  const t = file.validate(testSchema, raw, at);
  // Steps are checked even when the test itself is not valid: every problem at once.
  const steps = readSteps(file, (raw as { steps?: unknown } | null)?.steps, at, c.protocol);
  if (!t) return null;
  const port = t.port ?? task.port;
  const after = kind.readAfter(file, t.after, [...at, 'after'], task, steps);
  if (!after) return null;
  const fail = t.fail === undefined ? [] : readFaults(file, t.fail, [...at, 'fail']);
  if (!fail) return null;
  const pos = file.position(at);
  return {
    id: t.id,
    name: t.name,
    weight: t.weight,
    tags: t.tags,
    visibility: t.visibility ?? c.defaults,
    argv: (t.args ?? task.run).map((a) => a.replaceAll('{port}', String(port))),
    port,
    occupy: t.occupy.map((p) => (p === 'port' ? port : p)),
    ready: t.ready ?? (task.role === 'server' && t.occupy.length === 0 && kind.waitsForPort(steps, fail) ? 'port' : 'none'),
    steps,
    after,
    ...(fail.length ? { fail } : {}),
    ...(t.control !== undefined ? { control: typeof t.control === 'string' ? [t.control] : t.control } : {}),
    source: `${file.shownPath}:${pos.line}`,
    file: file.shownPath,
    line: pos.line,
  };
}

/** Test ids repeated within one tests file (ids are checked even in tests that are not valid). */
function checkUniqueIds(file: YamlFile, entries: unknown[]): void {
  const firstAt = new Map<string, number>();
  entries.forEach((raw, ti) => {
    const id = (raw as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return;
    const at = ['tests', ti];
    const line = file.position(at, 'id').line;
    const first = firstAt.get(id);
    if (first === undefined) firstAt.set(id, line);
    else file.problem(at, `duplicate test id '${id}' (first defined at line ${first}); test ids must be unique`, 'id');
  });
}

function loadTests(c: TestsContext): TestSpec[] {
  const top = c.file.validate(testsFileSchema, c.file.data());
  if (!top) return [];
  const out: TestSpec[] = [];
  top.tests.forEach((raw, ti) => {
    const test = readTest(c, raw, ['tests', ti]);
    if (test) out.push(test);
  });
  checkUniqueIds(c.file, top.tests);
  return out;
}

/** task.yaml's own checks: its statement and build commands. */
function checkTaskFile(taskFile: YamlFile, y: TaskYaml, dir: string): void {
  if (!existsSync(path.join(dir, y.statement))) taskFile.problem(['statement'], `statement file '${y.statement}' not found in the task folder`);
  for (const [i, rule] of y.build.entries()) {
    if (!rule.run.length) taskFile.problem(['build', i, 'run'], 'empty build command');
  }
}

/** Every tests file the task names, in order; problems of the files themselves go to `problems`. */
function readTestFiles(taskFile: YamlFile, y: TaskYaml, dir: string, kind: ReadingKind, protocol: Protocol | undefined, problems: Problem[]): TestSpec[] {
  let tests: TestSpec[] = [];
  const files = typeof y.tests === 'string' ? [y.tests] : y.tests;
  for (const [i, name] of files.entries()) {
    const testPath = path.join(dir, name);
    if (!existsSync(testPath)) {
      taskFile.problem(typeof y.tests === 'string' ? ['tests'] : ['tests', i], `tests file '${name}' not found in the task folder`);
      continue;
    }
    if (!protocol) continue;
    const file = YamlFile.read(testPath);
    const reading: ReadingProtocol = { ...protocol, ...protocolSchemas(protocol.name)! };
    if (file.ok) tests = tests.concat(loadTests({ file, task: y, kind, protocol: reading, defaults: y.visibility }));
    problems.push(...file.problems);
  }
  return tests;
}

/** Within a file, loadTests reports duplicates; here, ids repeated across test files. */
function duplicatesAcrossFiles(tests: TestSpec[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, string>();
  for (const t of tests) {
    const first = seen.get(t.id);
    const [file, line] = t.source.split(/:(?=\d+$)/);
    if (first && !first.startsWith(`${file}:`)) {
      problems.push({ file: file!, line: Number(line), col: 1, message: `duplicate test id '${t.id}' (first defined at ${first}); test ids must be unique` });
    } else if (!first) seen.set(t.id, t.source);
  }
  return problems;
}

export function loadTask(dir: string): Task {
  const problems: Problem[] = [];
  const taskFile = YamlFile.read(path.join(dir, 'task.yaml'));
  const y = taskFile.ok ? taskFile.validate(taskSchema, taskFile.data()) : null;
  let protocol: Protocol | undefined;
  let tests: TestSpec[] = [];
  let part: ReturnType<KindReader['readTask']> = null;
  if (y) {
    const kind: ReadingKind = { ...kindNamed(y.kind), ...kindReaderNamed(y.kind) };
    part = kind.readTask(taskFile, y, dir);
    protocol = protocolNamed(y.protocol);
    if (!protocol) taskFile.problem(['protocol'], `unknown protocol '${y.protocol}'; known: ${protocolNames().join(', ')}`);
    checkTaskFile(taskFile, y, dir);
    tests = readTestFiles(taskFile, y, dir, kind, protocol, problems);
    problems.push(...duplicatesAcrossFiles(tests));
    problems.push(...controlProblems(tests));
  }
  problems.unshift(...taskFile.problems);
  if (problems.length || !y || !protocol || !part) throw new TaskError(problems);
  return {
    id: path.basename(dir),
    dir,
    title: y.title,
    statementPath: path.join(dir, y.statement),
    role: y.role,
    program: y.program,
    build: part.build,
    protocol,
    limits: toLimits(y.limits, DEFAULT_LIMITS),
    buildLimits: toLimits(y.build_limits, DEFAULT_BUILD_LIMITS),
    timeouts: { readyMs: y.timeouts.ready_ms, replyMs: y.timeouts.reply_ms, exitMs: y.timeouts.exit_ms },
    scratchMb: y.limits.disk_mb ?? DEFAULT_SCRATCH_MB,
    resultLine: y.result_line ?? null,
    tests,
    ...(part.function ? { function: part.function } : {}),
  };
}
