// No module of grader/ or runner/ imports itself at run time, through any
// chain of imports: a cycle makes what a module sees at load time depend on
// which module Node happened to load first. Read from the compiled dist/,
// where TypeScript has already dropped every import used for types only, so
// the graph is the one Node loads (`import type` never counts).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers.js';

/** Every .ts source under `dirs` of `root`, as paths relative to root (declarations left out). */
function sources(root: string, dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(child);
    }
  };
  for (const dir of dirs) if (existsSync(path.join(root, dir))) walk(dir);
  return out.sort();
}

// Static imports and re-exports as tsc writes them: `import {a} from "x"`, `import * as m from "x"`,
// `export {a} from "x"`, `export * from "x"`, and `import "x"` for its side effects. import() is left out.
const FROM = /^(?:import|export)\s+(?:[\w$*{},\s]*?)\s*from\s*["']([^"']+)["']/gm;
const BARE = /^import\s*["']([^"']+)["']/gm;

/** The relative modules one compiled file loads, as source paths relative to root. */
function runtimeImports(root: string, source: string): string[] {
  const js = readFileSync(path.join(root, 'dist', source.replace(/\.ts$/, '.js')), 'utf8');
  const specs = [...js.matchAll(FROM), ...js.matchAll(BARE)].map((m) => m[1]!).filter((s) => s.startsWith('.'));
  return specs.map((s) => path.normalize(path.join(path.dirname(source), s)).replace(/\.js$/, '.ts'));
}

/** Sources with no compiled file, or one older than the source: the graph would not be the code's. */
function stale(root: string, files: string[]): string[] {
  return files.filter((f) => {
    const js = path.join(root, 'dist', f.replace(/\.ts$/, '.js'));
    return !existsSync(js) || statSync(js).mtimeMs < statSync(path.join(root, f)).mtimeMs;
  });
}

/**
 * Every import cycle, one per strongly connected group of modules, each as
 * the chain that closes it: "a.ts -> b.ts -> a.ts".
 */
function importCycles(root: string, dirs: string[]): string[] {
  const files = sources(root, dirs);
  const graph = new Map(files.map((f) => [f, runtimeImports(root, f)]));
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w);
      group.push(w);
      if (w === v) break;
    }
    if (group.length > 1 || graph.get(v)!.includes(v)) groups.push(group.sort());
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return groups.map((group) => cycleThrough(group[0]!, new Set(group), graph));
}

/** The shortest chain from `start` back to itself inside its group (breadth first). */
function cycleThrough(start: string, group: Set<string>, graph: Map<string, string[]>): string {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!group.has(w)) continue;
      if (w === start) {
        const chain: string[] = [];
        for (let at: string | undefined = v; at !== undefined && at !== start; at = cameFrom.get(at)) chain.unshift(at);
        return [start, ...chain, start].join(' -> ');
      }
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  return start;
}

describe('import cycles', () => {
  it('finds a cycle between compiled modules, and names it', () => {
    // The detector itself, on real files: a -> b -> c -> a, and d, which imports a but is in no cycle.
    const root = tempDir('sockgrade-cycles-');
    const write = (rel: string, text: string) => {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), text);
    };
    for (const [name, js] of [
      ['a', 'import { b } from "./sub/b.js";\nexport const a = () => b;\n'],
      ['sub/b', 'export { c as b } from "../c.js";\n'],
      ['c', 'import "./a.js";\nexport const c = 1;\n'],
      ['d', 'import * as a from "./a.js";\nexport const d = a;\n'],
    ]) {
      write(`lib/${name}.ts`, '// source\n');
      write(`dist/lib/${name}.js`, js!);
    }
    expect(importCycles(root, ['lib'])).toEqual(['lib/a.ts -> lib/sub/b.ts -> lib/c.ts -> lib/a.ts']);
  });

  it('grader/ and runner/ have no runtime import cycle', () => {
    const dirs = ['grader', 'runner'];
    expect(stale(ROOT, sources(ROOT, dirs)), 'dist/ is older than these sources: run npx tsc -p tsconfig.json first').toEqual([]);
    expect(importCycles(ROOT, dirs), 'modules that import each other at run time').toEqual([]);
  });
});
