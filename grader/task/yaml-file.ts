// YAML files of a task, read with positions so that every problem can be
// reported as PATH:LINE:COL: message, all of them at once.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { issueTexts } from './issues.js';

export interface Problem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

/** A task that cannot be used; `problems` lists everything wrong with it. */
export class TaskError extends Error {
  override readonly name = 'TaskError';
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

export class YamlFile {
  readonly doc: Document;
  private readonly lines = new LineCounter();
  readonly problems: Problem[] = [];

  constructor(
    /** Path as shown to users (relative to the working directory when possible). */
    readonly shownPath: string,
    text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    for (const e of this.doc.errors) {
      const pos = this.lines.linePos(e.pos[0]);
      this.problems.push({ file: shownPath, line: pos.line, col: pos.col, message: e.message.split('\n')[0]! });
    }
  }

  static read(file: string): YamlFile {
    const shown = path.relative(process.cwd(), file) || file;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const f = new YamlFile(shown, '');
      f.problems.push({ file: shown, line: 1, col: 1, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? err}` });
      return f;
    }
    return new YamlFile(shown, text);
  }

  get ok(): boolean {
    return this.problems.length === 0;
  }

  data(): unknown {
    return this.doc.toJS();
  }

  /** Line and column of the value at `at` (or of the key `key` inside it). */
  position(at: readonly PropertyKey[], key?: string): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let best: Node | null = (node as Node) ?? null;
    for (const step of at) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (p.key as { value?: unknown })?.value === step);
        node = pair?.value ?? pair?.key;
      } else if (isSeq(node) && typeof step === 'number') node = node.items[step];
      else break;
      if (node && typeof node === 'object' && 'range' in node) best = node as Node;
      else break;
    }
    if (key !== undefined && isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown })?.value === key);
      if (pair?.key && typeof pair.key === 'object' && 'range' in pair.key) best = pair.key as Node;
    }
    const offset = best?.range?.[0] ?? 0;
    return this.lines.linePos(offset);
  }

  problem(at: readonly PropertyKey[], message: string, key?: string): void {
    const pos = this.position(at, key);
    this.problems.push({ file: this.shownPath, line: pos.line, col: pos.col, message });
  }

  private cachedData: unknown;
  private dataRead = false;

  /**
   * Where a problem is, in the author's words: `test sum-int, step 1:
   * expect.status` (a test by its id, steps counted from 1), or the key path
   * (`limits.cpu_s`); a list item is `tags item 2`.
   */
  label(where: readonly PropertyKey[]): string {
    const parts: string[] = [];
    let rest = [...where];
    if (rest[0] === 'tests' && typeof rest[1] === 'number') {
      if (!this.dataRead) {
        this.cachedData = this.data();
        this.dataRead = true;
      }
      const id = ((this.cachedData as { tests?: { id?: unknown }[] } | null)?.tests?.[rest[1]] ?? {}).id;
      parts.push(typeof id === 'string' && id !== '' ? `test ${id}` : `test ${rest[1] + 1} (no id)`);
      rest = rest.slice(2);
      if (rest[0] === 'steps' && typeof rest[1] === 'number') {
        parts.push(`step ${rest[1] + 1}`);
        rest = rest.slice(2);
      }
    }
    const key = rest.map((k, i) => (typeof k === 'number' ? ` item ${k + 1}` : `${i ? '.' : ''}${String(k)}`)).join('');
    const head = parts.join(', ');
    if (!head) return key || 'the file';
    return key ? `${head}: ${key}` : head;
  }

  /** Validates `value` (found at `at` in this file) against a schema; records every issue. */
  validate<S extends z.ZodType>(schema: S, value: unknown, at: readonly PropertyKey[] = []): z.infer<S> | null {
    const result = schema.safeParse(value, { reportInput: true });
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const where = [...at, ...issue.path];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) this.problem(where, `unknown key '${key}' in ${this.label(where)}; check its spelling`, key);
        continue;
      }
      for (const t of issueTexts(issue)) {
        const w = [...at, ...t.path];
        const label = this.label(w);
        // "test x, step 1 must be ..." reads badly when the label ends in a test or step: a colon then.
        const text = t.text.startsWith(':') || /(^test |, step \d+$)/.test(label) && !label.includes(': ') ? `: ${t.text.replace(/^:? /, '')}` : t.text;
        this.problem(w, `${label}${text}`);
      }
    }
    return null;
  }
}
