// The rules every path of a function must keep (grader/kinds/function/discipline.ts),
// from report lines as the shim and the harness write them
// (runner/harness/faults.c, sockgrade_harness.h): what a student is told, and
// when a verdict is left alone. The same rules on real runs: functions.test.ts
// and the fixtures (ignores-connect-failure, leaks-socket-on-failure,
// small-sockaddr-recvfrom, checks-recv-too-late).
import { describe, expect, it } from 'vitest';
import { readRunReport } from '../runner/harness/report.js';
import { withDiscipline } from '../grader/kinds/function/discipline.js';
import type { TestVerdict } from '../grader/verdict/primitives.js';

const FN = 'recv_and_handle_message()';
const PASSED: TestVerdict = { result: 'success', feedback: '' };
// A server function's test: the peer sends it a request (a send step) on port 10000.
const NO_FAULT = { after: { returns: 0 }, port: 10000, steps: [{ kind: 'send' }] };
const FAULT = { fail: [{}], after: { returns: -1 }, port: 10000, steps: [{ kind: 'send' }] };

function run(...lines: string[]) {
  return readRunReport(['harness loaded', 'harness calling', ...lines]);
}

describe('stop at the first failure', () => {
  it('fails a function that returned -1 after going on past the call the test made fail', () => {
    const r = run(
      'call socket ret=3 errno=0 family=10 type=2',
      'call connect ret=-1 errno=101 fd=3 family=10 port=10000 injected',
      'call send ret=-1 errno=89 fd=3 len=20',
      'harness returned -1',
      'harness open-sockets none',
    );
    const v = withDiscipline('create_and_send_message()', FAULT, r, PASSED);
    expect(v.result).toBe('failed');
    expect(v.feedback).toBe('when a socket call fails, create_and_send_message() must return -1 at once: connect() failed and the function went on to call send()');
  });

  it('lets a function close its socket and return (close() is no socket call the shim records)', () => {
    const r = run('call socket ret=3 errno=0 family=10 type=2', 'call bind ret=-1 errno=98 fd=3 family=10 port=10000 injected', 'harness returned -1', 'harness open-sockets none');
    expect(withDiscipline(FN, FAULT, r, PASSED)).toEqual(PASSED);
  });

  it('keeps the verdict of a function that returned the wrong value: that feedback already says it went on', () => {
    const wrong: TestVerdict = { result: 'failed', feedback: 'when connect() fails (ENETUNREACH), f() must return -1 at once; it returned 0 after going on with send()' };
    const r = run('call connect ret=-1 errno=101 fd=3 injected', 'call send ret=-1 errno=89 fd=3 len=20', 'harness returned 0', 'harness open-sockets none');
    expect(withDiscipline(FN, FAULT, r, wrong)).toEqual(wrong);
  });
});

describe('leak nothing', () => {
  it('names the socket still open when the function returns -1', () => {
    const r = run('call socket ret=3 errno=0 family=10 type=2', 'call bind ret=-1 errno=98 fd=3 family=10 port=10000 injected', 'harness returned -1', 'harness open-sockets 3');
    const v = withDiscipline(FN, FAULT, r, PASSED);
    expect(v.result).toBe('failed');
    expect(v.feedback).toContain('the socket made by socket() is still open when the function returns -1');
    expect(v.details).toContain('descriptor 3');
  });

  it('lets a function keep open the socket it returns', () => {
    const r = run('call socket ret=4 errno=0 family=10 type=2', 'harness returned 4', 'harness open-sockets 4');
    expect(withDiscipline(FN, { after: { returns: 'any' }, port: 10000, steps: [] }, r, PASSED)).toEqual(PASSED);
  });

  it('judges no leak when the harness did not say which sockets were open', () => {
    const r = run('call socket ret=3 errno=0 family=10 type=2', 'harness returned 0');
    expect(r.openSockets).toBeNull();
    expect(withDiscipline(FN, NO_FAULT, r, PASSED)).toEqual(PASSED);
  });
});

describe('the cause, named once', () => {
  const cut = [
    'call socket ret=3 errno=0 family=10 type=2',
    'call bind ret=0 errno=0 fd=3 family=10 port=10000',
    'enter recvfrom fd=3',
    'call recvfrom ret=16 errno=0 fd=3 room=16 addrlen=28 family=10',
    'call sendto ret=-1 errno=101 fd=3 len=4 family=10',
    'harness returned -1',
    'harness open-sockets none',
  ];

  it("names the cut address instead of whatever sendto() said, and keeps the symptom for staff", () => {
    const symptom: TestVerdict = { result: 'failed', feedback: `${FN} returned -1 without answering: sendto() failed with ENETUNREACH`, details: 'socket calls: ...' };
    const v = withDiscipline(FN, NO_FAULT, run(...cut), symptom);
    expect(v).toEqual({
      result: 'failed',
      feedback: "recvfrom() was given room for 16 bytes of address, but an IPv6 sender's address takes 28: use struct sockaddr_in6 or struct sockaddr_storage",
      details: `recvfrom() cut the sender's address to 16 of its 28 bytes; what is sent back to that address goes astray; what it caused: ${symptom.feedback}; socket calls: ...`,
      cause: 'cut-address',
    });
  });

  it('says nothing where nothing broke, and nothing of a room that was big enough', () => {
    expect(withDiscipline(FN, FAULT, run(...cut), PASSED)).toEqual(PASSED);
    const roomy = cut.map((l) => l.replace('room=16', 'room=128'));
    const wrong: TestVerdict = { result: 'failed', feedback: 'wrong sum' };
    expect(withDiscipline(FN, NO_FAULT, run(...roomy), wrong)).toEqual(wrong);
  });

  it('asks for the length to be set when the room given was 0', () => {
    const zero = cut.map((l) => l.replace('room=16 addrlen=28 family=10', 'room=0 addrlen=28 family=-1'));
    const v = withDiscipline(FN, NO_FAULT, run(...zero), { result: 'failed', feedback: 'no answer' });
    expect(v.feedback).toContain('room for 0 bytes of address, but an IPv6 sender');
    expect(v.feedback).toContain('set the length to its size before the call');
  });
});

describe('a datagram sent where it cannot arrive', () => {
  const waited: TestVerdict = { result: 'failed', feedback: 'create_and_send_message() answered, then waited in recv() for another datagram instead of returning: handle one datagram, then return' };

  it('names a request sent to a port other than the one given (a port fixed in the code), not the recv() that waited', () => {
    const r = run('call socket ret=3 errno=0 family=10 type=2', 'call sendto ret=20 errno=0 fd=3 len=20 family=10 port=10000', 'enter recv fd=3');
    const client = { after: { returns: 0 }, port: 41235, steps: [{ kind: 'receive' }] };
    const v = withDiscipline('create_and_send_message()', client, r, waited);
    expect(v.feedback).toBe('create_and_send_message() sent its datagram to another port than the one it was given (a port written in the code?): send to the address passed to the function');
    expect(v.cause).toBe('wrong-destination');
    // The ports are the test's inputs: in details only.
    expect(v.details).toContain('sendto() to port 10000; given port 41235');
    // Sent where it was told: the verdict is left alone.
    expect(withDiscipline('create_and_send_message()', { ...client, port: 10000 }, r, waited)).toEqual(waited);
  });

  it("names an answer a server function sent to its own bound port instead of the sender's", () => {
    const r = run(
      'call socket ret=3 errno=0 family=10 type=2',
      'call bind ret=0 errno=0 fd=3 family=10 port=10000',
      'call recvfrom ret=21 errno=0 fd=3 room=28 addrlen=28 family=10',
      'call sendto ret=5 errno=0 fd=3 len=5 family=10 port=10000',
      'harness returned 0',
      'harness open-sockets none',
    );
    const v = withDiscipline(FN, NO_FAULT, r, { result: 'failed', feedback: `${FN} returned 0 without answering` });
    expect(v.feedback).toBe(`${FN} sent its answer to its own address (the port it bound), not to the sender's: answer to the address recvfrom() filled in`);
    expect(v.details).toContain(`what it caused: ${FN} returned 0 without answering`);
    const right = r.calls.map((c) => (c.name === 'sendto' ? { ...c, port: 53211 } : c));
    expect(withDiscipline(FN, NO_FAULT, { ...r, calls: right }, { result: 'failed', feedback: 'wrong sum' })).toEqual({ result: 'failed', feedback: 'wrong sum' });
  });
});
