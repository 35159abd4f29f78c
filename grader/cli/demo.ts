// `sockgrade demo`: grades a correct and a broken bundled submission and
// prints both reports, to show what sockgrade does.
import path from 'node:path';
import { packageRoot } from '../../runner/paths.js';
import { gradeSubmission } from '../grade.js';
import { EXIT } from './exit.js';
import { render, sandboxOption } from './grade.js';
import type { ParsedArgs } from './options.js';
import { openTask } from './values.js';

export async function run(_args: ParsedArgs): Promise<number> {
  const task = await openTask('calculator-server');
  for (const name of ['correct-c-makefile', 'host-byte-order']) {
    const submission = path.relative(process.cwd(), path.join(packageRoot, 'fixtures', 'calculator-server', name, 'submission'));
    const report = await gradeSubmission(task, submission, { seed: 1, sandbox: sandboxOption(undefined) });
    process.stdout.write(render(report, 'text', false, true) + '\n');
  }
  return EXIT.ok;
}
