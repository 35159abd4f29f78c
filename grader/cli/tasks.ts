// `sockgrade tasks`: one line per task of the tasks folder (id, role, number
// of tests, title); a task that does not load is listed as INVALID, with the
// command that says why. Read from the task cache when it matches
// (grader/task/cache.ts): a listing then parses no YAML.
import path from 'node:path';
import { taskSummary } from '../task/cache.js';
import { listTaskIds } from '../task/find.js';
import { EXIT, UsageError } from './exit.js';
import type { ParsedArgs } from './options.js';
import { isDir, tasksDir } from './values.js';

export async function run(_args: ParsedArgs): Promise<number> {
  const dir = tasksDir();
  // An empty listing would hide the mistake.
  if (!isDir(dir)) throw new UsageError(`tasks folder not found: ${dir}; SOCKGRADE_TASKS must name the folder holding the task folders`);
  for (const id of listTaskIds(dir)) {
    try {
      const t = await taskSummary(path.join(dir, id));
      process.stdout.write(`${id.padEnd(36)} ${t.role.padEnd(7)} ${String(t.tests).padStart(3)} tests  ${t.title}\n`);
    } catch (err) {
      process.stdout.write(`${id.padEnd(36)} INVALID (run: sockgrade check ${id})\n`);
      // The logger is loaded only when there is something to log.
      const { log } = await import('../log.js');
      log.debug({ err }, 'task failed to load');
    }
  }
  return EXIT.ok;
}
