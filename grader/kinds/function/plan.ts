// How a function task is built and run, as plain plan data: the student's
// file becomes a shared library (compiled in the sandbox with the task's
// prelude and nothing else of the task), and each test runs the task's
// harness, which loads that library and calls the function.
import type { CommandPlan } from '../../../runner/types.js';
import type { BuildRule, FunctionSpec, Task, TestSpec } from '../../model/task.js';

/** The student's file (a submitted file is copied as PROGRAM.c) and what the build makes of it. */
function files(program: string): { source: string; library: string } {
  return { source: `${program}.c`, library: `./${program}.so` };
}

/** The build rule of every function task: the student's file alone, with the prelude, as a shared library. */
export function functionBuildRule(fn: FunctionSpec, program: string): BuildRule {
  const { source, library } = files(program);
  return {
    when: source,
    run: [
      'gcc', '-O2', '-Wall', '-fPIC', '-shared',
      // A misspelt libc function is a build error here, not a failed load in every test.
      '-Wl,--no-undefined',
      // Plain recv()/read() rather than their fortified __*_chk twins: simpler for the shim to name.
      '-U_FORTIFY_SOURCE',
      '-include', fn.preludePath,
      '-o', library.slice(2), source,
    ],
  };
}

/** The build step's extra files: the prelude only, never the harness or the tests. */
export function functionBuildFiles(fn: FunctionSpec): Partial<CommandPlan> {
  return { readOnlyFiles: [fn.preludePath] };
}

/** What a test's program needs besides argv and limits: the harness, the shim and its orders. */
export function harnessCommand(task: Task, fn: FunctionSpec, test: TestSpec): Partial<CommandPlan> {
  const fail = test.fail ?? [];
  // Always through the shim: its record of the calls names AF_INET, SOCK_STREAM and friends.
  return { viaHarness: true, argv: [files(task.program).library, fn.name, ...test.argv], calls: { fail } };
}
