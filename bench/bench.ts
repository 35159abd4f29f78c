// `npm run bench`: prints the speed figures the issues set targets for.
// Figures, not assertions: a loaded machine prints slower numbers, it does not fail.
import { benchServer } from './server.js';
import { printTable } from './stats.js';

const only = process.argv[2];
const suites: Record<string, () => Promise<Record<string, number>>> = {
  'calculator-server (target: whole < 500 ms, overhead < 20 ms/start)': benchServer,
};

process.stdout.write(`sockgrade bench on ${(await import('node:os')).cpus().length} cores\n`);
for (const [title, run] of Object.entries(suites)) {
  if (only && !title.startsWith(only)) continue;
  printTable(title, await run());
}
