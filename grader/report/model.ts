// The report, as the contract (docs/contract.md) fixes it. Every
// output format is made from this one structure.
import type { TestResult } from '../verdict/primitives.js';
import type { Visibility } from '../model/task.js';
import type { SandboxKind } from '../../runner/types.js';

export const REPORT_SCHEMA = 'sockgrade.report/v1';

export interface TestReport {
  id: string;
  name: string;
  tags: string[];
  weight: number;
  passed: boolean;
  result: TestResult;
  feedback: string;
  /** Inputs, expected and actual bytes: present for visible tests only. */
  details?: string;
  visibility: Visibility;
  duration_ms: number;
  /** What the program used in this test, against the task's limits (sockgrade check's margins). */
  usage?: TestUsage;
  /** The pcapng file of the datagrams exchanged in this test (grade --trace, batch); visible tests only. */
  trace?: string;
  /** Where the test is defined: its tests file (as shown to the user) and line. */
  file?: string;
  line?: number;
}

/** One diagnosed mistake that explains several failed tests (grader/report/causes.ts). */
export interface Cause {
  /** Stable: a CauseId (grader/protocols/protocol.ts), listed in docs/controls.md. */
  id: string;
  message: string;
  /** The failed tests it explains, in report order. */
  tests: string[];
}

export interface TestUsage {
  cpu_ms: number | null;
  wall_ms: number;
  max_rss_kb: number | null;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  task: string;
  submission: string;
  result: TestResult;
  score: number;
  build: { ok: boolean; output: string; command?: string };
  tests: TestReport[];
  /** Mistakes that explain two failed tests or more, each said once; every test keeps its own feedback. */
  causes?: Cause[];
  duration_ms: number;
  seed: number;
  /** Where the student's programs ran: bwrap, inginious (run_student), user (separate user, no namespaces), none. */
  sandbox: SandboxKind;
  /** Where the time went: sandbox setup, build, tests (ms). */
  timing: { setup_ms: number; build_ms: number; tests_ms: number };
  /** When the build failed: the tests that therefore never ran (Gradescope lists each as failed). */
  not_run?: Pick<TestReport, 'id' | 'name' | 'tags' | 'weight' | 'visibility'>[];
  /** Set when result is "error": what failed in the grader or the task. */
  error?: string;
}
