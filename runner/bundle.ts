// A build step (package.json's build, prepare, test and bench scripts, after
// tsc): the CLI and the grading job, each as few files as the bundler makes
// them (rolldown), in dist/bundle/. Node loads sockgrade's ~70 modules of a
// grade one by one at ~1 ms each; the job's start and the CLI's way to its
// spec are both on a single grade's critical path (docs/speed.md). Beside
// each bundle, a record names the files it was made from: runner/bundles.ts
// runs a bundle only while it is at least as new as each of them. Never
// fails the install: without a bundle, the compiled modules run as before.
import { rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUNDLE_DIR, bundleRecord, type BundleName, type BundleRecordData } from './bundles.js';
import { packageRoot } from './paths.js';

const dist = path.join(packageRoot, 'dist');

const BUNDLES: Record<BundleName, { input: string; out: string; format: 'esm' | 'cjs' }> = {
  // The job as one file: it loads all of it anyway (ES module: its entry awaits at top level).
  job: { input: path.join(dist, 'runner', 'job', 'start.js'), out: 'job.js', format: 'esm' },
  // The CLI split where it imports lazily (each command, an archive reader, a
  // report format): a grade loads its own part only. Packages stay imports.
  // CommonJS: Node's ES module loader costs ~1 ms a file (resolving, linking,
  // a facade per builtin), require() a fraction of it, and a grade loads ~20.
  cli: { input: path.join(dist, 'grader', 'cli', 'main.js'), out: 'cli', format: 'cjs' },
};

async function bundle(name: BundleName): Promise<void> {
  const { build } = await import('rolldown');
  const { input, out, format } = BUNDLES[name];
  // `out` is the bundle's one file, or the folder of its files.
  const target = path.join(BUNDLE_DIR, out);
  const single = out.endsWith('.js');
  // A CommonJS file is named .cjs: the package is "type": "module".
  const ext = format === 'cjs' ? 'cjs' : 'js';
  const result = await build({
    input: { [name]: input },
    platform: 'node',
    external: [/^node:/, /^[^./]/],
    output: single
      ? { file: target, format, codeSplitting: false }
      : { dir: target, format, entryFileNames: `[name].${ext}`, chunkFileNames: `[name]-[hash].${ext}` },
    logLevel: 'warn',
  });
  // The bundler's own helpers have ids that are no files ("\0rolldown/runtime.js").
  const files = (ids: string[]) => ids.filter((id) => path.isAbsolute(id)).map((f) => path.relative(packageRoot, f));
  const chunks: Record<string, string[]> = {};
  for (const chunk of result.output) {
    if (chunk.type === 'chunk') chunks[path.relative(packageRoot, single ? target : path.join(target, chunk.fileName))] = files(chunk.moduleIds);
  }
  const entry = single ? target : path.join(target, `${name}.${ext}`);
  statSync(entry); // made where the record will say
  const inputs = [...new Set(Object.values(chunks).flat())].sort();
  const record: BundleRecordData = { entry: path.relative(packageRoot, entry), inputs, chunks };
  writeFileSync(bundleRecord(name), JSON.stringify(record, null, 1) + '\n');
  process.stdout.write(`sockgrade: ${name} bundled from ${inputs.length} modules into ${Object.keys(chunks).length} file(s)\n`);
}

async function main(): Promise<void> {
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
  for (const name of Object.keys(BUNDLES) as BundleName[]) {
    try {
      await bundle(name);
    } catch (err) {
      const why = String((err as Error).message).split('\n')[0];
      process.stderr.write(`sockgrade: ${name} not bundled (${why}); it runs from its compiled modules\n`);
    }
  }
}

await main();
