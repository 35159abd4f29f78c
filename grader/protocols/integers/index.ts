// Datagrams of bare integers (tasks 1-3) as the grader uses them: the codec
// (./codec.ts), the checks of what a program sent (./checks.ts) and the
// mistakes a wrong datagram reveals (./diagnoses.ts).
import type { Protocol } from '../protocol.js';
import { checkReply, checkRequest, expectationProblem, type ReplyExpect, type RequestExpect } from './checks.js';
import * as ints from './codec.js';

export const integersProtocol: Protocol = {
  name: 'integers',
  buildRequest(spec, random) {
    const list = ints.resolveIntegers(spec as ints.IntegersSpec, random);
    return { datagram: ints.encodeIntegers(list), resolved: { ints: list } satisfies ints.Sent, describe: ints.describeIntegers(list) };
  },
  requestFromRaw(datagram) {
    const sent: ints.Sent = { ints: ints.decodeIntegers(datagram) ?? [], rawLength: datagram.length };
    return { resolved: sent, describe: `a raw datagram of ${datagram.length} bytes` };
  },
  buildResponse(spec) {
    return ints.encodeIntegers(ints.resolveIntegers(spec as ints.IntegersSpec, () => 0));
  },
  checkReply: (expect, request, reply) => checkReply(expect as ReplyExpect, request as ints.Sent, reply),
  checkRequest: (expect, got) => checkRequest(expect as RequestExpect, got),
  expectationProblem: (expect, request) => expectationProblem(expect as ReplyExpect, request as ints.Sent),
};
