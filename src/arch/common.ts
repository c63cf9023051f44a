/** Pieces the architecture families share: attention, the FFN tap, weight declarations. */
import { type Dim, type Tensor, nn, ops } from '../graph';
import type { ModelConfig } from '../weights/types';

export type Weights = Record<string, Tensor>;

/**
 * Where a graph input's values come from in a Hugging Face checkpoint. `hf` lists candidate
 * tensor names without the model prefix (`bert.`, `roberta.`, `transformer.`); `{l}` stands
 * for the layer index. `layout` says how the stored tensor becomes the input.
 */
export interface WeightSpec {
  input: string;
  shape: Dim[];
  hf: string[];
  /**
   * 'as-is': stored as the input needs it; 'transpose': a torch Linear [out, in] used as
   * [in, out]; 'split-k-of-n': the k-th of n equal parts of the last axis (GPT-2's fused
   * c_attn holds q, k and v).
   */
  layout: 'as-is' | 'transpose' | { split: number; of: number };
  /** The config.json fields its shape follows from, for messages (e.g. "head_dim"). */
  fromConfig?: string;
}

/**
 * Where the tap sits: after the FFN activation (default; in a gated FFN the coefficient
 * silu(gate) * up), before it (the authors' GPT tap, mlp.c_fc), or on a gated FFN's gate
 * activation silu(gate) alone, before up multiplies it.
 */
export type TapMode = 'post-activation' | 'pre-activation' | 'gate';

/** What every block of one prompt reads besides its hidden states; computed once per prompt. */
export interface BlockContext {
  /** Added to the attention scores, [1, 1, T, T]: causal and padding masks. */
  bias: Tensor;
  /** Rotary models: cos and sin of position x inverse frequency, [T, head_dim] each. */
  rope?: { cos: Tensor; sin: Tensor };
}

/**
 * The per-sample edit of the FFN activation at one position (see docs/design.md): at the
 * positions where `position` is 1, act <- act * mul + add; elsewhere unchanged.
 */
export interface Tap {
  /** One-hot (or zero) [B, T]. */
  position: Tensor;
  /** [B, F]. */
  mul: Tensor;
  /** [B, F]. */
  add: Tensor;
  /** Which FFN value it edits. */
  mode: TapMode;
}

/** Applies the tap; also returns the value it found at the tap position, [B, F]. */
export function applyTap(x: Tensor, tap: Tap): { edited: Tensor; found: Tensor } {
  const where = tap.position.unsqueeze([2]); // [B, T, 1]
  const mul = tap.mul.unsqueeze([1]); // [B, 1, F]
  const add = tap.add.unsqueeze([1]);
  const edited = x.add(where.mul(x.mul(mul.sub(1)).add(add)));
  const found = where.mul(x).sum([1]);
  return { edited, found };
}

/** [B, T, heads * d] -> [B, heads, T, d]. */
export function splitHeads(x: Tensor, heads: number): Tensor {
  const [B, T, width] = x.shape;
  return x.reshape([B, T, heads, (width as number) / heads]).transpose([0, 2, 1, 3]);
}

/** [B, heads, T, d] -> [B, T, heads * d]. */
export function mergeHeads(x: Tensor): Tensor {
  const [B, heads, T, d] = x.shape;
  return x.transpose([0, 2, 1, 3]).reshape([B, T, (heads as number) * (d as number)]);
}

/**
 * softmax(q k^T / sqrt(d) + bias) v, the attention core of every family: q [B, H, Tq, d] over
 * k, v [B, Hkv, Tk, d], bias [1, 1, Tq, Tk]. With fewer key/value heads than query heads
 * (grouped-query attention) query head h reads key/value head floor(h / (H / Hkv)), as
 * transformers' repeat_kv: the queries are grouped [B, Hkv, H / Hkv, Tq, d] and the matmuls
 * broadcast each key/value head over its group, so no copy of k or v is made.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, bias: Tensor): Tensor {
  const [B, H, Tq, d] = q.shape;
  const Hkv = k.shape[1] as number;
  const group = (H as number) / Hkv;
  const scale = 1 / Math.sqrt(d as number);
  if (group === 1) {
    const scores = q
      .matmul(k.transpose([0, 1, 3, 2]))
      .mul(scale)
      .add(bias);
    return scores.softmax(-1).matmul(v);
  }
  const grouped = q.reshape([B, Hkv, group, Tq, d]);
  const keys = k.unsqueeze([2]); // [B, Hkv, 1, Tk, d]
  const scores = grouped
    .matmul(keys.transpose([0, 1, 2, 4, 3]))
    .mul(scale)
    .add(bias.unsqueeze([2]));
  return scores
    .softmax(-1)
    .matmul(v.unsqueeze([2]))
    .reshape([B, H, Tq, d]);
}

/**
 * Multi-head attention of HF BERT and GPT-2: biased q, k, v and output projections around
 * the shared core.
 */
export function attention(x: Tensor, w: Weights, bias: Tensor, cfg: ModelConfig): Tensor {
  const heads = cfg.numHeads;
  const q = splitHeads(x.matmul(w.q_w).add(w.q_b), heads);
  const k = splitHeads(x.matmul(w.k_w).add(w.k_b), heads);
  const v = splitHeads(x.matmul(w.v_w).add(w.v_b), heads);
  return mergeHeads(scaledDotProductAttention(q, k, v, bias))
    .matmul(w.o_w)
    .add(w.o_b);
}

/** The hidden state at each sample's target position: [B, T, H] x one-hot [B, T] -> [B, H]. */
export function atPosition(h: Tensor, position: Tensor): Tensor {
  return position.unsqueeze([1]).matmul(h).squeeze([1]);
}

/** log P(object) at the target: logit of the object minus log-sum-exp of all logits. */
export function objectLogProb(logits: Tensor, objectLogit: Tensor): Tensor {
  return objectLogit.sub(ops.logSumExp(logits, -1));
}

export function activation(cfg: ModelConfig, x: Tensor): Tensor {
  switch (cfg.activation) {
    case 'gelu':
      return nn.gelu(x);
    case 'gelu_new':
      return nn.geluTanh(x);
    case 'relu':
      return x.relu();
    case 'silu':
      return nn.silu(x);
  }
}

/**
 * The FFN of a block with the tap on its activation (or, in reference mode, its pre-activation).
 * Without a tap (training), nothing is edited and nothing found.
 */
export function feedForward(
  cfg: ModelConfig,
  x: Tensor,
  w: Weights,
  tap: Tap | null,
): { out: Tensor; found: Tensor | null } {
  const pre = x.matmul(w.fc_w).add(w.fc_b);
  const project = (act: Tensor) => act.matmul(w.proj_w).add(w.proj_b);
  if (!tap) return { out: project(activation(cfg, pre)), found: null };
  if (tap.mode === 'gate') throw tapModeError(cfg, tap.mode);
  if (tap.mode === 'pre-activation') {
    const t = applyTap(pre, tap);
    return { out: project(activation(cfg, t.edited)), found: t.found };
  }
  const t = applyTap(activation(cfg, pre), tap);
  return { out: project(t.edited), found: t.found };
}

/** A tap this family's FFN has no place for. */
export function tapModeError(cfg: ModelConfig, mode: TapMode): Error {
  const why =
    mode === 'gate'
      ? 'it has no gated FFN'
      : 'its gated FFN has two inputs to one activation; tap the gate or the coefficient';
  return new Error(`The ${mode} tap is not defined for ${cfg.modelType} models: ${why}.`);
}

/** The per-block weights both families use (GPT-2 names its norms ln_1/ln_2, BERT its own). */
export function blockShapes(cfg: ModelConfig): Record<string, Dim[]> {
  const H = cfg.hiddenSize;
  const F = cfg.intermediateSize;
  return {
    q_w: [H, H],
    q_b: [H],
    k_w: [H, H],
    k_b: [H],
    v_w: [H, H],
    v_b: [H],
    o_w: [H, H],
    o_b: [H],
    ln1_g: [H],
    ln1_b: [H],
    fc_w: [H, F],
    fc_b: [F],
    proj_w: [F, H],
    proj_b: [H],
    ln2_g: [H],
    ln2_b: [H],
  };
}
