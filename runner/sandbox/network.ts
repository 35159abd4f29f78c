// The job's private network, set up from inside its fresh network namespace:
// loopback, and one more interface that leads nowhere. With loopback alone,
// glibc's getaddrinfo() with AI_ADDRCONFIG (a common hint, and the default of
// Perl's IO::Socket::IP) finds no IPv6 and no IPv4 address "configured" (it
// does not count ::1 and 127.0.0.1) and refuses to resolve even "::1" and "::"
// for AF_INET6. The extra interface carries one unique-local IPv6 and one
// documentation IPv4 address, so that such code sees an ordinary host; the
// namespace has no link to anything outside it and no default route, so the
// interface reaches nothing.
import { execFileSync } from 'node:child_process';

/** The extra interface's name and addresses (host routes only: nothing beyond them is reachable). */
export const EXTRA_INTERFACE = 'sg0';
export const EXTRA_IPV6 = 'fd00:5eed::1';
export const EXTRA_IPV4 = '192.0.2.1';

/**
 * A dummy link drops whatever is sent to it. Where the kernel has no dummy
 * driver, one end of a veth pair whose other end stays down (no carrier, so
 * nothing is ever delivered) does the same.
 */
const LINKS = [
  ['link', 'add', EXTRA_INTERFACE, 'type', 'dummy'],
  ['link', 'add', EXTRA_INTERFACE, 'type', 'veth', 'peer', 'name', 'sg1'],
];

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
 * Brings loopback and the extra interface up, in one `ip` call when the dummy
 * driver is there. Throws with `ip`'s own message when neither kind of link can
 * be made: grading without it would judge such code differently from machine
 * to machine.
 */
export function setUpJobNetwork(): void {
  let lastError: unknown = null;
  for (const add of LINKS) {
    try {
      // A synchronous call, not execa: this runs once per job, and loading execa would cost more than the call.
      execFileSync('ip', ['-batch', '-'], { input: batch(add), stdio: ['pipe', 'ignore', 'pipe'] });
      return;
    } catch (err) {
      lastError = err;
      // A half-made link (added, then an address refused) must not block the next kind.
      try {
        execFileSync('ip', ['link', 'del', EXTRA_INTERFACE], { stdio: 'ignore' });
      } catch {
        /* it was never added */
      }
    }
  }
  const stderr = (lastError as { stderr?: Buffer }).stderr?.toString().trim();
  throw new Error(`cannot add a dummy or veth interface (${stderr || (lastError as Error).message}); load the dummy or veth kernel module`);
}
