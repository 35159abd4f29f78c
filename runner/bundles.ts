// Which bundled file to run (runner/bundle.ts makes them at build time): the
// CLI's and the grading job's, each only while it is at least as new as
// every compiled file it was made from, so that a `tsc` run since never
// leaves old code running; otherwise the caller runs the compiled modules.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from './paths.js';

export type BundleName = 'cli' | 'job';

/** Where the bundles are (made from the compiled code, which jobs always run, even under a test runner). */
export const BUNDLE_DIR = path.join(packageRoot, 'dist', 'bundle');

/** Where a bundle's record is: its entry file and the files it was made from, relative to the package root. */
export function bundleRecord(name: BundleName): string {
  return path.join(BUNDLE_DIR, `${name}.json`);
}

export interface BundleRecordData {
  entry: string;
  /** Every compiled file it was made from. */
  inputs: string[];
  /** Each file of the bundle, and the compiled files it holds. */
  chunks: Record<string, string[]>;
}

/** The bundle's entry file when it is fresh, else null. */
export function freshBundle(name: BundleName): string | null {
  try {
    const record = JSON.parse(readFileSync(bundleRecord(name), 'utf8')) as BundleRecordData;
    const entry = path.join(packageRoot, record.entry);
    const made = statSync(entry).mtimeMs;
    if (record.inputs.length && record.inputs.every((f) => statSync(path.join(packageRoot, f)).mtimeMs <= made)) return entry;
  } catch {
    /* no bundle, or one of its files gone */
  }
  return null;
}
