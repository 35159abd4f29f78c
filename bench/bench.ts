// `npm run bench [NAME]`: prints the speed figures the issues set targets for.
// Figures, not assertions: a loaded machine prints slower numbers, it does not fail.
import os from 'node:os';
import { benchBatch } from './batch.js';
import { benchClient } from './client.js';
import { benchFunctions } from './functions.js';
import { benchServer } from './server.js';
import { printTable } from './stats.js';

const suites: [string, string, () => Promise<Record<string, number>>][] = [
  ['server', 'calculator-server (target: whole < 500 ms, sandbox overhead < 20 ms per start)', benchServer],
  ['client', 'calculator-client (target: whole < 3 s)', benchClient],
  ['functions', 'C-function tasks sockets-* (target: each < 1 s whole)', benchFunctions],
  ['batch', 'batch of 40 calculator-server submissions (target: < 20 s at 2 jobs)', benchBatch],
];

const only = process.argv[2];
if (only && !suites.some(([name]) => name === only)) {
  process.stderr.write(`bench: unknown suite '${only}'; known: ${suites.map(([n]) => n).join(', ')}\n`);
  process.exit(2);
}
process.stdout.write(`sockgrade bench on ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(2)}\n`);
for (const [name, title, run] of suites) {
  if (only && name !== only) continue;
  printTable(title, await run());
}
