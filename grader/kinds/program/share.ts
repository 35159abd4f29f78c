// Which server tests may be served by one start of the server: requests and
// their answers, and datagrams that need no answer (a malformed request)
// before the last request. The runner (runner/job/shared-start.ts) plays
// such tests one after the other on one running server and keeps a test's
// observation only when every answer came back byte for byte as the
// protocol's reference (Protocol.referenceReply) and the server is still
// serving; any other outcome, however small, and that test runs again as
// the first of a fresh start (where it is judged), the tests after it sharing
// that start. A test can then fail only as it fails on a fresh server.
import type { StepPlan } from '../../../runner/types.js';
import type { Task, TestSpec } from '../../model/task.js';

export function mayShareStart(task: Task, test: TestSpec, steps: StepPlan[]): boolean {
  const last = steps.at(-1);
  return (
    task.role === 'server' &&
    test.ready === 'port' &&
    test.occupy.length === 0 &&
    !test.fail?.length &&
    test.after.running === true &&
    steps.every((s) => s.kind === 'send' && (s.await === 'none' || s.reference !== undefined)) &&
    // Ends on an answer: anything the server sent for a datagram before it (which needs none) has come by then.
    last?.kind === 'send' && last.await === 'reply'
  );
}
