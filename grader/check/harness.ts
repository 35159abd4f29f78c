// "Harnesses compile": a function task's hidden main() (task.yaml
// `function.harness`) is compiled here, through the runner, the way grading
// compiles it; each compiler error becomes a PATH:LINE:COL problem of the task.
import path from 'node:path';
import { compileHarness, HarnessBuildError } from '../../runner/harness/build.js';
import type { Task } from '../model/task.js';
import type { Problem } from '../task/yaml-file.js';

const GCC_ERROR = /^(.+?):(\d+):(\d+): (.*)$/;

function shown(p: string): string {
  return path.relative(process.cwd(), p) || p;
}

export async function harnessProblems(task: Task): Promise<Problem[]> {
  if (!task.function) return [];
  const harness = task.function.harnessPath;
  try {
    await compileHarness(harness);
    return [];
  } catch (err) {
    if (!(err instanceof HarnessBuildError)) throw err;
    // gcc's first errors, each PATH:LINE:COL: message when gcc could say where.
    return err.compilerErrors.map((line) => {
      const m = GCC_ERROR.exec(line.trim());
      if (m) return { file: shown(m[1]!), line: Number(m[2]), col: Number(m[3]), message: m[4]! };
      return { file: shown(harness), line: 1, col: 1, message: `does not compile: ${line.trim()}` };
    });
  }
}
