// `fail:` of a test, any kind of task: which socket calls the faults shim
// (runner/harness/faults.c) makes fail, checked with positions like the rest
// of the test and resolved into what the plan needs (errno names to numbers).
import { constants as osConstants } from 'node:os';
import { z } from 'zod';
import type { FaultPlan } from '../../runner/types.js';
import type { YamlFile } from './yaml-file.js';

/** The calls the faults shim can make fail (runner/harness/faults.c). */
export const FAULTABLE_CALLS = ['socket', 'bind', 'connect', 'send', 'sendto', 'sendmsg', 'write', 'recv', 'recvfrom', 'recvmsg', 'read'] as const;
type FaultableCall = (typeof FAULTABLE_CALLS)[number];

/** What a failing call sets when the test names no errno: what that call really returns on a bad day. */
const DEFAULT_ERRNO: Record<FaultableCall, string> = {
  socket: 'EMFILE',
  bind: 'EADDRINUSE',
  connect: 'ECONNREFUSED',
  send: 'ENOBUFS',
  sendto: 'ENOBUFS',
  sendmsg: 'ENOBUFS',
  write: 'ENOBUFS',
  recv: 'ECONNREFUSED',
  recvfrom: 'ECONNREFUSED',
  recvmsg: 'ECONNREFUSED',
  read: 'ECONNREFUSED',
};

const ERRNOS = osConstants.errno as Record<string, number>;

const faultSchema = z
  .object({
    /** One call, or several that count as one (e.g. [send, sendto, write]: "sending"). */
    call: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.enum(FAULTABLE_CALLS)).min(1)),
    errno: z.string().refine((e) => e in ERRNOS, { message: 'an errno name such as EADDRINUSE, ECONNREFUSED, ENOBUFS' }).optional(),
    /** Only the nth such call fails (1 = the first); 0 (default): every one. */
    nth: z.number().int().min(0).default(0),
  })
  .strict();

/** `fail:` of a test: one fault, or a list of them. */
export function readFaults(file: YamlFile, value: unknown, at: PropertyKey[]): FaultPlan[] | null {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) {
    file.problem(at, 'fail: give a call to make fail, e.g. {call: bind, errno: EADDRINUSE}');
    return null;
  }
  const faults = list.map((item, i) => file.validate(faultSchema, item, Array.isArray(value) ? [...at, i] : at));
  if (faults.some((f) => f === null)) return null;
  return faults.map((f) => ({ calls: f!.call, errno: ERRNOS[f!.errno ?? DEFAULT_ERRNO[f!.call[0]!]]!, nth: f!.nth }));
}
