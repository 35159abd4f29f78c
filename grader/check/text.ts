// The check report for a person (or a CI log): per task, one OK/FAIL line
// per check, the differences indented under it, a verdict line at the end.
// Details quote fixtures' output (a build log, a feedback): neutralised, and
// every line of them indented.
import { terminalBlock, visibleLine } from '../report/neutralise.js';
import { failed, type CheckRun, type CheckStatus } from './model.js';

const MARK: Record<CheckStatus, string> = { ok: 'OK  ', fail: 'FAIL', warn: 'WARN', skip: 'SKIP' };

export function formatCheckText(run: CheckRun, colour = false): string {
  const paint = (code: string) => (s: string) => (colour ? `\x1b[${code}m${s}\x1b[0m` : s);
  const tint: Record<CheckStatus, (s: string) => string> = { ok: paint('32'), fail: paint('31'), warn: paint('33'), skip: paint('2') };
  const lines: string[] = [];
  for (const suite of run.suites) {
    lines.push(paint('1')(visibleLine(suite.name)));
    for (const c of suite.checks) {
      lines.push(`  ${tint[c.status](MARK[c.status])}  ${visibleLine(c.name)}: ${visibleLine(c.summary)}`);
      for (const d of c.details) lines.push(terminalBlock(d, '        '));
    }
  }
  const total = run.suites.reduce((n, s) => n + s.checks.length, 0);
  const bad = failed(run);
  const badSuites = run.suites.filter((s) => s.checks.some((c) => c.status === 'fail')).map((s) => s.name);
  const secs = `${(run.durationMs / 1000).toFixed(1)} s`;
  lines.push(
    bad.length
      ? tint.fail(`check: FAILED: ${bad.length} of ${total} checks failed, in ${badSuites.map(visibleLine).join(', ')} (${secs})`)
      : tint.ok(`check: OK: ${total} checks of ${run.suites.length} task(s) hold (${secs})`),
  );
  return lines.join('\n') + '\n';
}
