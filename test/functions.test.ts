// Function tasks and injected failures, for real: gcc, the bwrap sandbox, the
// harness, the faults shim and the peer on ::1. What a task author or a
// student would notice; the five tasks' sample submissions are graded by
// fixtures.test.ts.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradeSubmission } from '../grader/grade.js';
import { loadTask } from '../grader/task/load.js';
import { TaskError } from '../grader/task/yaml-file.js';
import { FIXTURES, TASKS, grade, summary, taskCopy, tempDir } from './helpers.js';

const scratch = tempDir('sockgrade-functions-test-');

let n = 0;
/** A submission file with this C text. */
function source(text: string): string {
  const file = path.join(scratch, `submission-${++n}.c`);
  writeFileSync(file, text);
  return file;
}

const ODD_DIGITS = `
int create_and_send_message(const struct sockaddr *dest_addr, socklen_t addrlen) {
    int sock = socket(AF_INET6, SOCK_DGRAM, 0);
    if (sock == -1) return -1;
    if (connect(sock, dest_addr, addrlen) == -1) { close(sock); return -1; }
    int digits[5];
    for (int i = 0; i < 5; i++) digits[i] = htonl(2 * i + 1);
    if (send(sock, digits, sizeof digits, 0) == -1) { close(sock); return -1; }
    close(sock);
    return 0;
}
`;

describe('the student file and the hidden harness', () => {
  it('compiles the student file with the prelude only: the harness and the tests are out of its reach', async () => {
    const harness = path.join(TASKS, 'sockets-creating-a-socket', 'harness.c');
    const tests = path.join(TASKS, 'sockets-creating-a-socket', 'tests.yaml');
    const r = await grade('sockets-creating-a-socket', source(`#include "${harness}"\n#include "${tests}"\n${ODD_DIGITS}`));
    expect(r.build.ok, summary(r)).toBe(false);
    expect(r.score).toBe(0);
    expect(r.build.output).toMatch(/harness\.c: No such file or directory/);
  });

  it('needs no #include in the student file, and grades it for real', async () => {
    const r = await grade('sockets-creating-a-socket', source(ODD_DIGITS), ['odd-digits', 'send-fails']);
    expect(r.result, summary(r)).toBe('success');
  });

  it('turns a signature other than the statement\'s into a compile error that names both', async () => {
    const r = await grade('sockets-creating-a-socket', source('int create_and_send_message(int port) { return port; }\n'));
    expect(r.build.ok).toBe(false);
    expect(r.build.output).toMatch(/conflicting types for .create_and_send_message/);
  });

  it('tells a student whose file does not define the function, in every test', async () => {
    const r = await grade('sockets-creating-a-socket', source(ODD_DIGITS.replace('create_and_send_message', 'create_and_send_msg')), ['odd-digits']);
    expect(r.build.ok).toBe(true);
    expect(r.tests[0]?.feedback, summary(r)).toContain('does not define create_and_send_message()');
  });

  it('reports a harness that does not compile as the task\'s error, with its file and line', async () => {
    const dir = taskCopy('sockets-creating-a-socket', { 'harness.c': '#include "sockgrade_harness.h"\nint main(void) { return undeclared; }\n' });
    const r = await gradeSubmission(loadTask(dir), source(ODD_DIGITS), { seed: 1, sandbox: 'bwrap' });
    expect(r.result, summary(r)).toBe('error');
    expect(r.error).toMatch(/harness\.c:2:\d+: error: .undeclared. undeclared/);
  });
});

describe('the function under the harness', () => {
  it('is judged on what it returned, not on what it printed or wrote on any descriptor', async () => {
    const r = await grade('sockets-creating-a-socket', path.join(FIXTURES, 'sockets-creating-a-socket', 'forges-report', 'submission.c'), ['odd-digits']);
    expect(r.tests[0]?.passed, summary(r)).toBe(false);
    expect(r.tests[0]?.feedback).toContain('returned -1, expected 0');
  });

  it('cannot learn from its environment or descriptors which call a test makes fail', async () => {
    const r = await grade('sockets-creating-a-socket', path.join(FIXTURES, 'sockets-creating-a-socket', 'peeks-at-faults', 'submission.c'), ['socket-fails', 'connect-fails', 'send-fails']);
    expect(r.tests.map((t) => t.passed), summary(r)).toEqual([false, false, false]);
  });

  it('names a crash, an exit() and a function that never returns', async () => {
    const crash = source(`${ODD_DIGITS.replace('return 0;\n}', 'return *(volatile int *)0;\n}')}`);
    const quits = source(ODD_DIGITS.replace('return 0;\n}', 'exit(0);\n}'));
    const hangs = source(ODD_DIGITS.replace('return 0;\n}', 'for (;;) pause();\n}'));
    const [c, q, h] = await Promise.all([crash, quits, hangs].map((f) => grade('sockets-creating-a-socket', f, ['odd-digits'])));
    expect(c!.tests[0]?.result, summary(c!)).toBe('crash');
    expect(c!.tests[0]?.feedback).toContain('crashed: SIGSEGV');
    expect(q!.tests[0]?.feedback, summary(q!)).toContain('ended the program (exit status 0) instead of returning');
    expect(h!.tests[0]?.feedback, summary(h!)).toContain('did not return within 2 s');
  });

  it('quotes the status an exit() ended the program with only in a test that shows its inputs', async () => {
    const quits = source(ODD_DIGITS.replace('return 0;\n}', 'exit(255);\n}'));
    const r = await grade('sockets-creating-a-socket', quits, ['odd-digits', 'given-address']);
    const shown = r.tests.find((t) => t.id === 'odd-digits')!; // visible
    const kept = r.tests.find((t) => t.id === 'given-address')!; // feedback: its inputs are hidden
    expect(shown.feedback, summary(r)).toContain('ended the program (exit status 255) instead of returning');
    expect(kept.feedback, summary(r)).toContain('ended the program (a non-zero exit status) instead of returning');
    expect(kept.feedback).not.toContain('255');
    expect(kept.details).toContain('exit status 255');
  });

  it('names the socket the function made when it is not IPv6 + UDP', async () => {
    const stream = source(ODD_DIGITS.replace('SOCK_DGRAM', 'SOCK_STREAM'));
    const r = await grade('sockets-creating-a-socket', stream, ['odd-digits']);
    expect(r.tests[0]?.feedback, summary(r)).toContain('SOCK_STREAM socket where SOCK_DGRAM is needed');
  });
});

describe('what the function must do on every path', () => {
  const ODD_DIGITS_ONLY = `tests:
  - id: odd-digits
    name: Sends the odd digits
    visibility: visible
    steps:
      - receive: {ints: [1, 3, 5, 7, 9]}
    after: {returns: any}
`;

  it('leaves no socket open when it returns, unless it returns that socket; the kernel is asked, not the calls counted', async () => {
    const task = loadTask(taskCopy('sockets-creating-a-socket', { 'tests.yaml': ODD_DIGITS_ONLY }));
    chmodSync(scratch, 0o755); // the student's build in the sandbox reads this copy's prelude
    const open = (ending: string) => source(ODD_DIGITS.replace('    close(sock);\n    return 0;\n}', `${ending}\n}`));
    const opts = { seed: 1, sandbox: 'bwrap' as const };
    const [returnsIt, leaksIt, fcloses] = await Promise.all([
      gradeSubmission(task, open('    return sock;'), opts),
      gradeSubmission(task, open('    return 0;'), opts),
      // glibc's fclose() closes the descriptor inside libc, where no shim sees it.
      gradeSubmission(task, open('    fclose(fdopen(sock, "w"));\n    return 0;'), opts),
    ]);
    expect(returnsIt.result, summary(returnsIt)).toBe('success');
    expect(leaksIt.result, summary(leaksIt)).toBe('failed');
    expect(leaksIt.tests[0]?.feedback).toContain('the socket made by socket() is still open when the function returns 0');
    expect(fcloses.result, summary(fcloses)).toBe('success');
  });

  it('names a sender\'s address cut by recvmsg() as well as by recvfrom()', async () => {
    const correct = readFileSync(path.join(FIXTURES, 'sockets-creating-a-listening-socket', 'correct', 'submission.c'), 'utf8');
    const viaRecvmsg = correct
      .replace('struct sockaddr_storage peer;', 'struct sockaddr peer; /* 16 bytes */')
      .replace(
        'ssize_t n = recvfrom(sock, buf, sizeof buf, 0, (struct sockaddr *)&peer, &peer_len);',
        `struct iovec io = {buf, sizeof buf};
    struct msghdr msg = {.msg_name = &peer, .msg_namelen = peer_len, .msg_iov = &io, .msg_iovlen = 1};
    ssize_t n = recvmsg(sock, &msg, 0);
    peer_len = msg.msg_namelen;`,
      );
    expect(viaRecvmsg).toContain('recvmsg(');
    const r = await grade('sockets-creating-a-listening-socket', source(`#include <sys/uio.h>\n${viaRecvmsg}`), ['sum-four', 'send-fails']);
    const [answered, sendFails] = r.tests;
    expect(answered?.feedback, summary(r)).toBe("recvmsg() was given room for 16 bytes of address, but an IPv6 sender's address takes 28: use struct sockaddr_in6 or struct sockaddr_storage");
    expect(answered?.details).toContain('what it caused:');
    // Where sendto() is made to fail the cut address broke nothing: that test fails only for its control (sum-four), not of the cut.
    expect(sendFails?.feedback, summary(r)).toMatch(/^error handling is credited once/);
  });
});

describe('fail: in any task', () => {
  const calculatorServer = (tests: string) =>
    loadTask(taskCopy('calculator-server', { 'tests.yaml': tests }));
  const BIND_FAILS = `tests:
  - id: bind-fails
    name: A server whose bind() fails exits non-zero with a message
    tags: [error-handling]
    fail: {call: bind, errno: EADDRINUSE}
    after: {exit: nonzero, stderr: nonempty}
`;

  it('makes a program\'s bind() fail: a server that checks it exits, one that does not keeps running', async () => {
    const task = calculatorServer(BIND_FAILS);
    const opts = { seed: 1, sandbox: 'bwrap' as const };
    const [good, bad] = await Promise.all([
      gradeSubmission(task, path.join(FIXTURES, 'calculator-server', 'correct-c-plain', 'submission'), opts),
      gradeSubmission(task, path.join(FIXTURES, 'calculator-server', 'ignores-bind-failure', 'submission'), opts),
    ]);
    expect(good.result, summary(good)).toBe('success');
    expect(bad.result, summary(bad)).toBe('failed');
    expect(bad.tests[0]?.feedback).toContain('did not exit');
  });

  it('rejects an unknown call or errno with the file, line and column', () => {
    const bad = BIND_FAILS.replace('{call: bind, errno: EADDRINUSE}', '{call: bindd, errno: EADDRINUSED}');
    let error: unknown;
    try {
      calculatorServer(bad);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TaskError);
    const lines = (error as TaskError).message.split('\n');
    expect(lines.some((l) => /tests\.yaml:5:\d+: .*fail\.call/.test(l)), lines.join('\n')).toBe(true);
    expect(lines.some((l) => /tests\.yaml:5:\d+: .*errno name/.test(l)), lines.join('\n')).toBe(true);
  });

  it('rejects kind: function without its function: block', () => {
    const dir = taskCopy('sockets-creating-a-socket', {});
    const yaml = path.join(dir, 'task.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace(/function:\n(  .*\n)+/, ''));
    expect(() => loadTask(dir)).toThrow(/task\.yaml:\d+:\d+: kind: function needs a function: block/);
  });
});

describe('the harness writes the report from a process that never loads the student\'s file', () => {
  it('is linked as PIE with full RELRO: its GOT is read-only before main', async () => {
    const { compileHarness } = await import('../runner/harness/build.js');
    const { execFileSync } = await import('node:child_process');
    const exe = await compileHarness(path.join(TASKS, 'sockets-creating-a-socket', 'harness.c'));
    const dynamic = execFileSync('readelf', ['-d', '-l', exe], { encoding: 'utf8' });
    expect(dynamic).toMatch(/GNU_RELRO/);
    expect(dynamic).toMatch(/\(FLAGS_1\)\s+Flags: NOW PIE/);
  });

  it('cannot be made to forge "returned -1" by a function that rewrites the harness\'s GOT', async () => {
    const r = await grade('sockets-creating-a-socket', path.join(FIXTURES, 'sockets-creating-a-socket', 'rewrites-got', 'submission.c'), ['socket-fails']);
    expect(r.tests[0]?.result, summary(r)).toBe('failed');
    expect(r.tests[0]?.feedback).toContain('must return -1 at once; it returned 0');
  });

  it('tells the student\'s exit(3) from the harness\'s own failure', async () => {
    const quits = grade('sockets-creating-a-socket', path.join(FIXTURES, 'sockets-creating-a-socket', 'exits-3', 'submission.c'), ['odd-digits']);
    // The task's bug: its harness reads an argument the task never gives.
    const dir = taskCopy('sockets-creating-a-socket', {});
    chmodSync(path.dirname(dir), 0o755); // the student's build in the sandbox reads this copy's prelude
    const harness = path.join(dir, 'harness.c');
    writeFileSync(harness, readFileSync(harness, 'utf8').replace('sg_arg(&run, 0)', 'sg_arg(&run, 3)'));
    const broken = gradeSubmission(loadTask(dir), source(ODD_DIGITS), { seed: 1, sandbox: 'bwrap', testIds: ['odd-digits'] });
    // Says "harness failed" on every descriptor while it is loaded, then exits 3.
    const early = grade('sockets-creating-a-socket', source(`__attribute__((constructor)) static void early(void) {
    for (int fd = 0; fd < 64; fd++) if (write(fd, "\\nharness failed\\n", 16) < 0) {}
    _exit(3);
}
${ODD_DIGITS}`), ['odd-digits']);
    const [q, b, e] = await Promise.all([quits, broken, early]);
    expect(e.tests[0]?.result, summary(e)).toBe('failed');
    expect(e.tests[0]?.feedback).toContain('the program ended (exit status 3) before create_and_send_message() was called');
    expect(q.tests[0]?.result, summary(q)).toBe('failed');
    expect(q.tests[0]?.feedback).toContain('ended the program (exit status 3) instead of returning');
    expect(b.tests[0]?.result, summary(b)).toBe('error');
    expect(b.tests[0]?.feedback).toContain("the task's harness failed (not your fault): a task argument is missing");
  });
});
