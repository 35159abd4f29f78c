// Same verdicts on a loaded machine: the fixtures whose verdict turns on
// "busy or waiting" (a program that spins, one that blocks) are graded while
// CPU hogs compete for every core, and must get the results their
// expect.yaml declares, as they do on a quiet machine (fixtures.test.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixtureExpect } from '../grader/fixtures.js';
import { deadline, waitUntil } from '../runner/wait.js';
import { FIXTURES, grade, summary } from './helpers.js';

/** Fixture, and the tests graded (all when omitted): spinners and blockers, servers, clients, functions. */
const LOAD_SENSITIVE: { task: string; fixture: string; submission: string; tests?: string[]; /** Negative tests failed for their control (none of its controls passes), not for the fixture's own result. */ controlFails?: string[] }[] = [
  { task: 'sockets-sending-strings', fixture: 'retries-forever', submission: 'submission.c' },
  { task: 'calculator-client', fixture: 'busy-wait', submission: 'submission', tests: ['sum-int', 'no-answer'] },
  { task: 'calculator-server', fixture: 'endless-loop', submission: 'submission', tests: ['sum-int', 'malformed-empty', 'port-taken'], controlFails: ['port-taken'] },
  { task: 'calculator-client', fixture: 'hangs-without-answer', submission: 'submission', tests: ['sum-int', 'no-answer'] },
  { task: 'calculator-server', fixture: 'ignores-bind-failure', submission: 'submission', tests: ['sum-int', 'port-taken'] },
  // Reach a limit only if given the CPU time they need within a wait (runner/program-time.ts).
  { task: 'calculator-server', fixture: 'memory-hog', submission: 'submission', tests: ['sum-int', 'unknown-opcodes', 'port-taken'], controlFails: ['port-taken'] },
  { task: 'calculator-client', fixture: 'output-flood', submission: 'submission', tests: ['sum-int', 'error-answer', 'error-answer-payload'] },
  // Gives up after its own 2 s against a wait of 2 s: ends within the wait or just after it.
  { task: 'calculator-client', fixture: 'hard-coded-port', submission: 'submission', tests: ['sum-int', 'other-port'] },
];

/** Milliseconds a process has spent on a CPU, and waiting in a run queue for one (/proc/PID/schedstat). */
function scheduledMs(pid: number): { onCpu: number; queued: number } {
  try {
    const [onCpu = 0, queued = 0] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number);
    return { onCpu: onCpu / 1e6, queued: queued / 1e6 };
  } catch {
    return { onCpu: 0, queued: 0 };
  }
}

/** Time all the hogs have spent waiting for a CPU so far. */
function hogsQueuedMs(): number {
  return hogs.reduce((sum, h) => sum + scheduledMs(h.pid!).queued, 0);
}

// Twice as many busy loops as cores: every core is contended, as on a batch
// machine grading with other work running.
const HOG_COUNT = Math.min(16, 2 * availableParallelism());
const hogs: ChildProcess[] = [];

beforeAll(async () => {
  for (let i = 0; i < HOG_COUNT; i++) hogs.push(spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
  const running = await waitUntil(() => hogs.every((h) => h.pid !== undefined && scheduledMs(h.pid).onCpu > 0), deadline(10_000));
  expect(running, 'the CPU hogs did not start').toBe(true);
});

afterAll(() => {
  // Only the processes this file started, by their pid.
  for (const h of hogs) if (h.pid !== undefined && h.exitCode === null) process.kill(h.pid, 'SIGKILL');
});

describe(`verdicts with ${HOG_COUNT} CPU hogs running`, () => {
  for (const c of LOAD_SENSITIVE) {
    it(`${c.task}/${c.fixture}: the results its expect.yaml declares`, async () => {
      const dir = path.join(FIXTURES, c.task, c.fixture);
      const declared = loadFixtureExpect(path.join(dir, 'expect.yaml'));
      const queuedBefore = hogsQueuedMs();
      const started = performance.now();
      const report = await grade(c.task, path.join(dir, c.submission), c.tests);
      const wallMs = performance.now() - started;
      const queuedMs = hogsQueuedMs() - queuedBefore;

      // Each of these fixtures fails its tests one way only: its declared result; a negative test
      // whose control failed is a plain failure (grader/verdict/controls.ts), whatever the load.
      const want = Object.fromEntries(report.tests.map((t) => [t.id, declared.fails?.includes(t.id) ? (c.controlFails?.includes(t.id) ? 'failed' : declared.result) : 'success']));
      const got = Object.fromEntries(report.tests.map((t) => [t.id, t.result]));
      expect(got, summary(report)).toEqual(want);
      expect(report.result).toBe(Object.values(want).every((r) => r === 'success') ? 'success' : declared.result);
      // And the same feedback: the words a quiet machine gives (busy-wait: one for however it was stopped).
      const failing = report.tests.filter((t) => t.result !== 'success');
      for (const text of [declared.feedback_contains ?? []].flat()) for (const t of failing) expect(t.feedback, t.id).toContain(text);
      if (c.fixture === 'busy-wait') for (const t of failing) expect(t.feedback, t.id).toBe('the client kept the CPU busy until it was stopped: an endless loop?');
      // The load was real: all along, some hog was waiting for a CPU (every core was taken).
      expect(queuedMs).toBeGreaterThan(wallMs);
    });
  }
});
