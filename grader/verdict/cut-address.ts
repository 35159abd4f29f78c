// A receive that cut the sender's address to fit: a 16-byte struct sockaddr
// (or a length left at 0) for an IPv6 sender's 28 bytes. Whatever is sent
// back to the cut address goes astray (sendto() fails with EINVAL,
// ENETUNREACH... depending on stack garbage), so this is the cause of the
// missing answer, named instead of the symptom. Read from the faults shim's
// record of the socket calls, for function and program tasks alike.
import type { CallRecord } from '../../runner/harness/report.js';
import type { CauseId } from '../protocols/protocol.js';

const AF_INET6 = 10;

/** The first receive whose sender's address did not fit in the room it was given. */
export function cutAddress(calls: readonly CallRecord[]): CallRecord | null {
  return calls.find((c) => c.ret >= 0 && c.addrRoom !== undefined && c.addrLen !== undefined && c.addrLen > c.addrRoom) ?? null;
}

export function describeCutAddress(c: CallRecord): { feedback: string; details: string; cause: CauseId } {
  const sender = c.family === AF_INET6 || c.addrLen === 28 ? "an IPv6 sender's address takes" : "the sender's address takes";
  const unset = c.addrRoom === 0 ? ' (and set the length to its size before the call)' : '';
  return {
    feedback: `${c.name}() was given room for ${c.addrRoom} bytes of address, but ${sender} ${c.addrLen}: use struct sockaddr_in6 or struct sockaddr_storage${unset}`,
    details: `${c.name}() cut the sender's address to ${c.addrRoom} of its ${c.addrLen} bytes; what is sent back to that address goes astray`,
    cause: 'cut-address',
  };
}
