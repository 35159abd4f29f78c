// `sockgrade doctor`: can this machine grade safely? Prints the table (or
// JSON) of every isolation property tried in the real sandbox, and exits 0
// when every property holds, 3 (this machine cannot grade) when any does not.
import { runDoctor } from '../../runner/doctor/doctor.js';
import { formatDoctorJson, formatDoctorText } from '../doctor.js';
import { useColour } from '../report/text.js';
import { EXIT, UsageError } from './exit.js';
import type { ParsedArgs } from './options.js';

export async function run({ values }: ParsedArgs): Promise<number> {
  const format = (values.format as string | undefined) ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`doctor --format takes text or json, not '${format}'`);
  const checks = await runDoctor();
  process.stdout.write(format === 'json' ? formatDoctorJson(checks) : formatDoctorText(checks, useColour()));
  return checks.every((c) => c.ok) ? EXIT.ok : EXIT.machine;
}
