// One cause, one message. When several failing tests were diagnosed with the
// same mistake (byte order fails most tests of a server that forgets htonl()),
// the report states that mistake once, with the tests it explains; each test
// keeps its own feedback in the JSON. The ids come from the protocols'
// findings (Finding.cause); the messages, said once for all, are here.
import type { Cause, TestReport } from './model.js';

/** What each diagnosed mistake is, and what to do, without any test's inputs. */
export const CAUSE_MESSAGES: Record<string, { label: string; message: string }> = {
  'byte-order': {
    label: 'byte order',
    message: 'byte order: integers travel in network byte order; convert each with htonl() before sending and ntohl() after receiving',
  },
  opcode: {
    label: 'opcode',
    message: 'opcode: the sum and the product are mixed up; read the opcode as (header >> 1) & 7',
  },
  'text-nul': {
    label: 'NUL byte',
    message: 'NUL byte: a text answer carries a \\0; send only the digits, the datagram length delimits them',
  },
  'unused-bits': {
    label: 'unused bits',
    message: 'unused bits: valid requests with unused header bits set were refused; ignore the four high bits of the header',
  },
};

/** A cause that explains fewer tests than this is left to the test's own feedback. */
const AT_LEAST = 2;

/**
 * The causes behind the failed tests, in the order of their first test: each
 * with at least two tests. `causeOf`: per test id, the cause its verdict
 * named. A test that passed (or was failed by its control) is not explained.
 */
export function causesOf(tests: TestReport[], causeOf: ReadonlyMap<string, string>): Cause[] {
  const byCause = new Map<string, string[]>();
  for (const t of tests) {
    const id = causeOf.get(t.id);
    if (t.passed || t.result !== 'failed' || !id || !CAUSE_MESSAGES[id]) continue;
    byCause.set(id, [...(byCause.get(id) ?? []), t.id]);
  }
  return [...byCause]
    .filter(([, ids]) => ids.length >= AT_LEAST)
    .map(([id, ids]) => ({ id, message: CAUSE_MESSAGES[id]!.message, tests: ids }));
}

/** The short line a report puts in place of a test's feedback when a cause above explains it. */
export function seeCause(id: string): string {
  return `${CAUSE_MESSAGES[id]?.label ?? id}: see above`;
}

/**
 * The causes as one audience sees them: a test whose feedback it does not see
 * (hidden) does not count, so no cause tells what a hidden test found.
 */
export function visibleCauses(causes: Cause[], tests: TestReport[]): Cause[] {
  const shown = new Set(tests.filter((t) => t.feedback !== '').map((t) => t.id));
  return causes
    .map((c) => ({ ...c, tests: c.tests.filter((id) => shown.has(id)) }))
    .filter((c) => c.tests.length >= AT_LEAST);
}
