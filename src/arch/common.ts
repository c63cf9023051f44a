/** Pieces both architecture families share: attention, the FFN tap, weight declarations. */
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
}

/**
 * What a block does to the FFN value it taps (after the activation function, or before it in
 * GPT's reference mode): edit it at chosen positions, read it there, or replace it.
 */
export interface Tap {
  /** Tap the FFN pre-activation instead of the activation (GPT reference mode). */
  preActivation: boolean;
  /**
   * The tapped value [B, T, F] as the block continues with it, and what the tap read. `x` makes
   * the value the block computed; a tap that never reads it leaves it out of the graph.
   */
  apply(x: () => Tensor): { edited: Tensor; found: Tensor | null };
}

/**
 * The per-sample edit of the tapped value (see docs/design.md): at the positions where
 * `position` [1 or B, T] is 1, x <- x * mul + add, with mul and add [B, F]; elsewhere unchanged.
 * It reads the value it found there, [B, F].
 */
export function editTap(position: Tensor, mul: Tensor, add: Tensor, preActivation: boolean): Tap {
  return {
    preActivation,
    apply(value) {
      const x = value();
      const where = position.unsqueeze([2]); // [B, T, 1]
      const edited = x.add(where.mul(x.mul(mul.unsqueeze([1]).sub(1)).add(add.unsqueeze([1]))));
      return { edited, found: where.mul(x).sum([1]) };
    },
  };
}

/** Reads the tapped value at (row, position) pairs `at` [A, 2] (int64), [A, F]; edits nothing. */
export function readTap(at: Tensor, preActivation: boolean): Tap {
  return {
    preActivation,
    apply(value) {
      const x = value();
      return { edited: x, found: ops.gatherND(x, at) };
    },
  };
}

/**
 * Replaces the tapped value of single-position rows [S, 1, F] by `value` [S, F]. The value it
 * replaces is never read, so the graph does not compute it.
 */
export function replaceTap(value: Tensor, preActivation: boolean): Tap {
  return { preActivation, apply: () => ({ edited: value.unsqueeze([1]), found: null }) };
}

/**
 * Which keys each query may attend to. `bias` [1 or B, 1, Tq, Tq] is added to the scores of the
 * block's own positions (causal and padding masks). `past` holds keys and values of positions
 * computed earlier [1, heads, K, dh] (a causal model's clean pass), with their own bias
 * [1 or B, 1, Tq, K]: a causal model's rows then need only their newest positions.
 */
export interface AttentionMask {
  bias: Tensor;
  past?: { k: Tensor; v: Tensor; bias: Tensor };
}

/**
 * Scaled dot-product attention over heads, q [B, heads, Tq, dh], k and v [B, heads, Tq, dh]:
 * softmax(q k^T / sqrt(dh) + bias) v, with the keys and values of `mask.past` in front of the
 * block's own. The one attention core every family calls.
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  mask: AttentionMask,
): Tensor {
  const dh = q.shape[3] as number;
  const scores = (keys: Tensor, bias: Tensor) =>
    q
      .matmul(keys.transpose([0, 1, 3, 2]))
      .mul(1 / Math.sqrt(dh))
      .add(bias);
  const own = scores(k, mask.bias);
  if (!mask.past) return own.softmax(-1).matmul(v);
  // One softmax over past and own keys, written with their shared log-normaliser.
  const past = scores(mask.past.k, mask.past.bias);
  const lse = ops.logSumExp(ops.concat([past, own], -1), -1, true);
  return past.sub(lse).exp().matmul(mask.past.v).add(own.sub(lse).exp().matmul(v));
}

/**
 * Multi-head attention of HF BERT and GPT-2 on x [B, T, H]; also this call's keys and values
 * [B, heads, T, dh] (what a clean pass keeps for the rows that follow it).
 */
export function attention(
  x: Tensor,
  w: Weights,
  mask: AttentionMask,
  cfg: ModelConfig,
): { out: Tensor; k: Tensor; v: Tensor } {
  const heads = cfg.numHeads;
  const dh = cfg.hiddenSize / heads;
  const [B, T] = x.shape;
  const split = (t: Tensor) => t.reshape([B, T, heads, dh]).transpose([0, 2, 1, 3]);
  const q = split(x.matmul(w.q_w).add(w.q_b));
  const k = split(x.matmul(w.k_w).add(w.k_b));
  const v = split(x.matmul(w.v_w).add(w.v_b));
  const context = scaledDotProductAttention(q, k, v, mask).transpose([0, 2, 1, 3]);
  const out = context.reshape([B, T, cfg.hiddenSize]).matmul(w.o_w).add(w.o_b);
  return { out, k, v };
}

/** The hidden state at each row's target position: [B, T, H] x one-hot [B, T] -> [B, H]. */
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
  }
}

/**
 * The FFN of a block with the tap on its activation (or, in reference mode, its pre-activation).
 * Without a tap (training, and rows whose edit lies in an earlier block), nothing is edited.
 */
export function feedForward(
  cfg: ModelConfig,
  x: Tensor,
  w: Weights,
  tap: Tap | null,
): { out: Tensor; found: Tensor | null } {
  const pre = () => x.matmul(w.fc_w).add(w.fc_b);
  const project = (act: Tensor) => act.matmul(w.proj_w).add(w.proj_b);
  if (!tap) return { out: project(activation(cfg, pre())), found: null };
  if (tap.preActivation) {
    const t = tap.apply(pre);
    return { out: project(activation(cfg, t.edited)), found: t.found };
  }
  const t = tap.apply(() => activation(cfg, pre()));
  return { out: project(t.edited), found: t.found };
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
