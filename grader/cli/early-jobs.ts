// The grading job of `sockgrade grade`, started as soon as its command line
// is parsed: the job's own start (a Node process in fresh namespaces) then
// overlaps the CLI loading the grader and the task, rather than following it.
// Only where the sandbox is known without probing the machine (bwrap); any
// other choice starts its job when it grades, as before.
import type { JobAhead } from '../../runner/job/job-command.js';
import { EarlyJob } from '../../runner/job/job-process.js';
import { choiceWithoutProbe, parseSandboxChoice } from '../../runner/sandbox/choose.js';
import type { ParsedArgs } from './options.js';

/** Starts the job `grade ARGS` will take, or takes the one started `ahead` (a second lane's starts once the tests are known); returns what ends it if not taken. */
export function startGradeJobs({ values }: ParsedArgs, ahead?: JobAhead): () => Promise<void> {
  const kinds = parseSandboxChoice((values.sandbox as string | undefined) ?? process.env.SOCKGRADE_SANDBOX ?? 'auto');
  if (!kinds || choiceWithoutProbe(kinds) !== 'bwrap') return async () => {};
  return EarlyJob.prestart('bwrap', ahead);
}
