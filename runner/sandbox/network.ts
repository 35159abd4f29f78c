// The job's private network, set up from inside its fresh network namespace:
// loopback, and one more interface that leads nowhere. With loopback alone,
// glibc's getaddrinfo() with AI_ADDRCONFIG (a common hint, and the default of
// Perl's IO::Socket::IP) finds no IPv6 and no IPv4 address "configured" (it
// does not count ::1 and 127.0.0.1) and refuses to resolve even "::1" and "::"
// for AF_INET6. The extra interface carries one unique-local IPv6 and one
// documentation IPv4 address, so that such code sees an ordinary host; the
// namespace has no link to anything outside it and no default route, so the
// interface reaches nothing.
import { runQuietly } from '../quiet-command.js';

/** The extra interface's name and addresses (host routes only: nothing beyond them is reachable). */
export const EXTRA_INTERFACE = 'sg0';
export const EXTRA_IPV6 = 'fd00:5eed::1';
export const EXTRA_IPV4 = '192.0.2.1';

/**
 * One end of a veth pair whose other end stays down: no carrier, so nothing
 * sent to it is ever delivered. veth is what container runtimes are built on,
 * so this one `ip` call works nearly everywhere (the dummy driver is often a
 * module that is not loaded, or absent); a dummy link, which drops whatever
 * is sent to it, is the fallback.
 */
const PEER = 'sg1';
const LINKS = [
  ['link', 'add', EXTRA_INTERFACE, 'type', 'veth', 'peer', 'name', PEER],
  ['link', 'add', EXTRA_INTERFACE, 'type', 'dummy'],
];

/** What sets the network up without a process: the job's addon (runner/job/job-addon.c), through rtnetlink. */
export interface NetworkMaker {
  /** Loopback up, then `name` (a veth to `peer`, else a dummy) with `ipv6`/128 and `ipv4`/32, up, as `ip` would; throws what failed. */
  setUpNetwork(name: string, peer: string, ipv6: string, ipv4: string): void;
}

function batch(add: string[]): string {
  return [
    ['link', 'set', 'lo', 'up'],
    add,
    // No link-local address, router solicitations or duplicate detection: the interface carries only these two.
    ['link', 'set', EXTRA_INTERFACE, 'addrgenmode', 'none'],
    ['addr', 'add', `${EXTRA_IPV6}/128`, 'dev', EXTRA_INTERFACE, 'nodad'],
    ['addr', 'add', `${EXTRA_IPV4}/32`, 'dev', EXTRA_INTERFACE],
    ['link', 'set', EXTRA_INTERFACE, 'up'],
  ]
    .map((line) => line.join(' '))
    .join('\n');
}

/**
 * Brings loopback and the extra interface up: through `addon` when the job
 * has it loaded (every grade of a kept job after its first), else in one
 * `ip` call where veth links can be made. Rejects with what failed (`ip`'s
 * own messages) when neither kind of link can be made: grading without it
 * would judge such code differently from machine to machine.
 */
export async function setUpJobNetwork(addon?: NetworkMaker | null): Promise<void> {
  if (addon) {
    try {
      addon.setUpNetwork(EXTRA_INTERFACE, PEER, EXTRA_IPV6, EXTRA_IPV4);
      return;
    } catch (err) {
      throw new Error(`cannot set up the network: ${(err as Error).message}`);
    }
  }
  const failures: string[] = [];
  for (const add of LINKS) {
    try {
      // `ip -batch` stops at the first failing line: when the link cannot be added, nothing was changed.
      await runQuietly('ip', ['-batch', '-'], batch(add));
      return;
    } catch (err) {
      failures.push(`${add[add.indexOf('type') + 1]}: ${(err as Error).message}`);
    }
  }
  throw new Error(`cannot add a network interface (${failures.join('; ')}); load the veth or dummy kernel module`);
}
