// Reads `node --cpu-prof` files and says where the CPU went: self time by
// package or source file (yaml, zod, dist/grader/..., Node's module loader,
// GC, V8's compiler as "(program)"), and the inclusive time of the functions
// a speed-up would target. Several files of the same command give the median
// and the minimum of each row, since a busy machine only adds time.
//   node dist/bench/profile-summary.js /tmp/prof/grade/*.cpuprofile
import { readFileSync } from 'node:fs';
import { median } from './stats.js';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Functions whose inclusive time is a phase of a grade or of `sockgrade tasks`. */
const PHASES = [
  'loadTask', 'listTaskIds', 'gradeSubmission', 'prepareSubmission', 'planJob', 'runJob', 'compileLauncher',
  'assertSandboxTools', 'compileFaultsShim', 'chownTree', 'decideVerdict', 'render', 'main',
  'runTest', 'setUpJobNetwork', 'runProcess', 'descendants', 'peakRssKb', 'cpuTicks',
];

function category(url: string, fn: string): string {
  if (!url) return fn || '(anonymous native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return `pkg ${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:internal/modules') || url.startsWith('node:internal/vm')) return 'node module loader';
  if (url.startsWith('node:')) return 'node internals';
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return `sockgrade ${url.slice(dist + 1).split('/').slice(0, 3).join('/')}`;
  if (url.includes('/bin/')) return 'sockgrade bin';
  return url;
}

/** Milliseconds per row for one profile. */
function summarise(p: Profile): Map<string, number> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
  const rows = new Map<string, number>();
  const add = (k: string, ms: number) => rows.set(k, (rows.get(k) ?? 0) + ms);
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    const cat = category(n.callFrame.url, n.callFrame.functionName);
    add(cat, ms);
    if (cat === 'node internals') add(`  self ${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^node:/, '')}`, ms);
  }
  // Inclusive time of each phase function, counted once where it calls itself.
  const total = new Map<number, number>();
  const inclusive = (id: number): number => {
    const cached = total.get(id);
    if (cached !== undefined) return cached;
    const n = byId.get(id)!;
    const t = (self.get(id) ?? 0) + (n.children ?? []).reduce((s, c) => s + inclusive(c), 0);
    total.set(id, t);
    return t;
  };
  const root = p.nodes[0]!.id;
  const walk = (id: number, inside: Set<string>) => {
    const n = byId.get(id)!;
    const name = n.callFrame.functionName;
    let next = inside;
    if (PHASES.includes(name) && n.callFrame.url.includes('/dist/') && !inside.has(name)) {
      add(`  fn ${name} (inclusive)`, inclusive(id));
      next = new Set(inside).add(name);
    }
    for (const c of n.children ?? []) walk(c, next);
  };
  walk(root, new Set());
  // When each phase function first shows up: the timeline of the process.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let t = 0;
  const firstSeen = new Map<string, number>();
  p.samples.forEach((id, i) => {
    t += (p.timeDeltas[i] ?? 0) / 1000;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      if (PHASES.includes(f.functionName) && f.url.includes('/dist/') && !firstSeen.has(f.functionName)) firstSeen.set(f.functionName, t);
    }
  });
  for (const [name, at] of firstSeen) add(`  @ ${name} first sampled at`, at);
  add('= profile span (wall)', (p.endTime - p.startTime) / 1000);
  add('= samples, not idle', [...self].filter(([id]) => byId.get(id)!.callFrame.functionName !== '(idle)').reduce((s, [, ms]) => s + ms, 0));
  return rows;
}

const files = process.argv.slice(2);
if (!files.length) {
  process.stderr.write('usage: node dist/bench/profile-summary.js FILE.cpuprofile...\n');
  process.exit(2);
}
const all = files.map((f) => summarise(JSON.parse(readFileSync(f, 'utf8')) as Profile));
const keys = [...new Set(all.flatMap((m) => [...m.keys()]))];
const med = (k: string) => median(all.map((m) => m.get(k) ?? 0));
keys.sort((a, b) => (a.startsWith('=') === b.startsWith('=') ? (a.startsWith('  ') === b.startsWith('  ') ? (a.startsWith('  fn') === b.startsWith('  fn') ? (a.startsWith('  @') && b.startsWith('  @') ? med(a) - med(b) : med(b) - med(a)) : a.startsWith('  fn') ? 1 : -1) : a.startsWith('  ') ? 1 : -1) : a.startsWith('=') ? -1 : 1));
process.stdout.write(`${files.length} profile(s); ms, median (min)\n`);
for (const k of keys) {
  const v = med(k);
  if ((v < 2 || (k.startsWith('  self') && v < 8)) && !k.startsWith('=')) continue;
  process.stdout.write(`  ${k.padEnd(48)} ${v.toFixed(0).padStart(6)} (${Math.min(...all.map((m) => m.get(k) ?? 0)).toFixed(0)})\n`);
}
