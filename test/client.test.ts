// The machinery behind client tasks, beyond what the fixtures show: task
// authoring errors, reading result lines, the calculator's diagnosis of a
// wrong printed result, and real sandbox runs of small scripted clients for
// "send nothing", retransmissions, and clients that never exit.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { printedResults } from '../grader/kinds/program/client-checks.js';
import { gradeSubmission } from '../grader/grade.js';
import { planJob } from '../grader/plan.js';
import { calculatorProtocol } from '../grader/protocols/calculator/index.js';
import { viewTest } from '../grader/report/visibility.js';
import type { Task } from '../grader/model/task.js';
import { loadTask } from '../grader/task/load.js';
import { prepareSubmission } from '../runner/submission.js';
import { runJob } from '../runner/job/run-job.js';
import { ROOT, fixture, summary, task as namedTask, tempDir } from './helpers.js';

function tmp(): string {
  return tempDir('sockgrade-client-');
}

const TASK_YAML = `title: A client task
statement: statement.md
role: client
program: client
run: ["./client", "{port}"]
protocol: calculator
result_line: "Result: {result}"
tests: tests.yaml
`;

function taskFolder(tests: string, taskYaml = TASK_YAML): string {
  const dir = tmp();
  writeFileSync(path.join(dir, 'task.yaml'), taskYaml);
  writeFileSync(path.join(dir, 'statement.md'), '# a client\n');
  writeFileSync(path.join(dir, 'tests.yaml'), tests);
  return dir;
}

function loadError(dir: string): string {
  try {
    loadTask(dir);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the task loaded, but it has a mistake');
}

describe('client expectations in tests.yaml', () => {
  it('rejects a result in a task that says nothing about its result line', () => {
    const dir = taskFolder(
      'tests:\n  - id: t\n    name: t\n    after: {exit: 0, result: 3}\n',
      TASK_YAML.replace(/^result_line:.*\n/m, ''),
    );
    expect(loadError(dir)).toMatch(/tests\.yaml:4:\d+: .*result needs result_line in task\.yaml/);
  });

  it('rejects a result line without {result}', () => {
    const dir = taskFolder('tests:\n  - id: t\n    name: t\n', TASK_YAML.replace('Result: {result}', 'Result: N'));
    expect(loadError(dir)).toMatch(/task\.yaml:\d+:\d+: .*holds \{result\} exactly once/);
  });

  it('rejects datagrams: none next to a receive step, and retransmissions without one', () => {
    const dir = taskFolder(`tests:
  - id: a
    name: a
    steps:
      - receive: null
    after: {exit: 0, datagrams: none}
  - id: b
    name: b
    after: {exit: 0, datagrams: retransmissions}
`);
    const message = loadError(dir);
    expect(message).toMatch(/tests\.yaml:6:\d+: datagrams: none, but a step receives a datagram/);
    expect(message).toMatch(/tests\.yaml:9:\d+: datagrams: retransmissions needs a receive step/);
  });

  it('rejects a result on a program that must keep running', () => {
    const dir = taskFolder('tests:\n  - id: t\n    name: t\n    after: {running: true, result: 3}\n');
    expect(loadError(dir)).toMatch(/result goes with exit/);
  });
});

describe('reading result lines', () => {
  it('finds every result line, forgiving whitespace around the value and at the line end', () => {
    const out = 'sending...\nResult:  25 \r\nsomething else\nResult: 7\n';
    expect(printedResults('Result: {result}', out)).toEqual(['25', '7']);
  });

  it('needs the whole line: text before the prefix or after the suffix is not a result line', () => {
    expect(printedResults('Result: {result}', 'The Result: 25\n')).toEqual([]);
    expect(printedResults('<{result}>', '<25>\n<26> \n<27>!\n')).toEqual(['25', '26']);
  });
});

describe('what the calculator says about a wrong printed result', () => {
  const explain = (...args: Parameters<NonNullable<typeof calculatorProtocol.explainResult>>) => calculatorProtocol.explainResult!(...args)?.feedback ?? null;
  const answer = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

  it('names ntohl() and byte order for a byte-swapped integer, signed or not', () => {
    expect(explain(String(0x19000000), '25', [answer('80 00 00 00 19')])).toMatch(/byte order.*ntohl\(\)/);
    // 945 = 0x3b1 swapped is 0xb1030000, which %d prints negative
    expect(explain(String(0xb1030000 - 2 ** 32), '945', [answer('80 00 00 03 b1')])).toMatch(/byte order.*ntohl\(\)/);
  });

  it('names %u for a result of 2^31 or more printed signed', () => {
    expect(explain(String(3000000001 - 2 ** 32), '3000000001', [answer('80 b2 d0 5e 01')])).toMatch(/%u/);
  });

  it('explains digits followed by garbage as a missing end of string', () => {
    expect(explain('945\u0001\u0002', '945', [answer('80 39 34 35')])).toMatch(/length recvfrom\(\) returned/);
  });

  it('explains a number read from the header on, and text read as an integer', () => {
    const intAnswer = answer('80 00 00 00 19');
    expect(explain(String(intAnswer.readUInt32BE(0)), '25', [intAnswer])).toMatch(/follows the 1-byte header/);
    const textAnswer = answer('80 34 32 39 34 39 36 37 32 39 35'); // "4294967295"
    expect(explain(String(textAnswer.readUInt32LE(1)), '4294967295', [textAnswer])).toMatch(/text answer was read as a 4-byte integer/);
  });

  it('explains a result printed after an S=0, an empty or a truncated answer', () => {
    expect(explain('25', null, [answer('00 00 00 00 19')])).toMatch(/S=0.*S bit/);
    expect(explain('25', null, [answer('7f 00 00 00 19')])).toMatch(/S=0/);
    expect(explain('0', null, [answer('')])).toMatch(/empty datagram/);
    expect(explain('3', null, [answer('80 00 03')])).toMatch(/too short.*length recvfrom\(\)/);
  });

  it('says nothing it cannot back: a plainly different number, or no answer at all', () => {
    expect(explain('26', '25', [answer('80 00 00 00 19')])).toBeNull();
    expect(explain('25', null, [])).toBeNull();
  });
});

/** A client script (Python 3) handed in as a ready executable. */
function client(body: string): string {
  const dir = tmp();
  const file = path.join(dir, 'client');
  writeFileSync(
    file,
    `#!/usr/bin/env python3\nimport socket, sys, time\nport = int(sys.argv[1])\ns = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n${body}\n`,
    { mode: 0o755 },
  );
  return file;
}

const SEND = 's.sendto(bytes([0x50, 0, 0, 0, 7]), ("::1", port))';
const GIVE_UP = 'print("client: no answer", file=sys.stderr); sys.exit(1)';

describe('client tests, run for real in the sandbox', () => {
  // Timeouts are generous on purpose: only a program that is stopped early, or
  // never, can tell these cases apart.
  const dir = taskFolder(`tests:
  - id: unanswered
    name: The request goes unanswered
    steps:
      - receive: {op: sum, format: int, ints: [7]}
        answer: null
    after: {exit: nonzero, stderr: nonempty, within_ms: 1500, datagrams: retransmissions}
  - id: silent
    name: The client must send nothing
    after: {exit: nonzero, stderr: nonempty, within_ms: 10000, datagrams: none}
`);
  let t: Task;
  const grade = async (submission: string, id: string) => {
    t ??= loadTask(dir);
    const report = await gradeSubmission(t, submission, { seed: 1, sandbox: 'bwrap', testIds: [id] });
    return { report, test: report.tests[0]! };
  };

  it('accepts copies of the request sent while waiting', async () => {
    const { report, test } = await grade(client(`for _ in range(3): ${SEND}\n${GIVE_UP}`), 'unanswered');
    expect(test.passed, summary(report)).toBe(true);
  });

  it('fails a datagram that is not a copy of the request', async () => {
    const { test } = await grade(client(`${SEND}\ns.sendto(b"other", ("::1", port))\n${GIVE_UP}`), 'unanswered');
    expect(test.result).toBe('failed');
    expect(test.feedback).toMatch(/not a copy of its request/);
  });

  it('says an idle client was still waiting for the answer', async () => {
    const { test } = await grade(client(`${SEND}\ns.recvfrom(100)`), 'unanswered');
    expect(test.result).toBe('failed');
    expect(test.feedback).toMatch(/did not exit within 1500 ms: it was still waiting for an answer that never came/);
  });

  it('calls a client that spins instead of exiting a timeout, before the CPU limit', async () => {
    const { test } = await grade(client(`${SEND}\nwhile True: pass`), 'unanswered');
    expect(test.result).toBe('timeout');
    expect(test.feedback).toMatch(/kept the CPU busy/);
  });

  it('fails a client that sends where it must not, and stops it without waiting for its exit', async () => {
    const { test } = await grade(client(`${SEND}\ns.recvfrom(100)`), 'silent');
    expect(test.result).toBe('failed');
    expect(test.feedback).toMatch(/sent a datagram where it must send nothing/);
    // within_ms is 10 s: only the early stop ends this test sooner.
    expect(test.duration_ms).toBeLessThan(5000);
  });

  it('passes a client that exits with a message and sends nothing', async () => {
    const { report, test } = await grade(client(GIVE_UP), 'silent');
    expect(test.passed, summary(report)).toBe(true);
  });
});

describe('the exit status of a test whose inputs are hidden', () => {
  // A program can exit with a status computed from a hidden input: quoting it
  // would hand the student 8 bits of that input per test.
  const dir = taskFolder(`tests:
  - id: shown
    name: Inputs shown
    visibility: visible
    after: {exit: 0}
  - id: kept
    name: Inputs kept from the student
    after: {exit: 0}
  - id: nameless
    name: Name and verdict only
    visibility: hidden
    after: {exit: 0}
`);

  it('is named only where the test shows its inputs; staff details keep it', async () => {
    const report = await gradeSubmission(loadTask(dir), client('sys.exit(port % 256 or 255)'), { seed: 1, sandbox: 'bwrap' });
    const byId = new Map(report.tests.map((t) => [t.id, t]));
    const status = String(10000 % 256); // the task's port is the input the client turns into its status
    expect(byId.get('shown')?.feedback, summary(report)).toBe(`the client exited with status ${status}, expected 0`);
    for (const id of ['kept', 'nameless']) {
      const t = byId.get(id)!;
      expect(t.result).toBe('failed');
      expect(t.feedback).toBe('the client exited with a non-zero status, expected 0');
      expect(t.details).toContain(`exit status ${status}`);
      const studentView = viewTest(t, {});
      expect(`${studentView.feedback} ${studentView.details ?? ''}`).not.toContain(status);
    }
  });
});

describe('the correct Python fixture, observed', () => {
  it('retransmits while unanswered, and the grader counts those copies as its request', async () => {
    const t = namedTask('calculator-client');
    const scratch = await prepareSubmission(fixture('calculator-client', 'correct-python'), t.program);
    try {
      const planned = planJob(t, scratch.workDir, { seed: 1, sandbox: 'bwrap', testIds: ['no-answer'] });
      const events = await runJob(planned.plan, { deadlineMs: 30_000 });
      const obs = events.flatMap((e) => (e.type === 'test' ? [e.test] : []))[0]!;
      const first = obs.steps[0]!;
      expect(first.kind === 'receive' && first.datagram).toBeTruthy();
      expect(obs.unclaimedDatagrams.length).toBeGreaterThanOrEqual(2);
      const request = first.kind === 'receive' ? first.datagram!.hex : '';
      expect(obs.unclaimedDatagrams.every((d) => d.hex === request)).toBe(true);
      expect(obs.process.exitCode).toBe(1);
    } finally {
      scratch.cleanup();
    }
  });
});

describe('the calculator-client task', () => {
  it('lists every hidden test id in docs/calculator-client-tests.md', () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'calculator-client-tests.md'), 'utf8');
    for (const t of namedTask('calculator-client').tests) expect(doc).toContain(`| ${t.id} |`);
  });
});
