/**
 * Text files as editors save them: UTF-8 with or without a byte order mark, or UTF-16 (little
 * or big endian) with one. Browsers' `Blob.text()` and Node's readers both assume UTF-8, so
 * every text file the app reads (fact uploads, config.json, tokenizer.json) goes through here.
 */
export function decodeText(bytes: Uint8Array): string | undefined {
  const encoding =
    bytes[0] === 0xff && bytes[1] === 0xfe
      ? 'utf-16le'
      : bytes[0] === 0xfe && bytes[1] === 0xff
        ? 'utf-16be'
        : 'utf-8';
  try {
    // The decoder drops the byte order mark of its own encoding.
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** What to tell the user about a file decodeText cannot read. */
export const NOT_TEXT =
  'it is not text in UTF-8, or in UTF-16 with a byte order mark; save it as UTF-8';

/**
 * A value as an error message quotes it: as JSON, cut to about `max` characters. A value from a
 * hostile file may be megabytes long, or nested too deeply for JSON.stringify (which then
 * throws a RangeError instead of the error being reported).
 */
export function quoted(value: unknown, max = 100): string {
  let text: string;
  try {
    text =
      JSON.stringify(typeof value === 'string' ? value.slice(0, max + 1) : value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? '[a deeply nested list]' : '{a deeply nested object}';
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Items for a message: the first `max`, then how many more. */
export function listed(items: readonly string[], max = 5): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}
