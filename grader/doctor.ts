// What `sockgrade doctor` found, for a person (a PASS/FAIL table with the fix
// under each failure) or a program (JSON). The runner tries every isolation
// property in the real sandbox (runner/doctor/doctor.ts); grader/cli/doctor.ts
// runs it and picks the exit status.
import type { DoctorCheck } from '../runner/doctor/doctor.js';

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
