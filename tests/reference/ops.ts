import type { LayerNormParams } from './weights';
import type { FfnActivations, ForwardOptions } from './types';

// Plain nested-loop building blocks. Activations are float64 [T, D] row-major arrays; weights
// stay float32 and are widened on read.

/** torch.finfo(torch.float32).min: HF's mask value, added to (or substituted for) scores. */
export const MASK_VALUE = -3.4028234663852886e38;

/** torch.nn.Linear: y[t, o] = b[o] + sum_i x[t, i] * W[o, i], W stored [out, in]. */
export function linear(
  x: Float64Array,
  T: number,
  inDim: number,
  weight: Float32Array,
  bias: Float32Array | null,
  outDim: number,
): Float64Array {
  const y = new Float64Array(T * outDim);
  for (let t = 0; t < T; t++) {
    for (let o = 0; o < outDim; o++) {
      let s = bias ? bias[o] : 0;
      for (let i = 0; i < inDim; i++) s += x[t * inDim + i] * weight[o * inDim + i];
      y[t * outDim + o] = s;
    }
  }
  return y;
}

/** HF Conv1D (GPT-2): y[t, o] = b[o] + sum_i x[t, i] * W[i, o], W stored [in, out]. */
export function conv1d(
  x: Float64Array,
  T: number,
  inDim: number,
  weight: Float32Array,
  bias: Float32Array,
  outDim: number,
): Float64Array {
  const y = new Float64Array(T * outDim);
  for (let t = 0; t < T; t++) {
    for (let o = 0; o < outDim; o++) {
      let s = bias[o];
      for (let i = 0; i < inDim; i++) s += x[t * inDim + i] * weight[i * outDim + o];
      y[t * outDim + o] = s;
    }
  }
  return y;
}

/** torch.nn.LayerNorm over the last dimension (biased variance, eps inside the root). */
export function layerNorm(
  x: Float64Array,
  T: number,
  H: number,
  p: LayerNormParams,
  eps: number,
): Float64Array {
  const y = new Float64Array(T * H);
  for (let t = 0; t < T; t++) {
    let mean = 0;
    for (let i = 0; i < H; i++) mean += x[t * H + i];
    mean /= H;
    let variance = 0;
    for (let i = 0; i < H; i++) variance += (x[t * H + i] - mean) ** 2;
    variance /= H;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let i = 0; i < H; i++)
      y[t * H + i] = (x[t * H + i] - mean) * inv * p.weight[i] + p.bias[i];
  }
  return y;
}

export function add(a: Float64Array, b: Float64Array): Float64Array {
  const y = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) y[i] = a[i] + b[i];
  return y;
}

/** Gathers rows `ids` of an embedding table [rows, H]. */
export function embed(
  table: Float32Array,
  rows: number,
  H: number,
  ids: ArrayLike<number>,
): Float64Array {
  const y = new Float64Array(ids.length * H);
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t];
    if (!Number.isInteger(id) || id < 0 || id >= rows) {
      throw new Error(`reference: index ${id} out of range [0, ${rows})`);
    }
    for (let i = 0; i < H; i++) y[t * H + i] = table[id * H + i];
  }
  return y;
}

/**
 * Multi-head scaled dot-product attention over q, k, v [T, H] (heads are consecutive slices of
 * H). Masking follows HF's eager code: a causal mask substitutes MASK_VALUE for future scores
 * (GPT2Attention._attn's torch.where), then (1 - keyMask[j]) * MASK_VALUE is added.
 */
export function attention(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  T: number,
  H: number,
  heads: number,
  causal: boolean,
  keyMask: ArrayLike<number>,
): Float64Array {
  const d = H / heads;
  const scale = 1 / Math.sqrt(d);
  const out = new Float64Array(T * H);
  const scores = new Float64Array(T);
  for (let h = 0; h < heads; h++) {
    const off = h * d;
    for (let i = 0; i < T; i++) {
      let max = -Infinity;
      for (let j = 0; j < T; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += q[i * H + off + c] * k[j * H + off + c];
        s *= scale;
        if (causal && j > i) s = MASK_VALUE;
        s += (1 - keyMask[j]) * MASK_VALUE;
        scores[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = 0; j < T; j++) {
        scores[j] = Math.exp(scores[j] - max);
        sum += scores[j];
      }
      for (let j = 0; j < T; j++) {
        const p = scores[j] / sum;
        for (let c = 0; c < d; c++) out[i * H + off + c] += p * v[j * H + off + c];
      }
    }
  }
  return out;
}

/**
 * The FFN nonlinearity with the tap: `pre` [T, F] (the up-projection output) goes through the
 * activation function; `options.edit` may replace the vector at each (layer, position) before
 * (`tapStage: 'pre'`) or after (`'post'`, default) it. Returns the coefficients fed to the
 * down projection, and records pre/post as used when `record` is given.
 */
export function activateWithTap(
  pre: Float64Array,
  T: number,
  F: number,
  act: (x: number) => number,
  layer: number,
  options: ForwardOptions,
  record: FfnActivations | undefined,
): Float64Array {
  const stage = options.tapStage ?? 'post';
  if (stage === 'gate') {
    throw new Error(
      "reference: tap stage 'gate' needs a gated FFN (LLaMA family); use 'pre' or 'post'",
    );
  }
  const post = new Float64Array(T * F);
  for (let t = 0; t < T; t++) {
    if (options.edit && stage === 'pre') applyEdit(pre, t, F, layer, options);
    for (let f = 0; f < F; f++) post[t * F + f] = act(pre[t * F + f]);
    if (options.edit && stage === 'post') applyEdit(post, t, F, layer, options);
  }
  if (record) {
    record.pre.push(pre);
    record.post.push(post);
  }
  return post;
}

/** silu(x) = x sigmoid(x), HF "silu" (nn.SiLU). */
export function silu(x: number): number {
  // x / (1 + e^-x) overflows harmlessly to -0 for very negative x.
  return x / (1 + Math.exp(-x));
}

/**
 * The gated FFN's coefficients with the tap: c = silu(gatePre) * up, [T, F] each.
 * `options.edit` may replace silu(gate_proj x) before up_proj x multiplies it
 * (`tapStage: 'gate'`) or c itself (`'post'`, default). Records pre (gate_proj x), gate, up and
 * post as used when `record` is given.
 */
export function gatedActivateWithTap(
  gatePre: Float64Array,
  up: Float64Array,
  T: number,
  F: number,
  layer: number,
  options: ForwardOptions,
  record: FfnActivations | undefined,
): Float64Array {
  const stage = options.tapStage ?? 'post';
  if (stage === 'pre') {
    throw new Error(
      "reference: tap stage 'pre' is not defined for a gated FFN; use 'gate' or 'post'",
    );
  }
  const gate = gatePre.map(silu);
  const post = new Float64Array(T * F);
  for (let t = 0; t < T; t++) {
    if (options.edit && stage === 'gate') applyEdit(gate, t, F, layer, options);
    for (let f = 0; f < F; f++) post[t * F + f] = gate[t * F + f] * up[t * F + f];
    if (options.edit && stage === 'post') applyEdit(post, t, F, layer, options);
  }
  if (record) {
    record.pre.push(gatePre);
    record.gate!.push(gate);
    record.up!.push(up);
    record.post.push(post);
  }
  return post;
}

/** RMSNorm over the last dimension (LlamaRMSNorm): x / sqrt(mean(x^2) + eps) * weight. */
export function rmsNorm(
  x: Float64Array,
  rows: number,
  D: number,
  weight: Float32Array,
  eps: number,
): Float64Array {
  const y = new Float64Array(rows * D);
  for (let r = 0; r < rows; r++) {
    let meanSquare = 0;
    for (let i = 0; i < D; i++) meanSquare += x[r * D + i] ** 2;
    meanSquare /= D;
    const inv = 1 / Math.sqrt(meanSquare + eps);
    for (let i = 0; i < D; i++) y[r * D + i] = x[r * D + i] * inv * weight[i];
  }
  return y;
}

/**
 * Causal grouped-query attention: q [T, heads * d], k and v [T, kvHeads * d]; query head h
 * reads key/value head floor(h / (heads / kvHeads)) (transformers' repeat_kv). Scores are
 * q.k / sqrt(d); future keys get MASK_VALUE substituted and padding keys MASK_VALUE added, as
 * in `attention`. With a sliding window W, keys W or more positions back are masked too.
 */
export function groupedAttention(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  T: number,
  heads: number,
  kvHeads: number,
  d: number,
  keyMask: ArrayLike<number>,
  window: number | null,
): Float64Array {
  const scale = 1 / Math.sqrt(d);
  const group = heads / kvHeads;
  const qWidth = heads * d;
  const kvWidth = kvHeads * d;
  const out = new Float64Array(T * qWidth);
  const scores = new Float64Array(T);
  for (let h = 0; h < heads; h++) {
    const qOff = h * d;
    const kvOff = Math.floor(h / group) * d;
    for (let i = 0; i < T; i++) {
      let max = -Infinity;
      for (let j = 0; j < T; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += q[i * qWidth + qOff + c] * k[j * kvWidth + kvOff + c];
        s *= scale;
        if (j > i || (window !== null && i - j >= window)) s = MASK_VALUE;
        s += (1 - keyMask[j]) * MASK_VALUE;
        scores[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = 0; j < T; j++) {
        scores[j] = Math.exp(scores[j] - max);
        sum += scores[j];
      }
      for (let j = 0; j < T; j++) {
        const p = scores[j] / sum;
        for (let c = 0; c < d; c++) out[i * qWidth + qOff + c] += p * v[j * kvWidth + kvOff + c];
      }
    }
  }
  return out;
}

function applyEdit(
  values: Float64Array,
  t: number,
  F: number,
  layer: number,
  options: ForwardOptions,
) {
  const replaced = options.edit!(layer, t, values.slice(t * F, (t + 1) * F));
  if (replaced === undefined) return;
  if (replaced.length !== F) {
    throw new Error(
      `reference: edit at layer ${layer}, position ${t} returned ${replaced.length} values, expected ${F}`,
    );
  }
  values.set(replaced, t * F);
}
