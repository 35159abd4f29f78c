// The grader's side of the conversation: UDP sockets on ::1 inside the job's
// private network namespace. Each named socket has its own source port and
// its own mailbox, so every reply is attributed to the request that caused it.
// Every datagram either way is also written down in `traffic` (for traces).
import dgram from 'node:dgram';
import type { Datagram, Packet } from './types.js';
import { deadline, remaining, type Deadline } from './wait.js';

export const LOOPBACK = '::1';

export class Mailbox {
  private readonly queue: Datagram[] = [];
  private waiter: (() => void) | null = null;

  constructor(
    readonly socket: dgram.Socket,
    private readonly clock: () => number,
    traffic: Packet[] = [],
  ) {
    const port = socket.address().port;
    socket.on('message', (msg, rinfo) => {
      const got = { hex: msg.toString('hex'), atMs: this.clock(), fromPort: rinfo.port };
      this.queue.push(got);
      traffic.push({ atMs: got.atMs, direction: 'in', srcPort: rinfo.port, dstPort: port, hex: got.hex });
      this.waiter?.();
    });
  }

  /** Takes the next datagram, waiting for it until the deadline or until `abort` resolves. */
  async next(d: Deadline, abort: Promise<unknown>): Promise<Datagram | null> {
    if (this.queue.length) return this.queue.shift()!;
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

export class Peer {
  private readonly sockets = new Map<string, Mailbox>();
  private readonly extra: dgram.Socket[] = [];
  private listener: Mailbox | null = null;
  /** Every datagram sent to the program or received from it, in the order they crossed. */
  readonly traffic: Packet[] = [];

  constructor(private readonly clock: () => number) {}

  /** Sends from `box`, written down before it leaves (its answer cannot be written down first). */
  private transmit(box: Mailbox, hex: string, port: number): Promise<void> {
    const packet: Packet = { atMs: this.clock(), direction: 'out', srcPort: box.socket.address().port, dstPort: port, hex };
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
      const s = dgram.createSocket({ type: 'udp6', ipv6Only: true });
      await bind(s, 0, LOOPBACK);
      box = new Mailbox(s, this.clock, this.traffic);
      this.sockets.set(name, box);
    }
    return box;
  }

  async send(name: string, hex: string, port: number): Promise<Mailbox> {
    const box = await this.socket(name);
    await this.transmit(box, hex, port);
    return box;
  }

  /** Makes a port taken before the program starts (on ::, so any address of the port clashes). */
  async occupy(port: number): Promise<void> {
    const s = dgram.createSocket({ type: 'udp6' });
    await bind(s, port, '::');
    this.extra.push(s);
  }

  /** Listens on [::1]:port, for programs that send first (clients). */
  async listen(port: number): Promise<Mailbox> {
    const s = dgram.createSocket({ type: 'udp6', ipv6Only: true });
    await bind(s, port, LOOPBACK);
    this.listener = new Mailbox(s, this.clock, this.traffic);
    return this.listener;
  }

  get listening(): Mailbox | null {
    return this.listener;
  }

  async reply(to: Datagram, hex: string): Promise<void> {
    const box = this.listener;
    if (!box || to.fromPort === undefined) return;
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

