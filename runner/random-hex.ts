// Random bytes from the kernel, as hex: what crypto.randomBytes gives, read
// from /dev/urandom itself. The job needs a few (the report channel's
// nonces), and loading node:crypto for them was ~3 ms of its start, which is
// on a grade's critical path (docs/speed.md).
import { closeSync, openSync, readSync } from 'node:fs';

export function randomHex(bytes: number): string {
  const buf = Buffer.alloc(bytes);
  const fd = openSync('/dev/urandom', 'r');
  try {
    // The kernel gives up to 256 bytes from urandom in one read, never fewer.
    if (readSync(fd, buf, 0, bytes, null) !== bytes) throw new Error('/dev/urandom gave fewer bytes than asked');
  } finally {
    closeSync(fd);
  }
  return buf.toString('hex');
}
