// Every grading `check` needs, run through the real grader (gradeSubmission:
// real sandbox, real sockets), a fixed number at a time, with progress on
// stderr. A grading that throws is recorded against its fixture; only a
// machine that cannot grade at all (SandboxUnavailableError) stops the run.
import { SandboxUnavailableError } from '../../runner/errors.js';
import { gradeLanes, gradeSubmission } from '../grade.js';
import type { Report } from '../report/model.js';
import type { Task } from '../model/task.js';
import { inPool } from '../pool.js';
import { JobKeeper } from '../../runner/job/job-process.js';

export interface Grading {
  task: Task;
  fixture: string;
  submission: string;
  /** 'halved': graded against the task with its limits halved (margins). */
  kind: 'normal' | 'halved';
  /** Declared to hit a limit: graded first, so that the slow ones do not all end up last. */
  slow: boolean;
}

export interface Graded {
  grading: Grading;
  report: Report | null;
  /** Why it could not be graded (an unreadable archive, ...). */
  error: string | null;
  durationMs: number;
}

// The seed of `sockgrade grade` and of test/fixtures.test.ts: a fixture's
// expect.yaml is written against the integers it draws.
const SEED = 1;

export async function gradeAll(gradings: Grading[], workers: number, progress: (line: string) => void): Promise<Graded[]> {
  const order = gradings.map((_, i) => i).sort((a, b) => Number(gradings[b]!.slow) - Number(gradings[a]!.slow) || a - b);
  let done = 0;
  // Job processes kept from one grading to the next: no Node start per grading.
  const jobs = new JobKeeper();
  const results = await inPool(order, workers, async (i) => {
    const grading = gradings[i]!;
    const started = performance.now();
    let report: Report | null = null;
    let error: string | null = null;
    try {
      report = await gradeSubmission(grading.task, grading.submission, { seed: SEED, sandbox: 'bwrap', lanes: gradeLanes(), jobs });
    } catch (err) {
      if (err instanceof SandboxUnavailableError) throw err;
      error = (err as Error).message ?? String(err);
    }
    const durationMs = performance.now() - started;
    done++;
    const what = report ? `${report.result} ${report.score}` : `not graded: ${error}`;
    const label = `${grading.task.id}/${grading.fixture}${grading.kind === 'halved' ? ' (limits halved)' : ''}`;
    progress(`[${String(done).padStart(String(gradings.length).length)}/${gradings.length}] ${label}: ${what} (${(durationMs / 1000).toFixed(1)} s)`);
    return { grading, report, error, durationMs };
  }).finally(() => jobs.close());
  const byIndex = new Array<Graded>(gradings.length);
  order.forEach((i, k) => (byIndex[i] = results[k]!));
  return byIndex;
}
