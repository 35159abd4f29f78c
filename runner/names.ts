// File names as the kernel has them: bytes, not necessarily UTF-8. A name is
// kept as a Buffer path while it is used (so `Jos\xe9` is opened, not a
// mangled `Jos\uFFFD`), and shown through escapeName, which any report or
// message may reuse: one printable line, and two different names never show
// the same.
import path from 'node:path';

/** A path as fs takes it: a string when it is valid UTF-8, else its bytes. */
export type FsPath = string | Buffer;

/** Length of the valid UTF-8 sequence starting at `i`, or 0 (overlong, surrogate, cut, beyond U+10FFFF). */
function utf8Length(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number) => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const c1 = b[i + 1] ?? 0;
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return 0;
    return cont(1) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const c1 = b[i + 1] ?? 0;
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return 0;
    return cont(1) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

export function isUtf8(b: Buffer): boolean {
  for (let i = 0; i < b.length; ) {
    const n = utf8Length(b, i);
    if (!n) return false;
    i += n;
  }
  return true;
}

const hex = (n: number) => `\\x${n.toString(16).padStart(2, '0')}`;
// The reports' notation (grader/report/neutralise.ts), as C and Python write it: \u202e, \U000e0001.
const unicode = (cp: number) => (cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`);
// Control, format (bidi overrides, zero-width) and line/paragraph separators: a name must not move or hide text.
const UNSHOWABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * A name (or path) for people: valid UTF-8 shown as is, except `\` as `\\`,
 * control and invisible characters as `\xNN` / `\uNNNN` / `\UNNNNNNNN`, and bytes that are
 * not UTF-8 as `\xNN` (`Jos\xe9`).
 */
export function escapeName(name: FsPath): string {
  const b = typeof name === 'string' ? Buffer.from(name) : name;
  let out = '';
  for (let i = 0; i < b.length; ) {
    const n = utf8Length(b, i);
    if (!n) {
      out += hex(b[i]!);
      i++;
      continue;
    }
    const ch = b.subarray(i, i + n).toString('utf8');
    if (ch === '\\') out += '\\\\';
    else if (UNSHOWABLE.test(ch)) out += n === 1 ? hex(b[i]!) : unicode(ch.codePointAt(0)!);
    else out += ch;
    i += n;
  }
  return out;
}

/** A path for a report: as given when it is a string, escaped when it is bytes. */
export function showPath(p: FsPath): string {
  return typeof p === 'string' ? p : escapeName(p);
}

/** `name` (bytes) inside `dir`: a string path while both are UTF-8, else a Buffer path. */
export function joinName(dir: FsPath, name: Buffer): FsPath {
  if (typeof dir === 'string' && isUtf8(name)) return path.join(dir, name.toString('utf8'));
  const d = typeof dir === 'string' ? Buffer.from(dir) : dir;
  return Buffer.concat([d, d[d.length - 1] === 0x2f ? Buffer.alloc(0) : Buffer.from('/'), name]);
}

/** The last component of a path, as bytes. */
export function baseName(p: FsPath): Buffer {
  const b = typeof p === 'string' ? Buffer.from(p) : p;
  let end = b.length;
  while (end > 1 && b[end - 1] === 0x2f) end--;
  return b.subarray(b.lastIndexOf(0x2f, end - 1) + 1, end);
}
