// Grading one submission, in one direction: prepare the submission, plan the
// job, let the runner build and run it, decide each test's verdict, score,
// and assemble the report. This module never spawns: the runner does.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runJob } from '../runner/job/run-job.js';
import { prepareSubmission } from '../runner/submission.js';
import type { BuildObservation, JobEvent, SandboxKind, TestObservation } from '../runner/types.js';
import { jobDeadlineMs, planJob } from './plan.js';
import { REPORT_SCHEMA, type Report, type TestReport } from './report/model.js';
import { computeScore, overallResult } from './score.js';
import type { Task } from './task/load.js';
import { decideVerdict, missingVerdict, type TestVerdict } from './verdict.js';

export interface GradeOptions {
  seed: number;
  sandbox: SandboxKind;
  /** Grade only these tests (by id). */
  testIds?: string[];
  /** Called as each test's verdict is known (progress output). */
  onTest?: (test: TestReport) => void;
}

const BUILD_OUTPUT_CAP = 8000;

function buildOutput(b: BuildObservation): string {
  const p = b.process;
  let out = `${p.stdout}${p.stderr}`.trim();
  if (out.length > BUILD_OUTPUT_CAP) out = `${out.slice(0, BUILD_OUTPUT_CAP)}\n[... output cut at ${BUILD_OUTPUT_CAP} characters]`;
  if (!b.ok) {
    const why =
      p.execError ? `the build command could not start: ${p.execError}` :
      p.stoppedBy === 'wall-time' ? 'the build took too long and was stopped' :
      p.signal ? `the build was killed by ${p.signal}` : `the build failed with status ${p.exitCode}`;
    out = out ? `${out}\n${why}` : why;
  }
  return out;
}

function testReport(task: Task, id: string, verdict: TestVerdict, durationMs: number): TestReport {
  const test = task.tests.find((t) => t.id === id)!;
  return {
    id,
    name: test.name,
    tags: test.tags,
    weight: test.weight,
    passed: verdict.result === 'success',
    result: verdict.result,
    feedback: verdict.feedback,
    ...(verdict.details ? { details: verdict.details } : {}),
    visibility: test.visibility,
    duration_ms: Math.round(durationMs),
  };
}

export async function gradeSubmission(task: Task, submission: string, opts: GradeOptions): Promise<Report> {
  const started = performance.now();
  const scratch = await prepareSubmission(submission, task.program);
  try {
    const planned = planJob(task, scratch.workDir, opts);
    const base = {
      schema: REPORT_SCHEMA,
      task: task.id,
      submission,
      seed: opts.seed,
      sandbox: opts.sandbox,
    } as const;

    if (!planned.buildRule && !existsSync(path.join(scratch.workDir, task.program))) {
      const wanted = [...task.build.map((b) => b.when), task.program].join(', ');
      return {
        ...base,
        result: 'failed',
        score: 0,
        build: { ok: false, output: `nothing to build or run: the submission has none of ${wanted}` },
        tests: [],
        not_run: planned.plan.tests.map((p) => task.tests.find((t) => t.id === p.id)!).map((t) => ({ id: t.id, name: t.name, tags: t.tags, weight: t.weight, visibility: t.visibility })),
        duration_ms: Math.round(performance.now() - started),
        timing: { setup_ms: 0, build_ms: 0, tests_ms: 0 },
      };
    }

    const tests: TestReport[] = [];
    const observed = new Map<string, TestObservation>();
    const onEvent = (e: JobEvent) => {
      if (e.type !== 'test') return;
      observed.set(e.test.id, e.test);
      const spec = task.tests.find((t) => t.id === e.test.id)!;
      const verdict = decideVerdict(task, spec, e.test, planned.contexts.get(spec.id) ?? []);
      const report = testReport(task, spec.id, verdict, e.test.durationMs);
      const p = e.test.process;
      report.usage = { cpu_ms: p.cpuMs, wall_ms: Math.round(p.wallMs), max_rss_kb: p.maxRssKb };
      tests.push(report);
      opts.onTest?.(report);
    };
    const events = await runJob(planned.plan, { deadlineMs: jobDeadlineMs(task, planned.plan), onEvent });

    const ready = events.find((e) => e.type === 'ready');
    const buildEvent = events.find((e) => e.type === 'build');
    const fatal = events.find((e) => e.type === 'fatal');
    const build = buildEvent?.type === 'build' ? buildEvent.build : null;
    const buildOk = build ? build.ok : true;

    if (buildOk) {
      // Tests the job never reported (it died or was stopped): the grader's fault, never the student's.
      for (const t of planned.plan.tests) {
        if (!observed.has(t.id)) {
          const reason = fatal?.type === 'fatal' ? fatal.message : 'the grading job ended early';
          tests.push(testReport(task, t.id, missingVerdict(reason), 0));
        }
      }
    }
    const order = new Map(planned.plan.tests.map((t, i) => [t.id, i]));
    tests.sort((a, b) => order.get(a.id)! - order.get(b.id)!);

    const setupMs = ready?.type === 'ready' ? ready.setupMs : 0;
    const buildMs = build?.durationMs ?? 0;
    const testsMs = [...observed.values()].reduce((sum, t) => sum + t.durationMs, 0);
    const result = overallResult(tests, buildOk);
    const notRun = buildOk ? [] : planned.plan.tests.map((t) => task.tests.find((s) => s.id === t.id)!);
    return {
      ...base,
      result,
      score: buildOk ? computeScore(tests) : 0,
      build: {
        ok: buildOk,
        output: build ? buildOutput(build) : '',
        ...(planned.buildRule ? { command: planned.buildRule.run.join(' ') } : {}),
      },
      tests,
      duration_ms: Math.round(performance.now() - started),
      timing: { setup_ms: setupMs, build_ms: buildMs, tests_ms: Math.round(testsMs) },
      ...(notRun.length ? { not_run: notRun.map((t) => ({ id: t.id, name: t.name, tags: t.tags, weight: t.weight, visibility: t.visibility })) } : {}),
      ...(result === 'error' && fatal?.type === 'fatal' ? { error: fatal.message } : {}),
    };
  } finally {
    scratch.cleanup();
  }
}
