// What a job needs from its backend before it starts, for the backends that
// cannot make namespaces: 'inginious' (run_student) and 'user' (a separate
// user on this machine), both with sg-remote. Neither runs the job under unshare: in INGInious's
// grading container the network is already loopback only, and namespaces are
// refused anyway.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SandboxUnavailableError } from '../errors.js';
import { findOnPath } from '../on-path.js';
import { compileRemoteLauncher } from '../sandbox/native.js';
import { outsideImage, studentDir } from '../sandbox/run-student.js';
import { chownTree } from '../sandbox/scratch.js';
import { separateUid } from '../sandbox/separate-user.js';
import type { JobPlan } from '../types.js';

export interface Backend {
  /** The plan, its workDir moved where the backend's programs can reach it. */
  plan: JobPlan;
  dropToUid: number | null;
  remote: { launcher: string; runStudent: string | null } | null;
  cleanup(): void;
}

/** Sets up the 'inginious' or 'user' backend; null for the others. */
export async function directBackend(plan: JobPlan): Promise<Backend | null> {
  if (plan.sandbox === 'user') {
    const uid = separateUid();
    chownTree(plan.workDir, uid);
    const launcher = await compileRemoteLauncher();
    return { plan, dropToUid: uid, remote: { launcher, runStudent: null }, cleanup: () => {} };
  }
  if (plan.sandbox !== 'inginious') return null;
  const runStudent = findOnPath('run_student', process.env.PATH ?? '');
  if (!runStudent) throw new SandboxUnavailableError('cannot grade: run_student not found on PATH; the inginious backend runs only in an INGInious grading container');
  const launcher = await compileRemoteLauncher();
  // The student container is started from the same image: sg-remote must be in
  // the image (built with it), never under /task, which that container does not
  // have (but for /task/student, where the student's program could replace it).
  if (outsideImage(launcher)) {
    throw new SandboxUnavailableError(`cannot grade: sg-remote was built in ${path.dirname(launcher)}, which INGInious's student containers do not have; build the native helpers into the image (see docs/platforms.md)`);
  }
  // The student container sees only /task/student: the submission goes there.
  let dir: string;
  try {
    dir = mkdtempSync(path.join(studentDir(), 'sockgrade-'));
  } catch (err) {
    throw new SandboxUnavailableError(`cannot grade: cannot write into ${studentDir()} (${(err as Error).message}); is this an INGInious grading container?`);
  }
  const workDir = path.join(dir, 'work');
  cpSync(plan.workDir, workDir, { recursive: true, verbatimSymlinks: true });
  return {
    plan: { ...plan, workDir },
    dropToUid: null,
    remote: { runStudent, launcher },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
