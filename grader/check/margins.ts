// Are the limits fair? Kattis sets time limits from the slowest accepted
// submission times a margin; here the limits are given, so the check goes the
// other way: a correct fixture may use at most half of each limit, and must
// still get its outcome when the limits and reaction timeouts are halved.
import type { Limits } from '../../runner/types.js';
import type { Report } from '../report/model.js';
import type { Task } from '../model/task.js';
import { varyingTests } from './fixture-outcome.js';
import { check, type CheckOutcome } from './model.js';

// Halved: what a slower or busier grading machine takes away: CPU time, wall
// time, memory, and the time a program gets to react (ready_ms, reply_ms, a
// send step's timeout_ms). Kept: waits for the program's own next move (exit_ms,
// within_ms, receive and wait_exit steps), which may hold a timer the protocol
// sets (a calculator client waits 2 s for an answer before giving up: halving
// that wait tests the protocol, not the margin); and counts and caps a correct
// program's needs do not grow with (processes, open files, file size, output).
export function halveLimits(task: Task): Task {
  const l = task.limits;
  const half = (ms: number) => Math.max(1, Math.ceil(ms / 2));
  const limits: Limits = { ...l, cpuSeconds: l.cpuSeconds / 2, wallSeconds: l.wallSeconds / 2, memoryMb: Math.max(1, Math.floor(l.memoryMb / 2)) };
  return {
    ...task,
    limits,
    timeouts: { ...task.timeouts, readyMs: half(task.timeouts.readyMs), replyMs: half(task.timeouts.replyMs) },
    tests: task.tests.map((t) => ({
      ...t,
      steps: t.steps.map((s) => (s.kind === 'send' && s.timeoutMs !== undefined ? { ...s, timeoutMs: half(s.timeoutMs) } : s)),
    })),
  };
}

function describeHalved(task: Task): string {
  const h = halveLimits(task);
  // The sandbox sets CPU time in whole seconds (RLIMIT_CPU): below 1 s it cannot halve.
  const cpuNote = Math.ceil(h.limits.cpuSeconds) >= task.limits.cpuSeconds ? ' (cannot go lower: the sandbox counts CPU in whole seconds)' : '';
  return `CPU ${Math.max(1, Math.ceil(h.limits.cpuSeconds))} s${cpuNote}, wall ${h.limits.wallSeconds} s, memory ${h.limits.memoryMb} MiB; timeouts ready ${h.timeouts.readyMs} ms, reply ${h.timeouts.replyMs} ms (and each send step's timeout_ms); exit timeouts kept`;
}

interface Peak {
  value: number;
  test: string;
}

function peak(reports: Report[], pick: (u: NonNullable<Report['tests'][number]['usage']>) => number | null): Peak | null {
  let best: Peak | null = null;
  for (const r of reports) {
    for (const t of r.tests) {
      const v = t.usage ? pick(t.usage) : null;
      if (v !== null && (best === null || v > best.value)) best = { value: v, test: t.id };
    }
  }
  return best;
}

const pct = (used: number, limit: number) => `${Math.round((used / limit) * 100)}%`;

/**
 * `normal`: every run of a correct fixture that got its declared outcome;
 * `halved`: its grading against halveLimits(task), null when it could not be graded.
 */
export function marginCheck(task: Task, name: string, normal: Report[], halved: { report: Report | null; error: string | null; durationMs: number }): CheckOutcome {
  const label = `margins ${name}`;
  const l = task.limits;
  const ms = (v: number) => `${Math.round(v)} ms`;
  const mib = (kb: number) => `${(kb / 1024).toFixed(1)} MiB`;
  const measures: { what: string; peak: Peak | null; limit: number; show: (v: number) => string; limitShown: string }[] = [
    { what: 'CPU', peak: peak(normal, (u) => u.cpu_ms), limit: l.cpuSeconds * 1000, show: ms, limitShown: `${l.cpuSeconds} s` },
    { what: 'wall', peak: peak(normal, (u) => u.wall_ms), limit: l.wallSeconds * 1000, show: ms, limitShown: `${l.wallSeconds} s` },
    { what: 'memory', peak: peak(normal, (u) => u.max_rss_kb), limit: l.memoryMb * 1024, show: mib, limitShown: `${l.memoryMb} MiB` },
  ];
  // Each figure names the test that used the most: that is the one to look at.
  const figures = measures.map((m) =>
    m.peak ? `${m.what} ${m.show(m.peak.value)} of ${m.limitShown} (${pct(m.peak.value, m.limit)}, ${m.peak.test})` : `${m.what} not measured`,
  );
  const details: string[] = [];
  for (const m of measures) {
    if (m.peak && m.peak.value > m.limit / 2) {
      details.push(`${m.what}: test ${m.peak.test} used ${m.show(m.peak.value)}, more than half the ${m.limitShown} limit; raise the limit or make the test lighter`);
    }
  }
  if (!halved.report) {
    details.push(`with limits halved it could not be graded: ${halved.error}`);
  } else {
    const changed = varyingTests([normal[0]!, halved.report]);
    for (const [id, [before, after]] of changed) {
      const feedback = halved.report.tests.find((t) => t.id === id)?.feedback ?? '';
      details.push(`with limits halved, ${id}: ${before} -> ${after}${feedback ? `: ${feedback}` : ''}`);
    }
    if (changed.size) details.push(`halved: ${describeHalved(task)}; the task is too tight to be fair: raise these limits or timeouts`);
  }
  const summary = figures.join(', ');
  if (details.length) return check(label, 'fail', `${summary}; not enough margin`, details, halved.durationMs);
  return check(label, 'ok', `${summary}; same outcome with limits halved`, [], halved.durationMs);
}
