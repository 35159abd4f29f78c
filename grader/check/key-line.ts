// Where a top-level key of a YAML file is: the line a check about that key
// points CI at (task.yaml `limits`, an expect.yaml's `score`, ...).
import { YamlFile } from '../task/yaml-file.js';
import { shown } from './well-formed.js';

/** The line of `key` (a top-level key) in a YAML file, 1 when it has none. */
export function keyLine(file: string, key: string): { file: string; line: number } {
  const y = YamlFile.read(file);
  const has = y.ok && Object.hasOwn((y.data() ?? {}) as object, key);
  return { file: shown(file), line: has ? y.position([], key).line : 1 };
}
