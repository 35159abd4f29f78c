// A build step (package.json's build, prepare and test scripts, after tsc):
// the grading job, dist/runner/job/start.js and every module of sockgrade's
// own it imports, as one file, job.bundle.js. A job's start is on a single
// grade's critical path (the CLI sends its spec before the job has loaded),
// and Node loads one module faster than thirty: a function task's grade is
// 10-16 ms shorter (docs/speed.md). Beside it, job.bundle.json names the
// files it was made from: job-process.ts starts the bundle only while it is
// at least as new as each of them, and start.js otherwise. Never fails the
// install: without a bundle, jobs start from start.js.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { distRunnerDir, packageRoot } from '../paths.js';
import { JOB_BUNDLE, JOB_BUNDLE_INPUTS } from './job-process.js';

async function main(): Promise<void> {
  const entry = path.join(distRunnerDir, 'job', 'start.js');
  try {
    const { build } = await import('rolldown');
    const result = await build({
      input: entry,
      platform: 'node',
      // Node's own modules stay imports; the job imports no package.
      external: [/^node:/],
      output: { file: JOB_BUNDLE, format: 'esm', codeSplitting: false },
      logLevel: 'warn',
    });
    // The bundler's own helpers have ids that are no files ("\0rolldown/runtime.js").
    const inputs = result.output.flatMap((chunk) => (chunk.type === 'chunk' ? chunk.moduleIds : [])).filter((id) => path.isAbsolute(id));
    writeFileSync(JOB_BUNDLE_INPUTS, JSON.stringify({ inputs: inputs.map((f) => path.relative(packageRoot, f)) }, null, 1) + '\n');
    process.stdout.write(`sockgrade: the grading job bundled from ${inputs.length} modules\n`);
  } catch (err) {
    const why = String((err as Error).message).split('\n')[0];
    process.stderr.write(`sockgrade: the grading job not bundled (${why}); jobs start from ${path.relative(packageRoot, entry)}\n`);
  }
}

await main();
