/**
 * Seeded pseudo-random numbers that are the same on every platform: the fact-check split, the
 * unrelated fact of an intervention, generated test models and the fact-set builder's draws
 * all depend on them, so a seed must always give the same sequence.
 */

/** mulberry32: a small 32-bit generator of uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from a number and a text (FNV-1a): one independent stream per name. */
export function hashSeed(seed: number, text: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
