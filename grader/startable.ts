// Why a submission cannot run at all, said once with what to do — rather
// than the same failure repeated by each of twenty tests. Before the job:
// the program file is missing (a near miss of the expected name is named), a
// script has no #! line (execvp would then hand it to /bin/sh, which fails in
// confusing ways) or a #! line ending in a Windows CR. After the job: every
// test failed to start the program the same way. Reads files; runs nothing.
import { closeSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import path from 'node:path';
import type { TestObservation } from '../runner/types.js';
import type { Task } from './model/task.js';

function head(file: string, bytes = 512): Buffer | null {
  let fd: number;
  try {
    if (!lstatSync(file).isFile()) return null;
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

/** The interpreter a script most likely wants, from its text: for the suggested #! line. */
function likelyInterpreter(text: string): string {
  if (/^\s*(import |from \S+ import |def |print\()/m.test(text)) return '/usr/bin/env python3';
  if (/^\s*(use strict|my \$)/m.test(text)) return '/usr/bin/env perl';
  if (/^\s*(const |let |require\(|console\.log)/m.test(text)) return '/usr/bin/env node';
  return '/bin/sh';
}

/** The ready-made program (no build rule applied) cannot be started: why and what to do; null when it looks startable. */
export function programProblem(workDir: string, program: string): string | null {
  const bytes = head(path.join(workDir, program));
  if (!bytes || bytes.length === 0) return bytes ? `'${program}' is empty: hand in the program itself` : null;
  if (bytes.subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1'))) return null; // a compiled program: the kernel decides
  const text = bytes.toString('latin1');
  if (text.startsWith('#!')) {
    const first = text.split('\n')[0]!;
    if (first.endsWith('\r')) {
      return (
        `the #! line of '${program}' ends in a Windows line ending (CR LF), so the system looks for an interpreter named '${first.slice(2).trim().split(/\s+/).at(-1)}\\r': ` +
        `save '${program}' with Unix line endings (LF), e.g. dos2unix ${program}`
      );
    }
    return null;
  }
  if (bytes.includes(0)) return null; // some other binary format: its start shows what happens
  return (
    `'${program}' is a script without a #! line, so nothing says which interpreter runs it: ` +
    `make its first line e.g. #!${likelyInterpreter(text)}`
  );
}

/** Files at the top of the submission (folders with a trailing /), for the "nothing to build or run" message. */
function topLevel(workDir: string): string[] {
  try {
    return readdirSync(workDir, { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.'))
      .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
      .sort();
  } catch {
    return [];
  }
}

/** What the student most likely meant by a file they have, given the names the task wants: a sentence, or null. */
function nearMiss(have: string[], wanted: string[], workDir: string): string | null {
  const files = have.filter((f) => !f.endsWith('/'));
  for (const w of wanted) {
    const sameButCase = files.find((f) => f.toLowerCase() === w.toLowerCase());
    if (sameButCase) return `rename ${sameButCase} to ${w} (names are case-sensitive)`;
  }
  for (const w of wanted) {
    const ext = path.extname(w);
    if (!ext) continue;
    const sameExt = files.filter((f) => path.extname(f) === ext);
    if (sameExt.length === 1) return `rename ${sameExt[0]} to ${w}`;
    if (ext === '.c') {
      const cpp = files.find((f) => /\.(cpp|cc|cxx|C)$/.test(f));
      if (cpp) return `${w} is expected: the task builds C with gcc, not C++; write the program in C as ${w} (or add a Makefile)`;
    }
  }
  // All in one folder (a zip of the folder rather than of its files).
  const dirs = have.filter((f) => f.endsWith('/'));
  if (files.length === 0 && dirs.length === 1) {
    const inside = topLevel(path.join(workDir, dirs[0]!));
    if (wanted.some((w) => inside.includes(w))) return `your files are inside the folder ${dirs[0]}: hand in the files themselves (zip the files, not the folder)`;
  }
  return null;
}

/** Nothing to build and no program: what the submission has and what to rename. */
export function missingProgramMessage(task: Task, workDir: string): string {
  const wanted = [...task.build.map((b) => b.when), task.program];
  const have = topLevel(workDir);
  const shown = have.length > 12 ? [...have.slice(0, 12), `and ${have.length - 12} more`] : have;
  const hint = nearMiss(have, wanted, workDir);
  return (
    `nothing to build or run: the submission has none of ${wanted.join(', ')}; it has ${shown.join(', ') || 'no files'}` +
    (hint ? `: ${hint}` : '')
  );
}

/**
 * Every test failed to start the program, the same way: the one message for
 * the whole report. An exec error (wrong format, missing file), or the
 * program ending with status 126/127 and the same complaint each time
 * (`/usr/bin/env: 'python2': No such file or directory`).
 */
export function cannotStartMessage(task: Task, observations: TestObservation[]): string | null {
  if (observations.length < 2) return null;
  const execErrors = new Set(observations.map((o) => o.process.execError));
  if (execErrors.size === 1 && !execErrors.has(null)) {
    return `the program '${task.program}' cannot be started: ${[...execErrors][0]}; is it a program built for this machine (Linux x86-64), or a script with a #! line?`;
  }
  const complaints = new Set(
    observations.map((o) => (o.process.exitCode === 126 || o.process.exitCode === 127 ? o.process.stderr.trim().split('\n')[0] ?? '' : null)),
  );
  const [only] = [...complaints];
  if (complaints.size === 1 && only && /not found|No such file|Permission denied|cannot execute/i.test(only)) {
    return `the program '${task.program}' cannot be started: ${only}; check its #! line names an interpreter the grading machine has`;
  }
  return null;
}
