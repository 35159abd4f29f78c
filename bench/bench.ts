// `npm run bench [SUITE]`: the speed figures the issues set targets for, each
// a whole process as a user runs it (`sockgrade ...`: bin/sockgrade.js run as a command), beside its
// floors measured in the same run. Figures, not assertions: a loaded machine
// prints slower numbers, it does not fail. A wrong verdict does fail.
import os from 'node:os';
import { benchBatch } from './batch.js';
import { benchClient } from './client.js';
import { benchFunctions } from './functions.js';
import { assertGnuTime } from './measure.js';
import { benchServer } from './server.js';
import { printSection } from './stats.js';

export interface Section {
  title: string;
  lines: [string, string][];
}

const suites: [string, () => Promise<Section>][] = [
  ['server', benchServer],
  ['client', benchClient],
  ['functions', benchFunctions],
  ['batch', benchBatch],
];

async function main(): Promise<number> {
  const only = process.argv[2];
  if (only && !suites.some(([name]) => name === only)) {
    process.stderr.write(`bench: unknown suite '${only}'; known: ${suites.map(([n]) => n).join(', ')}\n`);
    return 2;
  }
  assertGnuTime();
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  process.stdout.write(`sockgrade bench: ${os.cpus().length} cores, node ${process.version}, load average ${load()}\n`);
  process.stdout.write('whole processes; median (min) wall time; CPU = user+sys of the process and its children (GNU time)\n');
  if (process.env.NODE_EXTRA_CA_CERTS) {
    process.stdout.write('NODE_EXTRA_CA_CERTS is set: the floor `node -e 0` reads it as it starts; sockgrade and its jobs start without it\n');
  }
  const started = performance.now();
  for (const [name, run] of suites) {
    if (only && name !== only) continue;
    try {
      const s = await run();
      printSection(s.title, s.lines);
    } catch (err) {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
  }
  process.stdout.write(`\nbench took ${((performance.now() - started) / 1000).toFixed(0)} s; load average now ${load()}\n`);
  return 0;
}

process.exitCode = await main();
