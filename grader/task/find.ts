// Where tasks are: the task folders of a tasks folder, and a task named by id
// or path. File-system checks only, so that finding a task loads neither the
// YAML parser nor the schemas (grader/task/cache.ts, grader/cli/values.ts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Folder names under tasks/ that hold a task.yaml. */
export function listTaskIds(tasksDir: string): string[] {
  if (!existsSync(tasksDir)) return [];
  return readdirSync(tasksDir)
    .filter((name) => existsSync(path.join(tasksDir, name, 'task.yaml')))
    .sort();
}

/** A task id (folder under tasksDir) or a path to a task folder. */
export function resolveTaskDir(task: string, tasksDir: string): string | null {
  const candidates = [path.resolve(task), path.join(tasksDir, task)];
  for (const dir of candidates) {
    if (existsSync(path.join(dir, 'task.yaml')) && statSync(dir).isDirectory()) return dir;
  }
  return null;
}
