// The report for a person at a terminal. Colours only when stdout is a
// terminal, so a redirected report stays plain text (useColour below says
// which variables and options change that).
// Every text from the report goes through neutralise.ts: a student's escape
// sequence is shown as \x1b, never obeyed, and their lines stay indented, away
// from the left margin where the report's own lines are.
import { seeCause } from './causes.js';
import type { Report } from './model.js';
import { terminalBlock, visibleLine } from './neutralise.js';

let colourDisabled = false;

/** `--no-color`: no colour for the rest of this run, whatever the terminal or FORCE_COLOR. */
export function disableColour(): void {
  colourDisabled = true;
}

/**
 * Colour for this stream? Never with --no-color, NO_COLOR (any non-empty
 * value, no-color.org) or TERM=dumb; always with FORCE_COLOR (other than 0 or
 * false); else only on a terminal.
 */
export function useColour(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (colourDisabled || env.NO_COLOR || env.TERM === 'dumb') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force.toLowerCase() !== 'false') return true;
  return Boolean(stream.isTTY);
}

export function formatText(r: Report, colour = false): string {
  // Nothing to paint, no codes: an empty `\x1b[31m\x1b[0m` is noise in a log or a diff.
  const paint = (code: string) => (s: string) => (colour && s !== '' ? `\x1b[${code}m${s}\x1b[0m` : s);
  const green = paint('32');
  const red = paint('31');
  const dim = paint('2');
  const bold = paint('1');
  const line = visibleLine;
  const lines: string[] = [];
  lines.push(bold(`${line(r.task)}: ${line(r.submission)}`));
  if (r.build.command || !r.build.ok) {
    // Without a build command the failure is the submission's (no program, a script without #!), not a compiler's.
    lines.push(`${r.build.command ? 'build' : 'submission'}: ${r.build.ok ? green('ok') : red('FAILED')}${r.build.command ? dim(` (${line(r.build.command)})`) : ''}`);
    if (!r.build.ok && r.build.output) lines.push(terminalBlock(r.build.output, '  '));
    else if (r.build.output) lines.push(dim(`  (${r.build.output.split('\n').length} line(s) of compiler output; see --format json)`));
  }
  // One cause, one message: said here once; each test it explains points to it.
  const causes = r.causes ?? [];
  const causeOf = new Map(causes.flatMap((c) => c.tests.map((id) => [id, c.id] as const)));
  for (const c of causes) {
    lines.push(`${red('cause')}: ${terminalBlock(c.message, '  ').trimStart()}`);
    lines.push(dim(`  explains ${c.tests.length} failed tests: ${c.tests.map(line).join(', ')}`));
  }
  const ids = r.tests.map((t) => line(t.id));
  const width = Math.max(0, ...ids.map((id) => id.length));
  r.tests.forEach((t, i) => {
    const mark = t.passed ? green('PASS') : red('FAIL');
    const verdict = t.passed || t.result === 'failed' ? '' : ` [${t.result}]`;
    lines.push(`  ${mark}  ${ids[i]!.padEnd(width)}  ${line(t.name)}${red(verdict)}`);
    const cause = causeOf.get(t.id);
    if (!t.passed && t.feedback) lines.push(terminalBlock(cause ? seeCause(cause) : t.feedback, '        '));
    if (!t.passed && t.details) lines.push(dim(terminalBlock(t.details, '        ')));
    if (!t.passed && t.trace) lines.push(dim(`        datagrams: ${line(t.trace)} (open with Wireshark, or: tshark -r FILE -x)`));
  });
  const passed = r.tests.filter((t) => t.passed).length;
  const score = r.score === 100 ? green(String(r.score)) : red(String(r.score));
  lines.push(`score: ${bold(score)}/100   result: ${r.result}   tests: ${passed}/${r.tests.length} passed   ${dim(`${r.duration_ms} ms`)}`);
  if (r.error) lines.push(red(`grader error: ${terminalBlock(r.error, '  ').trimStart()}`));
  return lines.join('\n') + '\n';
}
