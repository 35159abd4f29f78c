// From a validated task to the runner's JobPlan: resolve random integers with
// the seed, encode every message into bytes through the protocol's codec,
// pick the build rule, and remember what each step asked, for the checks.
// What differs between kinds of task (a harness, injected failures) the
// task's kind says (grader/kinds/).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { seededRandom } from './protocols/random.js';
import type { CommandPlan, JobPlan, SandboxKind, StepPlan, TestPlan } from '../runner/types.js';
import { kindOf } from './kinds/index.js';
import type { StepContext } from './model/step-context.js';
import type { BuildRule, MessageSpec, StepSpec, Task, TestSpec } from './model/task.js';

export interface PlannedJob {
  plan: JobPlan;
  /** Per test id, per step: what was asked. */
  contexts: Map<string, StepContext[]>;
  buildRule: BuildRule | null;
}

function datagramOf(task: Task, msg: MessageSpec, random: () => number, role: 'request' | 'response'): { hex: string; ctx: StepContext } {
  if ('raw' in msg) {
    const bytes = Buffer.from(msg.raw, 'hex');
    const read = task.protocol.requestFromRaw(bytes);
    return { hex: msg.raw, ctx: { request: read.resolved, describe: read.describe } };
  }
  if (role === 'response') {
    return { hex: task.protocol.buildResponse(msg.structured).toString('hex'), ctx: { describe: 'answer' } };
  }
  const built = task.protocol.buildRequest(msg.structured, random);
  return { hex: built.datagram.toString('hex'), ctx: { request: built.resolved, describe: built.describe } };
}

/** One generator per test, seeded by the run's seed and the test id: adding a test never changes the integers another test draws. */
function testRandom(seed: number, testId: string): () => number {
  let h = seed >>> 0;
  for (const c of testId) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return seededRandom(h);
}

/** One step as the runner does it, and what it asked (pushed on `contexts`). */
function planStep(task: Task, s: StepSpec, i: number, random: () => number, contexts: StepContext[]): StepPlan {
  if (s.kind === 'send') {
    const { hex, ctx } = datagramOf(task, s.message, random, 'request');
    contexts.push(ctx);
    const optional = s.expect === undefined || s.expect === 'silence' || (s.expect as { optional?: boolean }).optional === true;
    // An optional answer's reference is the answer a correct program may send instead of none.
    const answer = optional && typeof s.expect === 'object' ? { ...s.expect, optional: false } : s.expect;
    const reference = answer === undefined || answer === 'silence' ? null : (task.protocol.referenceReply?.(answer, ctx.request) ?? null);
    return {
      kind: 'send',
      socket: s.socket || `step-${i}`,
      datagram: hex,
      await: optional ? 'none' : 'reply',
      timeoutMs: s.timeoutMs ?? task.timeouts.replyMs,
      ...(reference ? { reference: reference.toString('hex') } : {}),
    };
  }
  if (s.kind === 'receive') {
    const answer = s.answer ? datagramOf(task, s.answer, random, 'response').hex : null;
    contexts.push({ describe: 'the program\'s request', ...(answer !== null ? { answer } : {}) });
    return { kind: 'receive', timeoutMs: s.timeoutMs ?? task.timeouts.exitMs, reply: answer };
  }
  contexts.push({ describe: 'waiting for the program to exit' });
  return { kind: 'wait-exit', timeoutMs: s.timeoutMs ?? task.timeouts.exitMs };
}

function planTest(task: Task, test: TestSpec, seed: number, sandbox: SandboxKind, shareStarts: boolean): { plan: TestPlan; contexts: StepContext[] } {
  const random = testRandom(seed, test.id);
  const contexts: StepContext[] = [];
  const steps: StepPlan[] = test.steps.map((s, i) => planStep(task, s, i, random, contexts));
  // run_student (inginious) forwards no preload: the shim is for the other backends.
  const program: CommandPlan = { argv: test.argv, limits: task.limits, ...kindOf(task).planProgram(task, test, sandbox !== 'inginious') };
  return {
    plan: {
      id: test.id,
      port: test.port,
      occupy: test.occupy,
      listen: task.role === 'client',
      program,
      ready: test.ready,
      readyTimeoutMs: task.timeouts.readyMs,
      steps,
      end: test.after.running ? 'kill' : 'exit',
      exitTimeoutMs: test.after.within_ms ?? task.timeouts.exitMs,
      ...(test.after.datagrams === 'none' ? { stopOnDatagram: true } : {}),
      ...(test.after.datagrams === 'retransmissions' && steps.some((s) => s.kind === 'receive' && s.reply === null) ? { waitsOut: true } : {}),
      ...(shareStarts && kindOf(task).mayShareStart(task, test, steps) ? { shareStart: true } : {}),
    },
    contexts,
  };
}

/** The first build rule whose file the submission has, or null (a ready executable). */
export function chooseBuild(task: Task, workDir: string): BuildRule | null {
  return task.build.find((rule) => existsSync(path.join(workDir, rule.when))) ?? null;
}

/** `shareStarts` (default true): mark the tests one server start may serve (TestPlan.shareStart). */
export function planJob(task: Task, workDir: string, opts: { seed: number; sandbox: SandboxKind; testIds?: string[]; shareStarts?: boolean }): PlannedJob {
  const kind = kindOf(task);
  const buildRule = chooseBuild(task, workDir);
  const build: CommandPlan | null = buildRule ? { argv: buildRule.run, limits: task.buildLimits, ...kind.buildFiles(task) } : null;
  const contexts = new Map<string, StepContext[]>();
  const tests = task.tests
    .filter((t) => !opts.testIds || opts.testIds.includes(t.id))
    .map((t) => {
      const planned = planTest(task, t, opts.seed, opts.sandbox, opts.shareStarts ?? true);
      contexts.set(t.id, planned.contexts);
      return planned.plan;
    });
  return { plan: { sandbox: opts.sandbox, workDir, build, tests, scratchMb: task.scratchMb, ...kind.planJob(task) }, contexts, buildRule };
}

/** Upper bound on how long a job may take, so a stuck job is stopped. */
export function jobDeadlineMs(task: Task, plan: JobPlan): number {
  // A test's waits stretch on a busy machine (runner/program-time.ts) until the
  // program's wall limit stops it: that limit, not the sum of the waits, bounds a test.
  const build = plan.build ? plan.build.limits.wallSeconds * 1000 : 0;
  return build + plan.tests.length * (task.limits.wallSeconds * 1000 + 3000) + 10_000;
}
