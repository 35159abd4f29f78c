// Native helpers (the launcher, fault-injection shims) are compiled from C on
// first use, keyed by a hash of their source, so a checkout never runs a stale one.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { nativeCacheDir } from '../paths.js';

/** Helpers this process has built or found already: their existence is not checked again. */
const built = new Set<string>();

export async function compileNative(source: string, kind: 'exe' | 'shared', extraArgs: string[] = []): Promise<string> {
  const text = readFileSync(source);
  const hash = createHash('sha256').update(text).update(kind).update(extraArgs.join(' ')).digest('hex').slice(0, 16);
  const name = `${path.basename(source, '.c')}-${hash}${kind === 'shared' ? '.so' : ''}`;
  const out = path.join(nativeCacheDir, name);
  if (built.has(out)) return out;
  if (!existsSync(out)) {
    mkdirSync(nativeCacheDir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    const flags = kind === 'shared' ? ['-shared', '-fPIC'] : [];
    // Loaded here only: importing execa costs ~100 ms, and every grade would pay it.
    const { execa } = await import('execa');
    await execa('gcc', ['-O2', '-Wall', ...flags, '-o', tmp, source, ...extraArgs]);
    renameSync(tmp, out); // atomic: parallel jobs never see a half-written helper
  }
  built.add(out);
  return out;
}
