// Short, readable excerpts of what a program printed, for feedback and details
// (datagrams are shown by hexBytes in protocols/bytes.ts).

/**
 * The first `max` UTF-16 units of a text and `more` when it was longer,
 * never splitting a character in two (half of a surrogate pair is not text).
 */
export function cut(text: string, max: number, more = '...'): string {
  if (text.length <= max) return text;
  const end = /[\ud800-\udbff]/.test(text[max - 1] ?? '') ? max - 1 : max;
  return `${text.slice(0, end)}${more}`;
}

/** Text on one line, cut at `max` characters. */
export function excerpt(text: string, max = 200): string {
  return cut(text.trim().replace(/\s+/g, ' '), max);
}
