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
  /**
   * A table read only by rows (Gather) or multiplied as a right operand (embeddings, the LM
   * head's decoder): it may be split into row blocks when larger than a device tensor may be.
   */
  rowTable?: true;
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
  /** Edit the FFN pre-activation instead of the post-activation (GPT reference mode). */
  preActivation: boolean;
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

/**
 * Multi-head scaled dot-product attention of HF BERT and GPT-2. `bias` [1, 1, T, T] is added
 * to the scores (causal and padding masks).
 */
export function attention(x: Tensor, w: Weights, bias: Tensor, cfg: ModelConfig): Tensor {
  const heads = cfg.numHeads;
  const dh = cfg.hiddenSize / heads;
  const [B, T] = x.shape;
  const split = (t: Tensor) => t.reshape([B, T, heads, dh]).transpose([0, 2, 1, 3]);
  const q = split(x.matmul(w.q_w).add(w.q_b));
  const k = split(x.matmul(w.k_w).add(w.k_b));
  const v = split(x.matmul(w.v_w).add(w.v_b));
  const scores = q
    .matmul(k.transpose([0, 1, 3, 2]))
    .mul(1 / Math.sqrt(dh))
    .add(bias);
  const context = scores.softmax(-1).matmul(v).transpose([0, 2, 1, 3]);
  return context.reshape([B, T, cfg.hiddenSize]).matmul(w.o_w).add(w.o_b);
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
  if (tap.preActivation) {
    const t = applyTap(pre, tap);
    return { out: project(activation(cfg, t.edited)), found: t.found };
  }
  const t = applyTap(activation(cfg, pre), tap);
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
