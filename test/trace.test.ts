// Traces: the datagrams of each test saved as pcapng, read back with the real
// tshark (Debian's `tshark` package), as a student would open them in Wireshark.
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture, runCli, tempDir } from './helpers.js';

interface Row {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  checksum: string;
  data: string;
  comment: string;
}

// Wireshark guesses protocols from UDP payloads (a calculator request can pass
// for QUIC, then "malformed"): its guesses are about the student's bytes, not
// about the file. The payload is read as plain data here, as with "Decode As: none".
let noGuessing: string[] = [];
beforeAll(async () => {
  const r = await execa('tshark', ['-G', 'heuristic-decodes']);
  noGuessing = r.stdout.split('\n').filter((l) => l.startsWith('udp\t')).flatMap((l) => ['--disable-protocol', l.split('\t')[1]!]);
  // Nor by port: a random source port can be another protocol's (41170 is MANOLITO's), which then calls our bytes malformed.
  noGuessing.push('-d', 'udp.port==1-65535,data');
  expect(noGuessing.length).toBeGreaterThan(0);
});

/** Every packet of the capture as tshark dissects it. */
async function tshark(file: string): Promise<Row[]> {
  const r = await execa('tshark', ['-r', file, ...noGuessing, '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=|', '-e', 'ipv6.src', '-e', 'ipv6.dst', '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'udp.checksum.status', '-e', 'data', '-e', 'frame.comment']);
  return r.stdout.split('\n').filter(Boolean).map((line) => {
    const [src, dst, srcPort, dstPort, checksum, data, comment] = line.split('|');
    return { src: src!, dst: dst!, srcPort: Number(srcPort), dstPort: Number(dstPort), checksum: checksum!, data: data!, comment: comment! };
  });
}

/** udp.checksum.status: 1 is "Good" (verified against the pseudo-header), 0 "Bad", 2 "Unverified". */
const GOOD = '1';

/** Packets Wireshark would flag: a bad checksum, a malformed packet, any warning or error. */
async function flagged(file: string): Promise<string> {
  const filter = 'udp.checksum.status == "Bad" || _ws.malformed || _ws.expert.severity >= "Warning"';
  const r = await execa('tshark', ['-r', file, ...noGuessing, '-o', 'udp.check_checksum:TRUE', '-Y', filter]);
  return r.stdout.trim();
}

describe('grade --trace', () => {
  const dir = tempDir();
  const traces = path.join(dir, 'traces');
  let stdout = '';
  beforeAll(async () => {
    const r = await runCli(['grade', 'calculator-server', fixture('calculator-server', 'host-byte-order'), '--trace', traces]);
    expect(r.exitCode, r.stderr).toBe(0);
    stdout = r.stdout;
  });

  it('saves what was sent and what came back, with real ports, readable by tshark', async () => {
    const file = path.join(traces, 'sum-int.pcapng');
    const rows = await tshark(file);
    expect(rows).toHaveLength(2);
    const [request, answer] = rows as [Row, Row];
    expect(request).toMatchObject({ src: '::1', dst: '::1', dstPort: 10000, checksum: GOOD, comment: 'sent by sockgrade to your program' });
    // header 0x50, then 1, 3, 5, 7, 9 in network byte order (tests.yaml)
    expect(request.data).toBe('500000000100000003000000050000000700000009');
    // The server answered from its own port to the port the request came from: its byte-swapped 25.
    expect(answer).toMatchObject({ src: '::1', dst: '::1', srcPort: 10000, dstPort: request.srcPort, checksum: GOOD, comment: 'sent by your program' });
    expect(answer.data).toBe('8019000000');
    expect(await flagged(file)).toBe('');
  });

  it('has the wall-clock time of each datagram', async () => {
    const r = await execa('tshark', ['-r', path.join(traces, 'sum-int.pcapng'), '-T', 'fields', '-e', 'frame.time_epoch']);
    const times = r.stdout.split('\n').map(Number);
    const mtime = Date.now() / 1000;
    for (const t of times) expect(Math.abs(mtime - t)).toBeLessThan(600);
    expect(times[1]!).toBeGreaterThanOrEqual(times[0]!);
  });

  it('names the trace of a failing test in the text report', () => {
    expect(stdout).toMatch(new RegExp(`FAIL\\s+sum-int[^\\n]*\\n(?:\\s{8}.*\\n)*\\s{8}datagrams: ${path.join(traces, 'sum-int.pcapng').replace(/[/.]/g, '\\$&')}`));
  });

  it('writes no trace of a test whose inputs the student may not see', () => {
    const files = readdirSync(traces);
    expect(files).toContain('sum-int.pcapng');
    // one-int has the default visibility (feedback): the mistake, never the inputs.
    expect(files).not.toContain('one-int.pcapng');
    expect(stdout).toMatch(/FAIL\s+one-int/);
    expect(stdout).not.toContain('one-int.pcapng');
  });

  it('writes every test\'s trace in the staff view, and tshark finds nothing wrong in any', async () => {
    const all = path.join(dir, 'all');
    const r = await runCli(['grade', 'calculator-server', fixture('calculator-server', 'host-byte-order'), '--trace', all, '--show-all', '--format', 'json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.tests.find((t: { id: string }) => t.id === 'one-int').trace).toBe(path.join(all, 'one-int.pcapng'));
    for (const f of readdirSync(all)) expect(await flagged(path.join(all, f)), f).toBe('');
    // An empty datagram is a UDP header alone: Wireshark shows it as such, not as an error.
    const empty = await tshark(path.join(all, 'malformed-empty.pcapng'));
    expect(empty[0]).toMatchObject({ dstPort: 10000, data: '', checksum: GOOD });
  });

  it('saves the datagrams of a client: its request to the listening peer, and the answer it got', async () => {
    const out = path.join(dir, 'client');
    const r = await runCli(['grade', 'calculator-client', fixture('calculator-client', 'correct-c'), '--trace', out, '--test', 'sum-int']);
    expect(r.exitCode, r.stderr).toBe(0);
    const rows = await tshark(path.join(out, 'sum-int.pcapng'));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const [request, answer] = rows as [Row, Row];
    expect(request.comment).toBe('sent by your program');
    expect(answer).toMatchObject({ srcPort: request.dstPort, dstPort: request.srcPort, comment: 'sent by sockgrade to your program' });
    expect(await flagged(path.join(out, 'sum-int.pcapng'))).toBe('');
  });

  it('refuses a trace folder it cannot make, in one line (exit 2)', async () => {
    const file = path.join(dir, 'a-file');
    cpSync(fixture('calculator-server', 'correct-c-plain'), path.join(dir, 'sub'), { recursive: true });
    writeFileSync(file, 'x');
    const r = await runCli(['grade', 'calculator-server', path.join(dir, 'sub'), '--trace', path.join(file, 'traces')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--trace .*cannot make the folder/);
  });
});

describe('batch traces', () => {
  it('writes each student\'s traces under OUT/traces/<student>/, named in their text report', async () => {
    const dir = tempDir();
    const subs = path.join(dir, 'class');
    cpSync(fixture('calculator-server', 'host-byte-order'), path.join(subs, 'bob'), { recursive: true });
    cpSync(fixture('calculator-server', 'correct-c-plain'), path.join(subs, 'alice'), { recursive: true });
    const out = path.join(dir, 'grades');
    const r = await runCli(['batch', 'calculator-server', subs, '--out', out, '--jobs', '2']);
    expect(r.exitCode, r.stderr).toBe(0);
    const bob = path.join(out, 'traces', 'bob', 'sum-int.pcapng');
    expect(existsSync(bob)).toBe(true);
    expect((await tshark(bob)).map((row) => row.data)).toEqual(['500000000100000003000000050000000700000009', '8019000000']);
    expect(readFileSync(path.join(out, 'reports', 'bob.txt'), 'utf8')).toContain(`datagrams: ${bob}`);
    // alice passed: her visible tests have traces too, her report names none (nothing failed).
    expect(existsSync(path.join(out, 'traces', 'alice', 'sum-int.pcapng'))).toBe(true);
    expect(readFileSync(path.join(out, 'reports', 'alice.txt'), 'utf8')).not.toContain('datagrams:');
  });
});
