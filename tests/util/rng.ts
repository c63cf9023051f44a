import { mulberry32 } from '../../src/util/random';

/** A small seeded PRNG (mulberry32) so test inputs are the same on every run. */
export const rng = mulberry32;

/** Standard normal samples (Box-Muller). */
export function normals(rand: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - rand();
    const v = rand();
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}
