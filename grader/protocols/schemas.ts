// The schemas of every protocol's YAML messages, by protocol name, one line
// each (beside ./registry.ts, which names the protocols themselves). Only the
// task loader imports this: zod and the schemas are for reading YAML, and a
// task read back from the task cache (grader/task/cache.ts) needs neither.
import * as calculator from './calculator/schemas.js';
import * as integers from './integers/schemas.js';
import type { ProtocolSchemas } from './protocol.js';

const schemas: Record<string, ProtocolSchemas> = {
  calculator: calculator,
  integers: { requestSchema: integers.integersSchema, responseSchema: integers.integersSchema, replyExpectSchema: integers.replyExpectSchema, requestExpectSchema: integers.requestExpectSchema },
};

/** The schemas of protocol `name` (a name ./registry.ts knows). */
export function protocolSchemas(name: string): ProtocolSchemas | undefined {
  return schemas[name];
}
