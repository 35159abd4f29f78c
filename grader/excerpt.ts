// Short, readable excerpts of what a program sent or printed, for feedback and details.

/** Text on one line, cut at `max` characters. */
export function excerpt(text: string, max = 200): string {
  const t = text.trim().replace(/\s+/g, ' ');
  return t.length > max ? `${t.slice(0, max)}...` : t;
}

/** A datagram's first 24 bytes as spaced hex ("80 00 00 00 19"), and its length when longer. */
export function hexBytes(buf: Buffer): string {
  const shown = buf.subarray(0, 24).toString('hex').replace(/(..)(?!$)/g, '$1 ');
  return buf.length > 24 ? `${shown} ... (${buf.length} bytes)` : shown || '(empty)';
}
