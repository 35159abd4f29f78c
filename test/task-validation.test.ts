// A task author's mistakes come back all at once, each with its file, line and
// column, and what to do: never a stack trace, never only the first one.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTask } from '../grader/task/load.js';
import { TaskError } from '../grader/task/yaml-file.js';
import { TASKS, taskCopy } from './helpers.js';

/** calculator-server with these files replaced. */
function taskWith(files: Record<string, string>): string {
  return taskCopy('calculator-server', files);
}

function problemsOf(dir: string): string[] {
  try {
    loadTask(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(TaskError);
    return (err as TaskError).problems.map((p) => `${path.basename(p.file)}:${p.line}:${p.col}: ${p.message}`);
  }
  throw new Error('the task loaded, but it is broken');
}

describe('task validation', () => {
  it('accepts the bundled calculator-server task', () => {
    const task = loadTask(path.join(TASKS, 'calculator-server'));
    expect(task.tests.length).toBeGreaterThanOrEqual(20);
  });

  it('reports every problem of a tests file, each at its line and column', () => {
    const dir = taskWith({
      'tests.yaml': [
        'tests:', //                                      1
        '  - id: sum-int', //                             2
        '    name: Sum', //                               3
        '    weight: -2', //                              4  negative weight
        '    tags: [result, speed]', //                   5  unknown tag
        '    steps:', //                                  6
        '      - send: {op: sum, ints: [1, 2]}', //       7
        '        expect: {status: ok, int: 3}', //        8
        '        expct: {status: ok}', //                 9  misspelt key
        '  - id: sum-int', //                            10  duplicate id
        '    name: Again', //                            11
        '    steps:', //                                 12
        '      - send: {op: sum, ints: ["x"]}', //       13  not a number
        '      - send: {raw: "5"}', //                   14  odd hex
      ].join('\n'),
    });
    const problems = problemsOf(dir);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^tests\.yaml:4:13: .*weight/),
        expect.stringMatching(/^tests\.yaml:5:\d+: .*tags/),
        expect.stringMatching(/^tests\.yaml:9:9: unknown key 'expct'/),
        expect.stringMatching(/^tests\.yaml:13:\d+: .*ints/),
        expect.stringMatching(/^tests\.yaml:14:\d+: raw is a string of hex bytes/),
        expect.stringMatching(/^tests\.yaml:10:\d+: duplicate test id 'sum-int'/),
      ]),
    );
  });

  it('names a missing statement or tests file and an unknown protocol in task.yaml', () => {
    const dir = taskWith({
      'task.yaml': [
        'title: T',
        'statement: missing.md',
        'role: server',
        'program: server',
        'run: ["./server", "::", "{port}"]',
        'protocol: carrier-pigeon',
        'tests: nowhere.yaml',
      ].join('\n'),
    });
    const problems = problemsOf(dir);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^task\.yaml:2:12: statement file 'missing\.md' not found/),
        expect.stringMatching(/^task\.yaml:6:11: unknown protocol 'carrier-pigeon'; known: calculator/),
        expect.stringMatching(/^task\.yaml:7:8: tests file 'nowhere\.yaml' not found/),
      ]),
    );
  });

  it('reports YAML syntax errors with their position', () => {
    const dir = taskWith({ 'tests.yaml': 'tests:\n  - id: a\n    name: [unclosed\n' });
    expect(problemsOf(dir)[0]).toMatch(/^tests\.yaml:\d+:\d+: /);
  });

  it('refuses an expectation the reference calculator contradicts', () => {
    const dir = taskWith({
      'tests.yaml': 'tests:\n  - id: t\n    name: T\n    steps:\n      - send: {op: 5, ints: [1]}\n        expect: {status: ok}\n',
    });
    expect(problemsOf(dir)).toEqual([expect.stringMatching(/^tests\.yaml:6:17: status ok, but the reference calculator answers S=0/)]);
  });

  it('names the test by its id, the step, the key, what is allowed and what was given; never a bare "Invalid input"', () => {
    const dir = taskWith({
      'tests.yaml': [
        'tests:', //                                          1
        '  - id: sum-int', //                                 2
        '    name: Sum', //                                   3
        '    weight: two', //                                 4
        '    visibility: public', //                          5
        '    tags: [result, endianess]', //                   6
        '    steps:', //                                      7
        '      - send: {op: sum, ints: [1, 2]}', //           8
        '        expect: {status: okay, int: 3}', //          9
        '      - send: {op: sum, ints: [1]}', //             10
        '        timeout_ms: -5', //                         11
        '  - name: No id', //                                12
        '    steps: []', //                                  13
      ].join('\n'),
    });
    const problems = problemsOf(dir);
    expect(problems).toEqual(
      expect.arrayContaining([
        'tests.yaml:4:13: test sum-int: weight must be a number, not the text two',
        'tests.yaml:5:17: test sum-int: visibility must be visible, feedback, hidden or after_due_date, not public',
        'tests.yaml:6:20: test sum-int: tags item 2 must be result, endianness, protocol, error-handling, robustness or cli, not endianess',
        'tests.yaml:9:26: test sum-int, step 1: expect.status must be ok or error, not okay',
        'tests.yaml:11:21: test sum-int, step 2: timeout_ms must be more than 0, not -5',
        expect.stringMatching(/^tests\.yaml:12:\d+: test 2 \(no id\): id is missing/),
      ]),
    );
    for (const p of problems) expect(p).not.toMatch(/Invalid|expected .* received|Too small/);
    const task = readFileSync(path.join(TASKS, 'calculator-server', 'task.yaml'), 'utf8').replace('role: server', 'role: serveur');
    expect(problemsOf(taskWith({ 'task.yaml': task }))).toEqual(['task.yaml:4:7: role must be server or client, not serveur']);
  });
});
