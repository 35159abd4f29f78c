// `sockgrade grade`'s job is started by bin/sockgrade.js before the CLI loads
// (runner/job/job-command.ts): the CLI takes that process only when it would
// start the very same command line itself, and kills it otherwise.
import { describe, expect, it } from 'vitest';
import { exited, startJobAhead } from '../runner/job/job-command.js';
import { jobCommand } from '../runner/job/job-process.js';
import { sockgrade } from './helpers.js';

const GRADE = ['grade', 'sockets-creating-a-socket', 'fixtures/sockets-creating-a-socket/correct/submission.c'];

describe('the job started before the CLI loads', () => {
  it('is the job the CLI would start with bwrap, and is taken as it is', async () => {
    const argv = await jobCommand(true); // builds the reaper where this install keeps its helpers, when not yet built
    const ahead = startJobAhead(GRADE);
    expect(ahead, 'once a reaper is built, one is started').not.toBeNull();
    const child = await ahead!.take(argv);
    expect(child, 'the same command line as the CLI composes').not.toBeNull();
    expect(child!.exitCode).toBeNull();
    child!.stdin.end(); // no spec: the job ends at its stdin's end
    await exited(child!);
    expect(child!.exitCode).toBe(0);
  });

  it('is killed, not taken, when the CLI would start another command line', async () => {
    const ahead = startJobAhead(GRADE)!;
    const argv = await jobCommand(true);
    const other = argv.map((a, i) => (argv[i - 1] === '--grading-process' ? '1' : a)); // another grading process
    expect(await ahead.take(other)).toBeNull();
    // Gone by the time take() returns: killed by its pid, its namespace with it.
    expect(ahead.child.signalCode ?? ahead.child.exitCode).not.toBeNull();
    expect(await ahead.take(await jobCommand(true)), 'once settled, never taken').toBeNull();
  });

  it('is not started for another command, for --help, or for a sandbox other than bwrap', () => {
    const env = process.env.SOCKGRADE_SANDBOX;
    delete process.env.SOCKGRADE_SANDBOX;
    try {
      expect(startJobAhead(['tasks'])).toBeNull();
      expect(startJobAhead(['batch', 'calculator-server', 'subs'])).toBeNull();
      expect(startJobAhead([...GRADE, '--help'])).toBeNull();
      expect(startJobAhead([...GRADE, '--sandbox', 'user'])).toBeNull();
      expect(startJobAhead([...GRADE, '--sandbox=none'])).toBeNull();
      expect(startJobAhead([...GRADE, '--sandbox', 'user', '--sandbox', 'none'])).toBeNull();
      process.env.SOCKGRADE_SANDBOX = 'user';
      expect(startJobAhead(GRADE)).toBeNull();
    } finally {
      if (env === undefined) delete process.env.SOCKGRADE_SANDBOX;
      else process.env.SOCKGRADE_SANDBOX = env;
    }
  });

  it('a grade through the command takes it or starts its own, with the same report', async () => {
    // bwrap: taken; bwrap named twice, the last one counting: taken; 'user,bwrap' (probed): not started ahead.
    const reports = [];
    for (const extra of [[], ['--sandbox', 'user', '--sandbox', 'bwrap'], ['--sandbox', 'bwrap,user']]) {
      const r = await sockgrade([...GRADE, '--format', 'json', '--seed', '1', ...extra]);
      expect(r.exitCode, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { score: number; tests: { id: string; passed: boolean }[] };
      reports.push({ score: report.score, tests: report.tests.map((t) => [t.id, t.passed]) });
    }
    expect(reports[0]!.score).toBe(100);
    expect(reports[1]).toEqual(reports[0]);
    expect(reports[2]).toEqual(reports[0]);
  });
});
