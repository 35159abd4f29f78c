// The datagrams of one test as a pcapng capture that Wireshark and tshark
// open: each datagram wrapped in the IPv6 and UDP headers it had on ::1 (real
// ports, a correct UDP checksum, so no "bad checksum" warning distracts from
// the student's own bytes), at its wall-clock time. Pure: packets in, bytes out.
import type { Packet } from '../../runner/types.js';

/** LINKTYPE_RAW: each packet starts with its IP header (the version nibble says IPv6). */
const LINKTYPE_RAW = 101;
const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 0x00000001;
const BLOCK_EPB = 0x00000006;
const OPT_END = 0;
const OPT_COMMENT = 1;
const OPT_IF_NAME = 2;
const OPT_SHB_USERAPPL = 4;
const UDP = 17;
const HOP_LIMIT = 64;
const LOOPBACK = Buffer.from('00000000000000000000000000000001', 'hex');

const pad4 = (n: number) => (4 - (n % 4)) % 4;

function options(list: [code: number, value: string][]): Buffer {
  if (!list.length) return Buffer.alloc(0);
  const parts = list.map(([code, value]) => {
    const v = Buffer.from(value, 'utf8');
    const head = Buffer.alloc(4);
    head.writeUInt16LE(code, 0);
    head.writeUInt16LE(v.length, 2);
    return Buffer.concat([head, v, Buffer.alloc(pad4(v.length))]);
  });
  return Buffer.concat([...parts, Buffer.alloc(4)]); // opt_endofopt
}

/** A block: type, total length, body (padded to 4 bytes), total length again. */
function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length;
  const out = Buffer.alloc(total);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(total, 4);
  body.copy(out, 8);
  out.writeUInt32LE(total, total - 4);
  return out;
}

/** One's-complement sum of 16-bit words (RFC 1071), not yet complemented. */
function onesSum(buffers: Buffer[]): number {
  let sum = 0;
  for (const b of buffers) {
    for (let i = 0; i < b.length; i += 2) sum += (b[i]! << 8) | (i + 1 < b.length ? b[i + 1]! : 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The IPv6 packet ::1 -> ::1 carrying `payload` in a UDP datagram. */
export function ipv6Udp(srcPort: number, dstPort: number, payload: Buffer): Buffer {
  const udpLength = 8 + payload.length;
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(srcPort, 0);
  udp.writeUInt16BE(dstPort, 2);
  udp.writeUInt16BE(udpLength, 4);
  // Pseudo-header (RFC 8200 8.1): source, destination, upper-layer length, next header.
  const pseudo = Buffer.alloc(40);
  LOOPBACK.copy(pseudo, 0);
  LOOPBACK.copy(pseudo, 16);
  pseudo.writeUInt32BE(udpLength, 32);
  pseudo[39] = UDP;
  const sum = ~onesSum([pseudo, udp, payload.length % 2 ? Buffer.concat([payload, Buffer.alloc(1)]) : payload]) & 0xffff;
  udp.writeUInt16BE(sum === 0 ? 0xffff : sum, 6); // over IPv6 a zero checksum means "none", which is not allowed
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000, 0); // version 6, traffic class 0, flow label 0
  ip.writeUInt16BE(udpLength, 4);
  ip[6] = UDP;
  ip[7] = HOP_LIMIT;
  LOOPBACK.copy(ip, 8);
  LOOPBACK.copy(ip, 24);
  return Buffer.concat([ip, udp, payload]);
}

function enhancedPacket(atUs: bigint, packet: Buffer, comment: string): Buffer {
  const head = Buffer.alloc(20);
  head.writeUInt32LE(0, 0); // interface 0
  head.writeUInt32LE(Number(atUs >> 32n), 4);
  head.writeUInt32LE(Number(atUs & 0xffffffffn), 8);
  head.writeUInt32LE(packet.length, 12);
  head.writeUInt32LE(packet.length, 16);
  return block(BLOCK_EPB, Buffer.concat([head, packet, Buffer.alloc(pad4(packet.length)), options([[OPT_COMMENT, comment]])]));
}

export interface Capture {
  /** Wall clock of the test's start, ms since the epoch. */
  startedAt: number;
  packets: Packet[];
  /** Said in the capture's header comment (Wireshark: Statistics > Capture File Properties). */
  comment: string;
}

/** The pcapng file: one section, one raw-IP interface (`lo`), one packet per datagram, timestamps in microseconds. */
export function pcapng(capture: Capture): Buffer {
  const shbHead = Buffer.alloc(16);
  shbHead.writeUInt32LE(0x1a2b3c4d, 0); // byte-order magic
  shbHead.writeUInt16LE(1, 4);
  shbHead.writeUInt16LE(0, 6);
  shbHead.writeBigInt64LE(-1n, 8); // section length not given
  const shb = block(BLOCK_SHB, Buffer.concat([shbHead, options([[OPT_COMMENT, capture.comment], [OPT_SHB_USERAPPL, 'sockgrade']])]));

  const idbHead = Buffer.alloc(8);
  idbHead.writeUInt16LE(LINKTYPE_RAW, 0);
  idbHead.writeUInt32LE(0, 4); // no snapshot length limit
  const idb = block(BLOCK_IDB, Buffer.concat([idbHead, options([[OPT_IF_NAME, 'lo']])])); // default if_tsresol: microseconds

  // Stable sort: datagrams written down in the same millisecond keep their order.
  const packets = [...capture.packets].sort((a, b) => a.atMs - b.atMs);
  const epbs = packets.map((p) => {
    const atUs = BigInt(Math.round((capture.startedAt + p.atMs) * 1000));
    const comment = p.direction === 'out' ? 'sent by sockgrade to your program' : 'sent by your program';
    return enhancedPacket(atUs, ipv6Udp(p.srcPort, p.dstPort, Buffer.from(p.hex, 'hex')), comment);
  });
  return Buffer.concat([shb, idb, ...epbs]);
}
