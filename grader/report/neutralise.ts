// Student text (build logs, stderr, feedback quoting what a program sent,
// file and archive entry names) is data: every rendering shows it, none obeys
// it. One rule says which characters are never written as they are; each
// target (terminal, JSON, XML, HTML, reStructuredText) then adds its own
// escaping on top. The report structure itself keeps the text unchanged:
// only renderings neutralise.

/**
 * What no rendering writes raw:
 * - C0 controls except tab and line feed: ESC starts terminal sequences (clear
 *   the screen, move the cursor, paint a fake score), CR overwrites a line,
 *   VT, FF, FS, GS and RS end a line for docutils, most are not XML at all;
 * - DEL and the C1 controls: U+009B is CSI to a terminal, U+0085 a line break;
 * - U+2028 and U+2029, line and paragraph separators (line breaks to docutils);
 * - the bidi embedding, override and isolate controls: they reorder what is
 *   displayed, so "001/001 :erocs" could read as "score: 100/100" on a page;
 * - lone surrogates and U+FFFE/U+FFFF: not text, and not XML.
 * A CR LF pair is a line ending, kept as a line feed.
 */
const UNSAFE = /\r\n|[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]/gu;

/**
 * One character as visible ASCII, the way C and Python write it (\r, \x1b,
 * \x85, \u2028): a student finds the byte their program printed, the same
 * notation names a non-UTF-8 byte of a file name (\xe9), and it survives every
 * target unchanged. A backslash already in the text is left alone, so a name
 * escaped upstream stays readable (no \\xe9); the JSON report is the exact record.
 */
function escaped(c: string): string {
  if (c === '\r') return '\\r';
  if (c === '\n') return '\\n';
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Text that may span lines: every unsafe character shown as an escape; tabs and line feeds kept. */
export function visibleText(s: string): string {
  return s.replace(UNSAFE, (c) => (c === '\r\n' ? '\n' : escaped(c)));
}

/** Text that must stay on one line (a name, an id, a path): line feeds shown as \n too. */
export function visibleLine(s: string): string {
  return visibleText(s).replace(/\n/g, escaped);
}

// ---- terminal -------------------------------------------------------------

/**
 * Several lines for a terminal, each indented by `pad` (the first one too):
 * a student's line can never start at the left margin, where the report's
 * own lines (the score) are.
 */
export function terminalBlock(s: string, pad: string): string {
  return visibleText(s)
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

// ---- JSON -----------------------------------------------------------------

// What JSON.stringify leaves raw although a terminal or a page would act on it.
const JSON_RAW = /[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]/g;

/**
 * JSON text whose strings hold the data unchanged (a parser reads back the
 * same characters) but written with \uXXXX escapes for every unsafe one, so
 * printing the JSON to a terminal is safe too. JSON.stringify escapes C0
 * controls and lone surrogates itself; these can occur only inside strings.
 */
export function jsonSafe(json: string): string {
  return json.replace(JSON_RAW, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// ---- XML (JUnit) ----------------------------------------------------------

/** Element text: unsafe characters as escapes (most are not XML 1.0 even as references), then markup. */
export function xmlText(s: string): string {
  return visibleText(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value: quotes and line breaks too (a parser would fold raw ones to spaces). */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

// ---- HTML -----------------------------------------------------------------

/** Text or an attribute value in HTML. */
export function htmlText(s: string): string {
  return visibleText(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

// ---- reStructuredText (INGInious) ----------------------------------------

/**
 * Text reStructuredText must show as written, inside a line: whitespace runs
 * become one space, and the characters that open inline markup are escaped:
 * emphasis, literals, roles, references, substitutions (\ * ` _ |), and ':'
 * (a "javascript:..." in the text would become a link; "::" a literal block).
 */
export function rstInline(s: string): string {
  return visibleText(s).replace(/\s+/g, ' ').trim().replace(/[\\*`_|:]/g, '\\$&');
}

/**
 * Several lines as a line block ("| " per line), indented by `by`: its lines
 * hold inline text only, so nothing in them can start a list, a title or a
 * directive; no other line break than ours is left to end a line.
 */
export function rstLines(text: string, by: number): string {
  const pad = ' '.repeat(by);
  return visibleText(text)
    .trim()
    .split('\n')
    .map((l) => (l.trim() ? `${pad}| ${rstInline(l)}` : `${pad}|`))
    .join('\n');
}

/**
 * A literal block (`::` then the text), indented by `by`: shown verbatim in a
 * fixed-width font. Every line of the text is indented 4 more than the `::`,
 * and the only line breaks left are ours, so no line of the text can end the
 * block and start markup of its own (a `.. raw:: html` directive).
 * Empty when the text is blank (docutils warns about a `::` with no block).
 */
export function rstLiteral(text: string, by: number): string {
  const body = visibleText(text).replace(/\t/g, '    ').replace(/\s+$/, '');
  if (!body.trim()) return '';
  const pad = ' '.repeat(by + 4);
  const lines = body.split('\n').map((l) => (l.trim() ? pad + l : ''));
  return `${' '.repeat(by)}::\n\n${lines.join('\n')}\n`;
}
