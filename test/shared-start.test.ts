// One server start serving several request/answer tests
// (runner/job/shared-start.ts): the reference answers it compares are ones
// the grader accepts, it groups only what may share a start, and a grade with
// shared starts gives every fixture here the verdicts, feedback and causes of
// a grade where every test has a start of its own: a correct server in C and
// in Python, servers that crash, exit or answer wrong from the first request,
// and one whose answers go wrong after its third request.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradeSubmission } from '../grader/grade.js';
import { planJob } from '../grader/plan.js';
import type { Report } from '../grader/report/model.js';
import { startUnits } from '../runner/job/shared-start.js';
import { copyFixture, fixture, task, tempDir } from './helpers.js';

const TASKS = ['calculator-server', 'calculator-client', 'sockets-creating-a-socket', 'sockets-sending-strings', 'sockets-client-application', 'sockets-server-application', 'sockets-creating-a-listening-socket'];

function plan(id: string, shareStarts = true) {
  return planJob(task(id), '/nonexistent', { seed: 1, sandbox: 'bwrap', shareStarts });
}

/** The ephemeral port a server answered from (a stray answer's feedback names it): another each run. */
const anyPort = (text: string | undefined) => text?.replace(/(port |\]:)\d{5}/g, '$1PORT');

/** What a user reads of each test; timings and the usage of each run left out. */
function verdicts(r: Report) {
  return {
    result: r.result,
    score: r.score,
    build: r.build.ok,
    tests: r.tests.map((t) => ({ id: t.id, result: t.result, feedback: anyPort(t.feedback), details: anyPort(t.details) })),
    causes: r.causes,
  };
}

describe('a shared server start', () => {
  it('compares answers the grader accepts: each reference passes its own step', () => {
    let references = 0;
    for (const id of TASKS) {
      const t = task(id);
      const planned = plan(id);
      for (const p of planned.plan.tests) {
        const spec = t.tests.find((s) => s.id === p.id)!;
        p.steps.forEach((step, i) => {
          const specStep = spec.steps[i]!;
          if (step.kind !== 'send' || step.reference === undefined || specStep.kind !== 'send') return;
          references++;
          const request = planned.contexts.get(p.id)![i]!.request;
          expect(t.protocol.checkReply(specStep.expect, request, Buffer.from(step.reference, 'hex')), `${id}/${p.id} step ${i + 1}`).toBeNull();
        });
      }
    }
    expect(references).toBeGreaterThan(200); // many-requests alone has 200
  });

  it('groups the calculator server\'s request/answer tests, and nothing of a client or a function task', () => {
    const units = startUnits(plan('calculator-server').plan.tests);
    const shared = units.filter((u) => u.length > 1);
    expect(shared.length).toBe(1);
    expect(shared[0]!.map((t) => t.id)).toEqual([
      'sum-int', 'product-int', 'sum-text', 'product-text', 'unused-bits', 'one-int', 'sixty-four-ints', 'sum-wraparound',
      'product-wraparound', 'large-int', 'large-text', 'unknown-opcodes', 'malformed-empty', 'malformed-header-only',
      'malformed-length', 'malformed-too-many', 'several-clients', 'many-requests',
    ]);
    // A taken port, another port, a bad address: each its own start.
    expect(units.filter((u) => u.length === 1).map((u) => u[0]!.id)).toEqual(['other-port', 'port-taken', 'bad-address']);
    expect(startUnits(plan('calculator-server', false).plan.tests).every((u) => u.length === 1)).toBe(true);
    for (const id of TASKS.slice(1)) expect(plan(id).plan.tests.some((t) => t.shareStart), id).toBe(false);
  });

  it('gives an optional answer the reference a correct server may send instead of none', () => {
    // The calculator's error answer to a malformed request is optional: a server that sends it
    // (correct-python does) keeps its start, as one that stays silent does.
    const malformed = plan('calculator-server').plan.tests.find((t) => t.id === 'malformed-empty')!;
    expect(malformed.steps[0]).toMatchObject({ kind: 'send', await: 'none', reference: '00' });
  });

  it('gives the verdicts of a start per test', async () => {
    const fixtures = [
      'correct-c-plain', 'correct-python', 'serves-three-then-swaps', 'exits-after-one', 'crash-on-empty', 'host-byte-order',
      'answers-from-other-socket', 'chatty-logger', 'empty-error-answer', 's-set-on-errors', 'reads-beyond-length', 'leaves-daemon',
    ];
    for (const name of fixtures) {
      const submission = fixture('calculator-server', name);
      const grade = (shareStarts: boolean) => gradeSubmission(task('calculator-server'), submission, { seed: 1, sandbox: 'bwrap', shareStarts });
      const [shared, alone] = await Promise.all([grade(true), grade(false)]);
      expect(verdicts(shared), name).toEqual(verdicts(alone));
    }
  });

  it('gives the verdicts of a start per test when a start crashes after answering tests right', async () => {
    // Crashes on its fourth request: a shared start ends after three tests were answered, which get
    // a start of their own again, and the tests with four requests or more crash as they do alone.
    const dir = tempDir();
    copyFixture('correct-python', dir);
    const server = path.join(dir, 'server');
    const source = readFileSync(server, 'utf8')
      .replace('import socket', 'import os\nimport socket')
      .replace('    while True:\n', '    served = 0\n    while True:\n')
      .replace('            sock.sendto(answer(data), client)', '            served += 1\n            if served == 4:\n                os.abort()\n            sock.sendto(answer(data), client)');
    for (const edit of ['import os', 'served = 0', 'os.abort()']) expect(source).toContain(edit);
    writeFileSync(server, source);
    chmodSync(server, 0o755);
    const grade = (shareStarts: boolean) => gradeSubmission(task('calculator-server'), dir, { seed: 1, sandbox: 'bwrap', shareStarts });
    const [shared, alone] = await Promise.all([grade(true), grade(false)]);
    expect(shared.result).toBe('crash');
    expect(verdicts(shared)).toEqual(verdicts(alone));
  });
});
