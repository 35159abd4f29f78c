// The kernel interfaces the sandbox refuses (the launcher's seccomp filter)
// and its fresh session keyring, each tried for real: sg-probe
// (runner/doctor/probe.c) is built by gcc inside the sandbox, under the same
// filter, and run there; the probe's arguments make every refused call fail
// with another errno, or succeed, when no filter is in place.
import { spawn } from 'node:child_process';
import { execa } from 'execa';
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DoctorJobInput } from '../runner/doctor/job.js';
import { BUILD } from '../runner/doctor/properties.js';
import { ROOT_SANDBOX_UID, runJob } from '../runner/job/run-job.js';
import { compileNative } from '../runner/sandbox/native.js';
import type { CommandPlan, JobEvent, JobPlan, Limits, TestObservation, TestPlan } from '../runner/types.js';
import { ROOT, tempDir } from './helpers.js';

const LIMITS: Limits = { cpuSeconds: 2, wallSeconds: 10, memoryMb: 256, processes: 16, fileSizeMb: 1, openFiles: 64, outputKb: 16 };
const DOCTOR = path.join(ROOT, 'runner', 'doctor');

function program(id: string, argv: string[]): TestPlan {
  const p: CommandPlan = { argv, limits: LIMITS };
  return { id, port: 10000, occupy: [], listen: false, program: p, ready: 'none', readyTimeoutMs: 2000, steps: [], end: 'exit', exitTimeoutMs: 10_000 };
}

/** A job whose build compiles sg-probe in the sandbox, then runs `tests`. */
function probePlan(tests: TestPlan[]): JobPlan {
  const base = tempDir();
  chmodSync(base, 0o711); // the sandbox user must reach work/
  const workDir = path.join(base, 'work');
  mkdirSync(workDir);
  copyFileSync(path.join(DOCTOR, 'probe.c'), path.join(workDir, 'probe.c'));
  return { sandbox: 'bwrap', workDir, build: BUILD, tests };
}

/** "call: outcome" lines of sg-probe. */
function outcomes(t: TestObservation): Record<string, string> {
  return Object.fromEntries(t.process.stdout.split('\n').filter((l) => l.includes(': ')).map((l) => l.split(': ') as [string, string]));
}

describe('the seccomp filter', () => {
  const seen = new Map<string, TestObservation>();
  let build: JobEvent | undefined;
  beforeAll(async () => {
    const events = await runJob(
      probePlan([
        program('seccomp', ['./sg-probe', 'seccomp']),
        program('normal', ['./sg-probe', 'normal']),
        program('unshare-cli', ['/bin/sh', '-c', 'unshare -Ur id -u 2>&1; echo status=$?']),
        program('status', ['/bin/sh', '-c', 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status']),
        program('i386', ['./sg-probe', 'i386']),
      ]),
      { deadlineMs: 120_000 },
    );
    build = events.find((e) => e.type === 'build');
    for (const e of events) if (e.type === 'test') seen.set(e.test.id, e.test);
  }, 150_000);

  it('lets gcc build in the sandbox, under the filter', () => {
    expect(build?.type === 'build' && build.build.ok, JSON.stringify(build)).toBe(true);
  });

  it.each([
    ['keyctl', 'EPERM', 'reading the session keyring'],
    ['add_key', 'EPERM', 'leaving a key for the next student'],
    ['request_key', 'EPERM', 'looking up a key'],
    ['unshare', 'EPERM', 'unshare(CLONE_NEWUSER)'],
    ['setns', 'EPERM', 'entering a namespace'],
    ['clone-newuser', 'EPERM', 'clone(CLONE_NEWUSER)'],
    ['clone-newnet', 'EPERM', 'clone(CLONE_NEWNET)'],
    ['clone3', 'ENOSYS', 'clone3, whose flags the filter cannot see: glibc falls back to clone'],
    ['mount', 'EPERM', 'mount'],
    ['umount2', 'EPERM', 'umount2'],
    ['pivot_root', 'EPERM', 'pivot_root'],
    ['open_tree', 'EPERM', 'the new mount API: open_tree'],
    ['move_mount', 'EPERM', 'move_mount'],
    ['fsopen', 'EPERM', 'fsopen'],
    ['fsconfig', 'EPERM', 'fsconfig'],
    ['fsmount', 'EPERM', 'fsmount'],
    ['fspick', 'EPERM', 'fspick'],
    ['mount_setattr', 'EPERM', 'mount_setattr'],
    ['bpf', 'EPERM', 'bpf'],
    ['perf_event_open', 'EPERM', 'perf_event_open'],
    ['userfaultfd', 'EPERM', 'userfaultfd, even user-mode only'],
    ['io_uring_setup', 'EPERM', 'io_uring, whose operations the filter would not see'],
    ['io_uring_enter', 'EPERM', 'io_uring_enter'],
  ])('refuses %s with %s (%s)', (call, errno) => {
    const t = seen.get('seccomp')!;
    expect(outcomes(t)[call], t.process.stdout + t.process.stderr).toBe(errno);
  });

  it('refuses `unshare -Ur` from util-linux, which works in a bare bwrap sandbox', () => {
    const out = seen.get('unshare-cli')!.process.stdout;
    expect(out).toMatch(/unshare failed: Operation not permitted/);
    expect(out).toMatch(/status=1/);
  });

  it('lets an ordinary program use sockets, fork, threads and a plain clone', () => {
    expect(outcomes(seen.get('normal')!)).toEqual({
      socket: 'allowed', bind: 'allowed', sendto: 'allowed', recvfrom: 'allowed', fork: 'allowed', pthread_create: 'allowed',
    });
    expect(outcomes(seen.get('seccomp')!)['clone-plain']).toBe('allowed');
  });

  it.runIf(process.arch === 'x64')('kills a program that makes a syscall through the i386 ABI', async () => {
    // A kernel without the i386 entry (ia32_emulation off, some VMs) answers
    // int 0x80 with SIGSEGV before any filter sees it: the probe, run on the
    // host without a filter, says which kernel this is.
    const onHost = await execa(await compileNative(path.join(DOCTOR, 'probe.c'), 'exe'), ['i386'], { reject: false });
    const kernelHasI386 = onHost.signal !== 'SIGSEGV';
    const p = seen.get('i386')!.process;
    expect(p.signal, p.stdout).toBe(kernelHasI386 ? 'SIGSYS' : 'SIGSEGV');
    expect(p.stdout).not.toMatch(/i386 getpid/);
  });

  it('is installed with no_new_privs in every program', () => {
    const out = seen.get('status')!.process.stdout;
    expect(out).toMatch(/^Seccomp:\s+2$/m);
    expect(out).toMatch(/^NoNewPrivs:\s+1$/m);
  });
});

describe('the session keyring', () => {
  it("keeps a key of the grader's session keyring out of the sandbox", async () => {
    // A job run like the doctor's: under a session keyring holding a key only
    // its possessors see in /proc/keys (runner/doctor/with-session-key.c).
    const withKey = await compileNative(path.join(DOCTOR, 'with-session-key.c'), 'exe');
    const description = `sgtest-key-${process.pid}-${Date.now()}`;
    const plan = probePlan([program('keys', ['/bin/sh', '-c', `echo seen=$(grep -c ${description} /proc/keys)`])]);
    const input: DoctorJobInput = { plan, keyDescription: description, deadlineMs: 60_000 };
    const owner = process.getuid?.() === 0 ? String(ROOT_SANDBOX_UID) : '-';
    const child = spawn(withKey, [description, owner, '--', process.execPath, path.join(ROOT, 'dist', 'runner', 'doctor', 'job.js')]);
    child.stdin.end(JSON.stringify(input));
    const lines: { type: string; planted?: boolean; test?: TestObservation }[] = [];
    for await (const line of createInterface({ input: child.stdout })) lines.push(JSON.parse(line));

    // The grader's side of the job holds the key...
    expect(lines.find((l) => l.type === 'key')?.planted).toBe(true);
    // ...and the program, sandboxed, does not.
    const keys = lines.find((l) => l.type === 'test')?.test;
    expect(keys?.process.stdout, JSON.stringify(lines)).toMatch(/^seen=0$/m);
  }, 90_000);
});
