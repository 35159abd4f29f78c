// A client's request written with several send()/sendto() calls, as if UDP
// were a byte stream. Each call is a datagram of its own, so the first one is
// judged as the whole request and is too short; what the mistake really is
// shows only when the datagrams that followed it, put back together, make the
// request the step expects. Then the feedback says that instead.
import type { Datagram, StepObservation } from '../../runner/types.js';
import type { Protocol } from '../protocols/protocol.js';
import type { TestVerdict } from './primitives.js';

/**
 * The verdict for a request that came in pieces, or null when it did not:
 * `later` are the datagrams the program sent after the step's one (oldest first).
 */
export function splitRequestVerdict(protocol: Protocol, expect: unknown, step: StepObservation, later: Datagram[]): TestVerdict | null {
  if (step.kind !== 'receive' || !step.datagram) return null;
  const first = Buffer.from(step.datagram.hex, 'hex');
  if (protocol.checkRequest(expect, first) === null) return null;
  const pieces = [first];
  for (const d of later) {
    // Retransmissions of the whole request, or pieces sent from another socket, are not this request's pieces.
    if (d.fromPort !== step.datagram.fromPort) continue;
    pieces.push(Buffer.from(d.hex, 'hex'));
    if (protocol.checkRequest(expect, Buffer.concat(pieces)) === null) {
      const sizes = pieces.map((p) => `${p.length}`).join(' + ');
      return {
        result: 'failed',
        feedback:
          `the request came in ${pieces.length} datagrams (${sizes} bytes): each sendto() is one datagram, ` +
          'and the server reads one datagram as one request; send the whole request with one sendto()',
        details: `datagrams: ${pieces.map((p) => p.toString('hex') || '(empty)').join(', ')}`,
      };
    }
  }
  return null;
}
