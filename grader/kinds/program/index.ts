// The program kind of task (`kind: program`, the default): a server or client
// sockgrade starts and talks to with datagrams. Its YAML is read by ./read.ts
// (its `after:` by after.ts), its verdict decided by verdict.ts (with client-checks.ts).
import type { TaskKind } from '../kind.js';
import { mayShareStart } from './share.js';
import { decideProgramVerdict, programNoun } from './verdict.js';

export const programKind: TaskKind = {
  name: 'program',
  // A server test that makes a call fail and sends nothing may end before it binds: no use waiting for the port.
  waitsForPort: (steps, fail) => steps.length > 0 || fail.length === 0,
  buildFiles: () => ({}),
  // Any test may make socket calls fail (`fail:`). Every test runs with the faults shim where it
  // can be preloaded, observe-only when nothing fails: its record of the socket calls names a
  // cause the datagrams alone cannot (a receive that cut the client's address).
  planProgram: (_task, test, shim) => (test.fail?.length ? { calls: { fail: test.fail } } : shim ? { calls: { fail: [] } } : {}),
  planJob: () => ({}),
  mayShareStart,
  who: programNoun,
  decideVerdict: decideProgramVerdict,
};
