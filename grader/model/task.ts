// What a loaded task is, as plain types: the task, its tests, their steps and
// what each test expects at its end. The bottom of grader/: it imports nothing
// of grader but other model files (and, as a type only, the Protocol
// interface, itself a leaf), so any module may read a Task without pulling in
// how one is loaded (grader/task/load.ts) or graded.
import type { FaultPlan, Limits } from '../../runner/types.js';
import type { Protocol } from '../protocols/protocol.js';

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
  /** Negative tests: the positive tests, one of which must pass for this one to count (grader/verdict/controls.ts). */
  control?: string[];
  /** Where the test is defined, for messages about it. */
  source: string;
  /** The same as data: its tests file (as shown to users) and the line its entry starts on. */
  file: string;
  line: number;
}

/** A build rule: when the submission has the file `when`, run `run`. */
export interface BuildRule {
  when: string;
  run: string[];
}

/** The C function a function task's student defines, and the task's files around it (absolute paths). */
export interface FunctionSpec {
  name: string;
  preludePath: string;
  harnessPath: string;
}

export interface Task {
  id: string;
  dir: string;
  title: string;
  statementPath: string;
  role: 'server' | 'client';
  program: string;
  build: BuildRule[];
  protocol: Protocol;
  limits: Limits;
  buildLimits: Limits;
  timeouts: { readyMs: number; replyMs: number; exitMs: number };
  /** Size of the programs' scratch folder (limits.disk_mb). */
  scratchMb: number;
  /** How the program prints its result, with {result} for the value; null when the task does not say. */
  resultLine: string | null;
  tests: TestSpec[];
  /** Set for a function task (kind: function); grader/kinds/index.ts reads it. */
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
