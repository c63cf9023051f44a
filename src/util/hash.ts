/**
 * cyrb53: a fast 53-bit hash of a text (its UTF-16 code units) or of bytes. Enough to tell model
 * files and result keys apart; not for security.
 */
export function cyrb53(input: string | Uint8Array, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  const text = typeof input === 'string' ? input : undefined;
  for (let i = 0; i < input.length; i++) {
    const c = text !== undefined ? text.charCodeAt(i) : (input as Uint8Array)[i];
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
