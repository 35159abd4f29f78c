// The check report as JUnit XML, the format CI servers (GitLab, Jenkins,
// GitHub test-report actions) display: one <testsuite> per task, one
// <testcase> per check; a failing check is a <failure>, a warning passes
// with its text in <system-out>.
import { xmlAttr, xmlText } from '../report/neutralise.js';
import type { CheckRun } from './model.js';


const seconds = (ms: number) => (ms / 1000).toFixed(3);

export function formatCheckJunit(run: CheckRun): string {
  const count = (status: string) => run.suites.reduce((n, s) => n + s.checks.filter((c) => c.status === status).length, 0);
  const total = run.suites.reduce((n, s) => n + s.checks.length, 0);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="sockgrade check" tests="${total}" failures="${count('fail')}" skipped="${count('skip')}" time="${seconds(run.durationMs)}">`);
  for (const suite of run.suites) {
    const n = (status: string) => suite.checks.filter((c) => c.status === status).length;
    const time = suite.checks.reduce((sum, c) => sum + c.durationMs, 0);
    out.push(`  <testsuite name="${xmlAttr(suite.name)}" tests="${suite.checks.length}" failures="${n('fail')}" errors="0" skipped="${n('skip')}" time="${seconds(time)}">`);
    for (const c of suite.checks) {
      // file and line: where GitLab's test report and GitHub's JUnit reporters annotate the finding.
      const where = c.file !== undefined && c.line !== undefined ? ` file="${xmlAttr(c.file)}" line="${c.line}"` : '';
      const open = `    <testcase classname="${xmlAttr(suite.name)}" name="${xmlAttr(c.name)}"${where} time="${seconds(c.durationMs)}"`;
      const body = [c.summary, ...c.details].join('\n');
      if (c.status === 'ok') out.push(`${open}/>`);
      else if (c.status === 'fail') out.push(`${open}>`, `      <failure message="${xmlAttr(c.summary)}">${xmlText(body)}</failure>`, '    </testcase>');
      else if (c.status === 'skip') out.push(`${open}>`, `      <skipped message="${xmlAttr(c.summary)}"/>`, '    </testcase>');
      else out.push(`${open}>`, `      <system-out>${xmlText(`warning: ${body}`)}</system-out>`, '    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
