import { describe, expect, it } from 'vitest';
import type { HostTensor } from '../../src/weights/types';
import { referenceForward } from './index';
import { randomModel, tinyConfig } from './random-model';
import type { Weights } from './types';

// HF splits the hidden size into heads as consecutive slices (transpose_for_scores /
// _split_heads view [..., heads, head_dim]). Renumbering the units inside one head's slice of
// q, k, v (and the matching inputs of the output projection) is then a symmetry; moving a unit
// into another head is not.

/** perm[i]: which old unit becomes unit i. */
function swap(H: number, a: number, b: number): number[] {
  const perm = Array.from({ length: H }, (_, i) => i);
  [perm[a], perm[b]] = [perm[b], perm[a]];
  return perm;
}

function permuted(t: HostTensor, map: (index: number[]) => number[]): HostTensor {
  const [rows, cols] = t.dims.length === 2 ? t.dims : [1, t.dims[0]];
  const data = new Float32Array(t.data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const [r0, c0] = map([r, c]);
      data[r * cols + c] = t.data[r0 * cols + c0];
    }
  }
  return { dims: t.dims, data };
}

function permuteBert(w: Weights, _H: number, perm: number[]): Weights {
  const out = new Map(w);
  for (let l = 0; l < 2; l++) {
    const b = `bert.encoder.layer.${l}.attention.`;
    for (const n of ['query', 'key', 'value']) {
      out.set(
        `${b}self.${n}.weight`,
        permuted(w.get(`${b}self.${n}.weight`)!, ([r, c]) => [perm[r], c]),
      );
      out.set(
        `${b}self.${n}.bias`,
        permuted(w.get(`${b}self.${n}.bias`)!, ([r, c]) => [r, perm[c]]),
      );
    }
    out.set(
      `${b}output.dense.weight`,
      permuted(w.get(`${b}output.dense.weight`)!, ([r, c]) => [r, perm[c]]),
    );
  }
  return out;
}

function permuteGpt2(w: Weights, H: number, perm: number[]): Weights {
  const out = new Map(w);
  const col = (c: number) => Math.floor(c / H) * H + perm[c % H]; // within the q, k and v sections
  for (let l = 0; l < 2; l++) {
    const b = `transformer.h.${l}.attn.`;
    out.set(
      `${b}c_attn.weight`,
      permuted(w.get(`${b}c_attn.weight`)!, ([r, c]) => [r, col(c)]),
    );
    out.set(
      `${b}c_attn.bias`,
      permuted(w.get(`${b}c_attn.bias`)!, ([r, c]) => [r, col(c)]),
    );
    out.set(
      `${b}c_proj.weight`,
      permuted(w.get(`${b}c_proj.weight`)!, ([r, c]) => [perm[r], c]),
    );
  }
  return out;
}

describe('reference attention heads', () => {
  for (const [type, permute] of [
    ['bert', permuteBert],
    ['gpt2', permuteGpt2],
  ] as const) {
    it(`${type}: heads are consecutive slices of the hidden size`, () => {
      const cfg = tinyConfig(type); // hidden 8, 2 heads of 4
      const w = randomModel(cfg, 1, { std: 0.7 });
      const ids = [1, 5, 2, 7];
      const base = referenceForward(cfg, w, ids).logits;
      const within = referenceForward(cfg, permute(w, 8, swap(8, 0, 1)), ids).logits;
      const across = referenceForward(cfg, permute(w, 8, swap(8, 0, 4)), ids).logits;
      let dWithin = 0;
      let dAcross = 0;
      for (let i = 0; i < base.length; i++) {
        dWithin = Math.max(dWithin, Math.abs(within[i] - base[i]));
        dAcross = Math.max(dAcross, Math.abs(across[i] - base[i]));
      }
      expect(dWithin).toBeLessThan(1e-12);
      expect(dAcross).toBeGreaterThan(1e-6);
    });
  }
});
