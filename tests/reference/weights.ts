import type { Weights } from './types';

/** The tensor `name` as raw float32 data, after checking that its shape is `dims`. */
export function tensor(weights: Weights, name: string, dims: readonly number[]): Float32Array {
  const t = weights.get(name);
  if (!t) throw new Error(`reference: missing tensor ${name}`);
  if (t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) {
    throw new Error(`reference: ${name} has shape [${t.dims}], expected [${dims}]`);
  }
  return t.data;
}

/** The first of `prefixes` under which `probe` exists (checkpoints save the body with or without it). */
export function findPrefix(weights: Weights, probe: string, prefixes: readonly string[]): string {
  const found = prefixes.find((p) => weights.has(p + probe));
  if (found === undefined) {
    throw new Error(`reference: no ${probe} under any of the prefixes ${JSON.stringify(prefixes)}`);
  }
  return found;
}

export interface LayerNormParams {
  weight: Float32Array;
  bias: Float32Array;
}

/**
 * LayerNorm parameters at `base` (e.g. `bert.embeddings.LayerNorm`). Old TF-converted BERT
 * checkpoints (mBERT among them) name them gamma/beta; HF renames those on load.
 */
export function layerNorm(weights: Weights, base: string, size: number): LayerNormParams {
  const legacy = !weights.has(`${base}.weight`) && weights.has(`${base}.gamma`);
  return {
    weight: tensor(weights, `${base}.${legacy ? 'gamma' : 'weight'}`, [size]),
    bias: tensor(weights, `${base}.${legacy ? 'beta' : 'bias'}`, [size]),
  };
}
