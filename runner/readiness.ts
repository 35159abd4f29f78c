// "Is the program's port bound yet?" asked of the job's own network namespace.
// /proc/net/udp6 lists every UDP socket there; the namespace is private, so
// only the program and the peer can appear in it.
import { readFileSync } from 'node:fs';

function boundPorts(table: '/proc/net/udp6' | '/proc/net/udp'): Set<number> {
  const ports = new Set<number>();
  let text = '';
  try {
    text = readFileSync(table, 'utf8');
  } catch {
    return ports;
  }
  for (const line of text.split('\n').slice(1)) {
    const local = line.trim().split(/\s+/)[1]; // ADDRESS:PORT, port in hex
    if (!local) continue;
    ports.add(parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
  }
  return ports;
}

export function udp6PortBound(port: number): boolean {
  return boundPorts('/proc/net/udp6').has(port);
}

/** The port is bound on IPv4 only: an AF_INET socket where AF_INET6 was asked for. */
export function udp4PortBound(port: number): boolean {
  return boundPorts('/proc/net/udp').has(port);
}
