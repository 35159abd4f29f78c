// An answer that came back from somewhere else than where the request went.
// The course's client connect()s its socket to the server: such a socket only
// receives datagrams from that exact address and port, so an answer sent from
// another socket (or another port) never reaches it, however right its bytes.
// The runner keeps those datagrams aside (StepObservation.strays); this rule
// says what happened and what to do instead.
import type { StepObservation } from '../../runner/types.js';
import type { StepContext } from '../model/step-context.js';
import type { TestVerdict } from './primitives.js';

/** The verdict for a request answered only from the wrong place, or null when that is not what happened. */
export function strayAnswerVerdict(step: StepObservation, ctx: StepContext | undefined): TestVerdict | null {
  if (step.kind !== 'send' || step.replies.length > 0 || !step.strays?.length) return null;
  const stray = step.strays[0]!;
  const from = stray.fromAddress === '::1' ? `port ${stray.fromPort}` : `[${stray.fromAddress}]:${stray.fromPort}`;
  const where = stray.fromAddress === '::1' ? `${stray.expectedPort}` : `[::1]:${stray.expectedPort}`;
  return {
    result: 'failed',
    feedback:
      `the answer came from ${from}, not from ${where}, where the request went: a client using connect() never receives it; ` +
      'answer with sendto() on the socket that received the request',
    details: `request: ${ctx?.describe ?? 'a datagram'}; answer received from [${stray.fromAddress}]:${stray.fromPort}: ${stray.hex || '(empty)'}`,
  };
}
