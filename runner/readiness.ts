// "Is the program's port bound yet?" asked of the job's own network namespace.
// The namespace is private, so only the program and the peer can appear in it.
// The job's addon asks the kernel for the one port (socket diagnostics,
// job-addon.c); without it, /proc/net/udp6 lists every UDP socket as text,
// which costs ~1 ms with the peer's few hundred sockets, every poll.
import { readFileSync } from 'node:fs';

export interface PortQuery {
  /** true or false; null when the kernel cannot say (no UDP socket diagnostics). */
  udpPortBound(family: 4 | 6, port: number): boolean | null;
}

let kernel: PortQuery | null = null;

/** From now on, ports are asked of `query` first (the job, once its addon is loaded). */
export function askKernel(query: PortQuery | null): void {
  kernel = query;
}

/** The table lists a socket bound to `port`: its local ADDRESS:PORT field, the port in 4 hex digits. */
function listed(table: '/proc/net/udp6' | '/proc/net/udp', port: number): boolean {
  let text = '';
  try {
    text = readFileSync(table, 'utf8');
  } catch {
    return false;
  }
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return new RegExp(`^\\s*\\d+: [0-9A-F]+:${hex} `, 'm').test(text);
}

function bound(family: 4 | 6, port: number): boolean {
  const answer = kernel?.udpPortBound(family, port) ?? null;
  if (answer !== null) return answer;
  kernel = null; // a kernel without UDP socket diagnostics: not asked again
  return listed(family === 6 ? '/proc/net/udp6' : '/proc/net/udp', port);
}

export function udp6PortBound(port: number): boolean {
  return bound(6, port);
}

/** The port is bound on IPv4 only: an AF_INET socket where AF_INET6 was asked for. */
export function udp4PortBound(port: number): boolean {
  return bound(4, port);
}
