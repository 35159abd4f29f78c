// `sockgrade doctor`: can this machine grade safely? The runner tries every
// isolation property in the real sandbox (runner/doctor/doctor.ts); this only
// prints the table (or JSON) and picks the exit status: 0 when every property
// holds, 3 (this machine cannot grade) when any does not.
import { runDoctor, type DoctorCheck } from '../runner/doctor/doctor.js';
import { EXIT, parse, UsageError } from './cli.js';
import { useColour } from './report/text.js';

export function formatDoctorText(checks: DoctorCheck[], colour = false): string {
  const paint = (code: string) => (s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  const width = Math.max(...checks.map((c) => c.property.length));
  const lines = ['sockgrade doctor: each isolation property, tried in the sandbox on this machine', ''];
  for (const c of checks) {
    lines.push(`  ${c.ok ? paint('32')('PASS') : paint('31')('FAIL')}  ${c.property.padEnd(width)}  ${c.detail}`);
    if (c.fix) lines.push(`  ${' '.repeat(4)}  ${' '.repeat(width)}  fix: ${c.fix}`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  lines.push('', failed ? `${failed} of ${checks.length} checks failed: this machine cannot grade safely` : `all ${checks.length} checks passed`);
  return lines.join('\n') + '\n';
}

export function formatDoctorJson(checks: DoctorCheck[]): string {
  return JSON.stringify({ schema: 'sockgrade.doctor/v1', ok: checks.every((c) => c.ok), checks }, null, 2) + '\n';
}

export async function cmdDoctor(args: string[]): Promise<number> {
  const { values } = parse(args);
  const format = (values.format as string | undefined) ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`doctor --format takes text or json, not '${format}'`);
  const checks = await runDoctor();
  process.stdout.write(format === 'json' ? formatDoctorJson(checks) : formatDoctorText(checks, useColour()));
  return checks.every((c) => c.ok) ? EXIT.ok : EXIT.machine;
}
