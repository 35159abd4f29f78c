// Where the student's programs ran (the report's "sandbox"), in one line for
// the people reading a report: every platform format says it.
import type { Report } from './model.js';

const WHERE: Record<Report['sandbox'], string> = {
  bwrap: "sockgrade's sandbox (bubblewrap)",
  inginious: "INGInious's student containers (run_student)",
  user: 'a separate unprivileged user, without namespaces',
  none: 'no sandbox',
};

export function gradedIn(r: Report): string {
  return `Graded in ${WHERE[r.sandbox]}.`;
}
