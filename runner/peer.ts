// The grader's side of the conversation: UDP sockets on ::1 inside the job's
// private network namespace. Each named socket has its own source port and
// its own mailbox, so every reply is attributed to the request that caused it.
// Every datagram either way is also written down in `traffic` (for traces).
// A socket that sent a request behaves as a connected one (connect() in the
// course's client): it takes an answer only from the exact address and port
// the request went to; anything else is kept aside as a stray, never as the answer.
import dgram from 'node:dgram';
import type { Datagram, Packet, StrayDatagram } from './types.js';
import { deadline, remaining, type Deadline } from './wait.js';

export const LOOPBACK = '::1';

/** A socket of the peer's with the port it is bound to, read once: getsockname is a system call a send need not repeat. */
export interface BoundSocket {
  socket: dgram.Socket;
  port: number;
}

export class Mailbox {
  readonly socket: dgram.Socket;
  /** The port this socket is bound to on ::1. */
  readonly port: number;
  private readonly queue: Datagram[] = [];
  private readonly strays: StrayDatagram[] = [];
  private waiter: (() => void) | null = null;
  /** Where this socket's requests went: only a datagram from there is an answer. Null: anyone (a listener). */
  private peerPort: number | null = null;

  constructor(
    bound: BoundSocket,
    private readonly clock: () => number,
    traffic: Packet[] = [],
  ) {
    const { socket, port } = bound;
    this.socket = socket;
    this.port = port;
    socket.on('message', (msg, rinfo) => {
      const got: Datagram = { hex: msg.toString('hex'), atMs: this.clock(), fromPort: rinfo.port };
      traffic.push({ atMs: got.atMs, direction: 'in', srcPort: rinfo.port, dstPort: port, hex: got.hex });
      if (this.peerPort !== null && (rinfo.port !== this.peerPort || rinfo.address !== LOOPBACK)) {
        this.strays.push({ hex: got.hex, atMs: got.atMs, fromAddress: rinfo.address, fromPort: rinfo.port, toPort: port, expectedPort: this.peerPort });
      } else {
        this.queue.push(got);
      }
      this.waiter?.();
    });
  }

  /** From now on this socket takes answers only from [::1]:port, as a socket connect()-ed there would. */
  connectTo(port: number): void {
    this.peerPort = port;
  }

  /** Takes the next datagram, waiting for it until the deadline or until `abort` resolves. */
  async next(d: Deadline, abort: Promise<unknown>): Promise<Datagram | null> {
    if (this.queue.length) return this.queue.shift()!;
    // An answer from elsewhere is the program's answer, sent to the wrong place:
    // a connected client would wait in vain, so the grader need not wait on.
    if (this.strays.length) return null;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        this.waiter = resolve;
        timer = setTimeout(resolve, remaining(d));
      }),
      abort,
    ]);
    clearTimeout(timer);
    this.waiter = null;
    return this.queue.shift() ?? null;
  }

  drain(): Datagram[] {
    return this.queue.splice(0);
  }

  /** The datagrams that came from somewhere else than the address the requests went to. */
  drainStrays(): StrayDatagram[] {
    return this.strays.splice(0);
  }

  /** Resolves as soon as a datagram is waiting, without taking it. */
  pending(): Promise<void> {
    if (this.queue.length) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('message', () => resolve()));
  }
}

function bind(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/**
 * Sockets bound ahead to ephemeral ports of ::1, for Peer.socket to take
 * before it binds one anew: a test of 200 requests from 200 source ports then
 * spends no time binding them, the job having bound them while the build ran.
 * Nothing can reach one before it is taken: no one knows its port.
 */
const spares: BoundSocket[] = [];

/**
 * The peer names only address literals (`::1`, `::`): its sockets take them
 * as they are. Node's default, dns.lookup, takes each bind and each send
 * through libuv's thread pool even for a literal (~1 ms each; the first of a
 * process ~8 ms), and a test sends from up to 260 sockets.
 */
function literalAddress(address: string, _family: unknown, callback: (err: Error | null, address: string, family: number) => void): void {
  process.nextTick(callback, null, address, 6);
}

/** A UDP socket of the peer's (IPv6; `ipv6Only`: not IPv4 through a mapped address). */
function peerSocket(ipv6Only: boolean): dgram.Socket {
  return dgram.createSocket({ type: 'udp6', ipv6Only, lookup: literalAddress as unknown as dgram.SocketOptions['lookup'] });
}

/** A socket of the peer's on [::1]:port (0: an ephemeral port, read back once bound); closed again when it cannot bind. */
async function loopbackSocket(port: number): Promise<BoundSocket> {
  const s = peerSocket(true);
  try {
    await bind(s, port, LOOPBACK);
  } catch (err) {
    s.close();
    throw err;
  }
  return { socket: s, port: port || s.address().port };
}

/** Binds `count` spare sockets at once (runner/job/main.ts, during the build); a failure only leaves fewer. */
export async function bindSpareSockets(count: number): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, () =>
      loopbackSocket(0).then(
        (s) => void spares.push(s),
        () => undefined,
      ),
    ),
  );
}

/** Closes the spare sockets no test took (a job's next grade is in another network namespace). */
export function closeSpareSockets(): void {
  for (const s of spares.splice(0)) s.socket.close();
}

export class Peer {
  private readonly sockets = new Map<string, Mailbox>();
  private readonly extra: dgram.Socket[] = [];
  private listener: Mailbox | null = null;
  /** Every datagram sent to the program or received from it, in the order they crossed. */
  readonly traffic: Packet[] = [];

  constructor(private readonly clock: () => number) {}

  /** Sends from `box`, written down before it leaves (its answer cannot be written down first). */
  private transmit(box: Mailbox, hex: string, port: number): Promise<void> {
    const packet: Packet = { atMs: this.clock(), direction: 'out', srcPort: box.port, dstPort: port, hex };
    this.traffic.push(packet);
    return new Promise<void>((resolve, reject) =>
      box.socket.send(Buffer.from(hex, 'hex'), port, LOOPBACK, (err) => {
        if (err) this.traffic.splice(this.traffic.indexOf(packet), 1);
        if (err) reject(err);
        else resolve();
      }),
    );
  }

  /** The socket of that name, bound to an ephemeral port of ::1 on first use. */
  async socket(name: string): Promise<Mailbox> {
    let box = this.sockets.get(name);
    if (!box) {
      box = new Mailbox(spares.pop() ?? (await loopbackSocket(0)), this.clock, this.traffic);
      this.sockets.set(name, box);
    }
    return box;
  }

  async send(name: string, hex: string, port: number): Promise<Mailbox> {
    const box = await this.socket(name);
    box.connectTo(port);
    await this.transmit(box, hex, port);
    return box;
  }

  /** Makes a port taken before the program starts (on ::, so any address of the port clashes). */
  async occupy(port: number): Promise<void> {
    const s = peerSocket(false);
    await bind(s, port, '::');
    this.extra.push(s);
  }

  /** Listens on [::1]:port, for programs that send first (clients). */
  async listen(port: number): Promise<Mailbox> {
    this.listener = new Mailbox(await loopbackSocket(port), this.clock, this.traffic);
    return this.listener;
  }

  get listening(): Mailbox | null {
    return this.listener;
  }

  async reply(to: Datagram, hex: string): Promise<void> {
    const box = this.listener;
    if (!box || to.fromPort === undefined) return;
    // Back to the port the request came from, from the port it went to: what a connect()-ed client waits for.
    await this.transmit(box, hex, to.fromPort).catch(() => undefined); // a program gone: nothing to answer
  }

  close(): void {
    for (const box of this.sockets.values()) box.socket.close();
    this.listener?.socket.close();
    for (const s of this.extra) s.close();
    this.sockets.clear();
    this.extra.length = 0;
    this.listener = null;
  }
}

