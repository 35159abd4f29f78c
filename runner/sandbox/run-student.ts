// The "inginious" backend: each program runs in INGInious's own student
// container, through the run_student command of its grading containers, where
// sockgrade's bubblewrap sandbox cannot start (no user namespaces, no mounts).
// run_student starts a fresh container from the task's image with only
// /task/student mounted, shares the grading container's network (loopback
// only) with --share-network, and applies the time and memory limits. Inside
// it, sg-remote (remote-launch.c) runs the program and answers to the grader
// on the program's standard input, a socket (see process.ts).
import path from 'node:path';
import type { CommandPlan, Limits, ProcessObservation } from '../types.js';
import type { SandboxContext, SpawnSpec } from './command.js';

/** run_student's own return codes (inginious_container_api.run_student), never the program's. */
export const RUN_STUDENT_CODES = {
  251: 'run_student is not available in this container',
  252: 'the student container ran out of memory',
  253: 'the student container timed out',
  254: 'run_student failed (proxy error)',
} as const;

/** Where INGInious mounts the grading container's /task/student into the student container. */
export function studentDir(): string {
  return process.env.SOCKGRADE_STUDENT_DIR ?? '/task/student';
}

/**
 * run_student joins its command's words with spaces and splits them again
 * with Python's shlex: quote each word so that it comes back unchanged.
 */
export function shlexQuote(word: string): string {
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}

/** INGInious's limits for the student container: a backstop just above sockgrade's own rlimits. */
export function runStudentLimits(l: Limits): string[] {
  return [
    '--time', String(Math.ceil(l.cpuSeconds) + 1),
    '--hard-time', String(Math.ceil(l.wallSeconds) + 5),
    // The cgroup counts sg-remote and the page cache too; RLIMIT_AS bounds the program itself.
    '--memory', String(l.memoryMb + 64),
  ];
}

/** sg-remote's limits: as sg-launch's, but the process count is left to INGInious (see README). */
function remoteLimitArgs(l: Limits): string[] {
  // RLIMIT_NPROC counts every process of the uid, and INGInious runs every
  // container's processes as the same uid (4242): a tight limit would count
  // other submissions' processes, so run_student's own (1000) stays.
  return [String(Math.max(1, Math.ceil(l.cpuSeconds))), String(l.memoryMb * 1024 * 1024), '0', String(l.fileSizeMb * 1024 * 1024), String(l.openFiles)];
}

/**
 * The command line that runs `argv` in a student container. The shell moves
 * the control socket (fd 3, see process.ts) to run_student's standard input,
 * which run_student hands to the student container as sg-remote's.
 */
export function runStudentCommand(ctx: SandboxContext, plan: CommandPlan, argv: string[], env: Record<string, string>): SpawnSpec {
  const remote = ctx.remote;
  if (!remote?.runStudent) throw new Error('the inginious backend needs run_student and sg-remote, but the job has neither');
  if (plan.viaHarness || plan.calls || plan.preload?.length) {
    throw new Error('function tasks (harness, injected faults) cannot run through run_student: grade them with --sandbox bwrap');
  }
  // run_student forwards no environment: the program's is set here, explicitly.
  const envWords = Object.entries({ ...env, HOME: ctx.workDir }).map(([k, v]) => `${k}=${v}`);
  const words = [remote.launcher, ...remoteLimitArgs(plan.limits), '--', '/usr/bin/env', '-i', ...envWords, ...argv];
  const inherited: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) inherited[k] = v;
  return {
    file: '/bin/sh',
    args: [
      '-c', 'exec "$@" 0<&3 3<&- 4>&-', 'sg-run-student',
      remote.runStudent, '--share-network', ...runStudentLimits(plan.limits), ...words.map(shlexQuote),
    ],
    // run_student runs the command in its own working directory, inside /task/student.
    cwd: ctx.workDir,
    env: inherited,
    remote: true,
  };
}

/**
 * Is `file` under /task, which is the task's (never in the image)? The student
 * container sees of it only /task/student, where the student's own program
 * could change the file for the next run.
 */
export function outsideImage(file: string): boolean {
  const rel = path.relative(path.dirname(studentDir()), file);
  return !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * What run_student's own code says about a run sg-remote could not report on.
 * 251 and 254 mean the platform never ran the program: the machine cannot
 * grade (returned, as the fatal message). 252 and 253 mean INGInious stopped
 * the student container, a backstop above sockgrade's own limits: the run is
 * then described as those limits would have (out of memory, out of time).
 */
export function platformFailure(p: ProcessObservation, limits: Limits): string | null {
  const code = p.platformCode;
  if (code === 251 || code === 254) {
    return p.launched
      ? `${RUN_STUDENT_CODES[code]} (run_student returned ${code})`
      : `sg-remote never started the program (status ${p.exitCode ?? p.signal ?? 'none'}): the platform could not run it`;
  }
  if (p.stoppedBy !== null) return null; // the grader stopped it first: its own reason stands
  if (code === 252) {
    p.signal = 'SIGKILL';
    p.maxRssKb = Math.max(p.maxRssKb ?? 0, limits.memoryMb * 1024);
  } else if (code === 253) {
    p.signal = 'SIGKILL';
    if ((p.cpuMs ?? 0) >= limits.cpuSeconds * 1000 * 0.9) p.cpuMs = Math.max(p.cpuMs ?? 0, limits.cpuSeconds * 1000);
    else p.stoppedBy = 'wall-time';
  }
  return null;
}
