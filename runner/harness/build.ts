// The trusted native parts of function tasks and fault injection, compiled on
// the host (never inside the student's build): the faults shim, and each
// task's harness with runner/harness/sockgrade_harness.h and the task's prelude.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../paths.js';
import { SandboxUnavailableError } from '../errors.js';
import { compileNative } from '../sandbox/native.js';

const HARNESS_DIR = path.join(packageRoot, 'runner', 'harness');

/** A task's harness does not compile: the task's fault, never the student's. */
export class HarnessBuildError extends Error {
  override readonly name = 'HarnessBuildError';
  constructor(
    readonly source: string,
    /** The compiler's first error lines, each PATH:LINE:COL: error: ... when gcc could say where. */
    readonly compilerErrors: string[],
  ) {
    super(`the task's harness ${source} does not compile: ${compilerErrors.join('; ')}`);
  }
}

export function faultsShimSource(): string {
  return path.join(HARNESS_DIR, 'faults.c');
}

export function compileFaultsShim(): Promise<string> {
  return compileNative(faultsShimSource(), 'shared', ['-ldl']);
}

/** Headers the harness may include: ours, and those of its task folder (the prelude). */
function headersHash(taskDir: string): string {
  const hash = createHash('sha256');
  for (const dir of [HARNESS_DIR, taskDir]) {
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.h')).sort()) {
      hash.update(name).update(readFileSync(path.join(dir, name)));
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Compiles a task's harness.c into an executable (cached by content). Throws
 * HarnessBuildError carrying the compiler's first errors, each as PATH:LINE:COL.
 */
export async function compileHarness(source: string): Promise<string> {
  const taskDir = path.dirname(source);
  // compileNative keys its cache on the source and these flags: the define makes
  // a changed header a changed build.
  // Full RELRO and PIE: the loader makes the GOT read-only before main, and the
  // harness's code and data are not at a fixed address (defence in depth: the
  // student's code runs in the harness's child only, see sockgrade_harness.h).
  const flags = [
    '-I', HARNESS_DIR, '-I', taskDir, `-DSG_HEADERS=0x${headersHash(taskDir)}`,
    '-fPIE', '-pie', '-Wl,-z,relro,-z,now', '-ldl',
  ];
  try {
    return await compileNative(source, 'exe', flags);
  } catch (err) {
    if (err instanceof SandboxUnavailableError) throw err; // no cache folder: the machine's fault
    const out = String((err as { stderr?: unknown }).stderr ?? (err as Error).message);
    const errors = out.split('\n').filter((l) => /\berror\b/.test(l)).slice(0, 3);
    throw new HarnessBuildError(source, errors.length ? errors : [out.trim()]);
  }
}
