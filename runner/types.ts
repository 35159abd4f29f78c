// The runner's contract with the grader: a JobPlan goes in (plain data, JSON
// serialisable, already resolved from YAML), observations come out. Nothing
// here knows about expectations, verdicts or scores.

export interface Limits {
  cpuSeconds: number;
  wallSeconds: number;
  memoryMb: number;
  processes: number;
  fileSizeMb: number;
  openFiles: number;
  /** How much of stdout and stderr (together) is kept for the report; the rest is read and dropped. */
  outputKb: number;
}

/**
 * Output (stdout and stderr together, per program run) past which the runner
 * stops the program as 'output-limit': far above any debug output, it is what
 * a print in an endless loop reaches within a fraction of a second.
 */
export const OUTPUT_STOP_MIB = 4;
export const OUTPUT_STOP_BYTES = OUTPUT_STOP_MIB * 1024 * 1024;

/** A test event's process observation on the job's output when it is the one of the test event before (runner/job/main.ts, JobLine). */
export const SAME_PROCESS = 'as-before';

/**
 * Where student code runs: 'bwrap' (sockgrade's own sandbox), 'inginious'
 * (INGInious's student containers, through run_student), 'user' (same
 * machine, no namespaces: a separate unprivileged user with limits), 'none'.
 */
export type SandboxKind = 'bwrap' | 'inginious' | 'user' | 'none';

/** A call the faults shim (runner/harness/faults.c) makes fail, without making it. */
export interface FaultPlan {
  /** libc functions; a call to any of them counts (e.g. send, sendto, write). */
  calls: string[];
  /** errno number the failing call sets. */
  errno: number;
  /** Only the nth matching call fails (1 = the first); 0: every one. */
  nth: number;
}

/** A command to run in the sandbox, in the submission's scratch folder. */
export interface CommandPlan {
  argv: string[];
  limits: Limits;
  env?: Record<string, string>;
  /** Shared libraries preloaded into the program (fault injection), host paths. */
  preload?: string[];
  /** Extra host files made visible read-only inside the sandbox at the same path. */
  readOnlyFiles?: string[];
  /** Run the job's harness (JobPlan.harness) with argv as its arguments (function tasks). */
  viaHarness?: boolean;
  /** Preload the faults shim: record the program's socket calls and make these fail. */
  calls?: { fail: FaultPlan[] };
}

export type StepPlan =
  | {
      kind: 'send';
      /** Name of the peer socket to send from; each name is one source port. */
      socket: string;
      /** The datagram, hex encoded ("" for an empty datagram). */
      datagram: string;
      /** 'reply': wait for one datagram back on that socket; 'none': go on at once. */
      await: 'reply' | 'none';
      timeoutMs: number;
      /**
       * The reply a correct program sends, hex, when the protocol fixes one (a
       * test served by a shared start compares it); with `await: 'none'` (an
       * optional answer), the one a correct program may send instead of none.
       */
      reference?: string;
    }
  | {
      kind: 'receive';
      /** Wait for the program to send a datagram to the peer's listening socket. */
      timeoutMs: number;
      /** Datagram (hex) to answer with, to the sender's address; null: stay silent. */
      reply: string | null;
    }
  | {
      kind: 'wait-exit';
      timeoutMs: number;
    };

export interface TestPlan {
  id: string;
  /** Port the program is told to use (bind for servers, send to for clients). */
  port: number;
  /** Ports the peer binds (on ::) before the program starts, to make them taken. */
  occupy: number[];
  /** The peer listens on [::1]:port before the program starts (client tasks). */
  listen: boolean;
  program: CommandPlan;
  /** 'port': wait until the program has bound `port`; 'none': go on at once. */
  ready: 'port' | 'none';
  readyTimeoutMs: number;
  steps: StepPlan[];
  /** After the steps: stop the program ('kill') or let it finish ('exit'). */
  end: 'kill' | 'exit';
  exitTimeoutMs: number;
  /** The program must send nothing: stop waiting for its exit once it sends to the listener. */
  stopOnDatagram?: boolean;
  /**
   * A correct program waits out a time-out of its own here (its request gets
   * no answer, and it may repeat it): the test lasts that long, idle, so a
   * grade may run it beside the others (runner/job/lanes.ts).
   */
  waitsOut?: boolean;
  /**
   * The test is one request/answer exchange after another that a server
   * started for another test may serve (runner/job/shared-start.ts): tests
   * with this flag and the same program, port and readiness share one start
   * while every answer equals its step's `reference`.
   */
  shareStart?: boolean;
}

export interface JobPlan {
  sandbox: SandboxKind;
  /** Host path of the scratch folder holding the submission; becomes the program's cwd. */
  workDir: string;
  build: CommandPlan | null;
  tests: TestPlan[];
  /** Size of the tmpfs the scratch folder is moved onto inside the job (sandboxed jobs). */
  scratchMb?: number;
  /** Host path of a function task's harness source: the runner compiles it on the host, trusted. */
  harness?: string;
  /** Host folder the job copies the scratch folder into after a build that succeeded (a batch reuses it: runner/job/build-cache.ts). */
  keepBuildIn?: string;
}

/** What the trusted code in a program (harness, shim) reported; see runner/harness/channel.ts. */
export interface ReportObservation {
  /** Lines that carried the run's nonce, without it. */
  lines: string[];
  /** Lines without the nonce: written by the student's code. */
  rejected: number;
  /** More was written than the runner keeps. */
  truncated: boolean;
}

/** What happened to one program run, isolate-style. */
export interface ProcessObservation {
  /** Exit status, when the program exited by itself. */
  exitCode: number | null;
  /** Signal name (SIGSEGV, ...) when a signal ended it, ours or not. */
  signal: string | null;
  /** Why the runner stopped it, if it did. */
  stoppedBy: null | 'end-of-test' | 'wall-time' | 'output-limit';
  /** The program could not be started at all (not found, not executable). */
  execError: string | null;
  stdout: string;
  stderr: string;
  /** More was written than the report keeps (output_kb): stdout/stderr hold its start and end. */
  outputTruncated: boolean;
  wallMs: number;
  /** CPU time of the whole run; for a program the runner stopped, as last sampled before the kill. */
  cpuMs: number | null;
  /**
   * Time its processes spent runnable (on a CPU or queued for one) until the
   * runner stopped it, as sampled then; null when it ended by itself. Unlike
   * cpuMs, it does not depend on the machine's load (on a kernel without
   * /proc/PID/schedstat it is the CPU time, and does).
   */
  runnableMs: number | null;
  maxRssKb: number | null;
  /** Processes seen in the sandbox at the end; >= the limit means it hit the limit. */
  peakProcesses: number;
  /** The launcher ran inside the sandbox: whatever failed after that is the program's doing. */
  launched: boolean;
  /** Some process of the sandbox was still alive after the runner's cleanup. */
  leftover: boolean;
  /** Milliseconds since test start at which the program exited, if it did before cleanup. */
  exitedAtMs: number | null;
  /** Present when the program had a report channel (viaHarness or calls). */
  report?: ReportObservation;
  /** The inginious backend: run_student's own return code (251-254) when sg-remote could not report. */
  platformCode?: number;
}

export interface Datagram {
  hex: string;
  atMs: number;
  fromPort?: number;
}

/**
 * A datagram that reached a peer socket from another address or port than the
 * one that socket's request went to: a socket connect()-ed to the program (as
 * the course's client is) would never receive it, so it is no answer.
 */
export interface StrayDatagram {
  hex: string;
  atMs: number;
  fromAddress: string;
  fromPort: number;
  /** The peer socket's own port (where the request came from). */
  toPort: number;
  /** The port the request was sent to, the only one an answer may come from. */
  expectedPort: number;
}

/** One datagram between the peer and the program, as it crossed ::1 (both directions, for traces). */
export interface Packet {
  /** Milliseconds since the test started (TestObservation.startedAt). */
  atMs: number;
  /** 'in': the program sent it to the peer; 'out': the peer sent it to the program. */
  direction: 'in' | 'out';
  srcPort: number;
  dstPort: number;
  hex: string;
}

export type StepObservation =
  | {
      kind: 'send';
      /** 'not-run': the program was gone before this step. */
      outcome: 'replied' | 'no-reply' | 'program-exited' | 'sent' | 'not-run';
      replies: Datagram[];
      /** Datagrams that came back to this step's socket from elsewhere than where the request went (no answer). */
      strays?: StrayDatagram[];
      /** CPU time the program used while the runner waited (tells busy from idle); null when the answer came within the first few ms (not measured). */
      cpuMsWhileWaiting: number | null;
      /** Time the program was runnable while the runner waited (CPU time plus time queued for a CPU); null as cpuMsWhileWaiting. */
      runnableMsWhileWaiting: number | null;
      waitedMs: number;
    }
  | {
      kind: 'receive';
      outcome: 'received' | 'nothing' | 'program-exited' | 'not-run';
      datagram: Datagram | null;
      waitedMs: number;
    }
  | {
      kind: 'wait-exit';
      outcome: 'exited' | 'still-running' | 'not-run';
      waitedMs: number;
    };

export interface TestObservation {
  id: string;
  /** 'ipv4-only': the port was bound, but by an AF_INET socket only. */
  ready: 'ready' | 'ipv4-only' | 'not-ready' | 'exited' | 'not-required';
  readyMs: number;
  steps: StepObservation[];
  /** Index of the step during which the program exited, if it did. */
  exitedDuringStep: number | null;
  /** Was the program still running when the steps were over? */
  aliveAfterSteps: boolean;
  /** Datagrams the program sent to the listening socket that no step consumed. */
  unclaimedDatagrams: Datagram[];
  process: ProcessObservation;
  durationMs: number;
  /** Wall clock (ms since the epoch) when the test started: atMs values count from it. */
  startedAt?: number;
  /** Every datagram the peer sent to the program or received from it, in order. */
  traffic?: Packet[];
  /** Set when the runner itself failed on this test (never the student's fault). */
  internalError: string | null;
}

export interface BuildObservation {
  ok: boolean;
  process: ProcessObservation;
  durationMs: number;
}

export type JobEvent =
  | { type: 'ready'; setupMs: number }
  /** `kept`: the scratch folder was copied into the plan's keepBuildIn. */
  | { type: 'build'; build: BuildObservation; kept?: boolean }
  | { type: 'test'; test: TestObservation }
  | { type: 'done' }
  | { type: 'fatal'; message: string };
