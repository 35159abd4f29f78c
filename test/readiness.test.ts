// "Is the program's port bound yet?" (runner/readiness.ts), asked both ways
// on this machine's loopback: of the kernel through the job's addon, and of
// /proc's tables, which the job reads where the addon cannot be built.
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { loadJobAddon } from '../runner/job/addon.js';
import { askKernel, udp4PortBound, udp6PortBound } from '../runner/readiness.js';
import { compileJobAddon } from '../runner/sandbox/native.js';
import { deadline, waitUntil, withDeadline } from '../runner/wait.js';

async function bound(type: 'udp4' | 'udp6', address: string): Promise<{ socket: dgram.Socket; port: number }> {
  const socket = dgram.createSocket({ type, ipv6Only: type === 'udp6' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => resolve());
  });
  return { socket, port: socket.address().port };
}

/** A port nothing holds: one bound and closed again (another process taking it meanwhile is unlikely). */
async function freedPort(): Promise<number> {
  const { socket, port } = await bound('udp6', '::1');
  await new Promise<void>((r) => socket.close(() => r()));
  return port;
}

afterEach(() => askKernel(null));

describe('readiness', () => {
  for (const way of ['the kernel, through the job\'s addon', '/proc/net/udp6 and /proc/net/udp'] as const) {
    it(`sees a bound port, on IPv6 or IPv4 only, and not a free one: asked of ${way}`, async () => {
      const answers: (boolean | null)[] = [];
      if (way.startsWith('the kernel')) {
        const file = await compileJobAddon();
        expect(file, 'the addon builds where Node\'s headers are installed').not.toBeNull();
        const addon = loadJobAddon(file!);
        expect(addon).not.toBeNull();
        expect(addon!.udpPortBound(6, 1), 'this kernel answers socket diagnostics for UDP').not.toBeNull();
        // Every answer below must come from the kernel: a null would have sent readiness to /proc.
        askKernel({ udpPortBound: (family, port) => (answers.push(addon!.udpPortBound(family, port)), answers.at(-1)!) });
      }
      const v6 = await bound('udp6', '::1');
      const v4 = await bound('udp4', '127.0.0.1');
      const free = await freedPort();
      try {
        expect(udp6PortBound(v6.port)).toBe(true);
        expect(udp4PortBound(v6.port)).toBe(false);
        expect(udp4PortBound(v4.port)).toBe(true);
        expect(udp6PortBound(v4.port)).toBe(false);
        expect(udp6PortBound(free)).toBe(false);
        if (way.startsWith('the kernel')) expect(answers).toEqual([true, false, true, false, false]);
      } finally {
        v6.socket.close();
        v4.socket.close();
      }
    });
  }

  it('looks for the port as soon as the program reports its bind, not at the next poll', async () => {
    const port = await freedPort();
    let poke: (() => void) | null = null;
    // A poll a minute apart: only the wake-up can end this wait in time.
    const waiting = waitUntil(() => udp6PortBound(port), deadline(60_000), {
      intervalMs: 60_000,
      wake: (p) => ((poke = p), () => (poke = null)),
    });
    const socket = dgram.createSocket({ type: 'udp6', ipv6Only: true });
    await new Promise<void>((resolve) => socket.bind(port, '::1', () => resolve()));
    try {
      expect(poke, 'subscribed while it waits').not.toBeNull();
      poke!();
      expect(await withDeadline(waiting, deadline(10_000))).toBe(true);
      expect(poke, 'unsubscribed once done').toBeNull();
    } finally {
      socket.close();
    }
  });
});
