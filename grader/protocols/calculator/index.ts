// The calculator protocol (docs/exercises.md) as the grader uses it: its
// codec (./codec.ts), the checks of what a program sent (./checks.ts) and the
// mistakes a wrong datagram or printed result reveals (./diagnoses.ts).
import type { Protocol } from '../protocol.js';
import { checkReply, checkRequest, expectationProblem, referenceReply, type ReplyExpect, type RequestExpect } from './checks.js';
import * as calc from './codec.js';
import { explainResult } from './diagnoses.js';

export const calculatorProtocol: Protocol = {
  name: 'calculator',
  buildRequest(spec, random) {
    const req = calc.resolveRequest(spec as calc.RequestSpec, random);
    return { datagram: calc.encodeRequest(req), resolved: req, describe: calc.describeRequest(req) };
  },
  requestFromRaw(datagram) {
    const req = calc.requestFromRaw(datagram);
    return { resolved: req, describe: calc.describeRequest(req) };
  },
  buildResponse(spec) {
    return calc.encodeResponse(spec as calc.ResponseSpec);
  },
  checkReply: (expect, request, reply, history) => checkReply(expect as ReplyExpect, request as calc.Request, reply, history),
  checkRequest: (expect, got) => checkRequest(expect as RequestExpect, got),
  explainResult,
  expectationProblem: (expect, request) => expectationProblem(expect as ReplyExpect, request as calc.Request),
  referenceReply: (expect, request) => referenceReply(expect as ReplyExpect, request as calc.Request),
};
