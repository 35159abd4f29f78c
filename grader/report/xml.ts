// Escaping for the XML formats (JUnit reports of grades and of checks).

// XML 1.0 cannot carry most control characters even escaped, and a student's
// program may print any byte: those are written as visible \xNN text.
const NOT_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlText(s: string): string {
  return s
    .replace(NOT_XML, (c) => `\\x${c.codePointAt(0)!.toString(16).padStart(2, '0')}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** An attribute value: quotes and line breaks too (a parser would fold raw ones to spaces). */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
