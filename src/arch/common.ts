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
  /**
   * A table read only by rows (Gather) or multiplied as a right operand (embeddings, the LM
   * head's decoder): it may be split into row blocks when larger than a device tensor may be.
   */
  rowTable?: true;
  /** The config.json fields its shape follows from, for messages (e.g. "head_dim"). */
  fromConfig?: string;
}

/**
 * Where the tap sits: after the FFN activation (default; in a gated FFN the coefficient
 * silu(gate) * up), before it (the authors' GPT tap, mlp.c_fc), or on a gated FFN's gate
 * activation silu(gate) alone, before up multiplies it.
 */
export type TapMode = 'post-activation' | 'pre-activation' | 'gate';

/**
 * What a block's attention reads besides its hidden states. `bias` [1 or B, 1, Tq, Tq] is added
 * to the scores of the block's own positions (causal and padding masks). `rope`: rotary models'
 * cos and sin of position x inverse frequency, [Tq, head_dim] (or [B, 1, Tq, head_dim] when rows
 * sit at different positions). `past` holds keys and values of positions computed earlier
 * [1, kv heads, K, head_dim] (a causal model's clean pass, rotated), with their own bias
 * [1 or B, 1, Tq, K]: a causal model's rows then need only their newest positions.
 * `queries` [B, Tq, T] (one-hot rows) selects the positions whose outputs the block computes:
 * keys and values come from all T positions, queries and everything after attention from the
 * Tq selected ones only (a masked LM's last block, whose only output read is the target's);
 * `bias` is then [1 or B, 1, Tq, T]. Not for rotary models (their queries turn by position).
 */
export interface BlockContext {
  bias: Tensor;
  rope?: { cos: Tensor; sin: Tensor };
  past?: { k: Tensor; v: Tensor; bias: Tensor };
  queries?: Tensor;
}

/** The rows of x [B, T, W] at the positions the block computes ([B, Tq, W]; all without `queries`). */
export function queryRows(x: Tensor, ctx: Pick<BlockContext, 'queries'>): Tensor {
  return ctx.queries ? ctx.queries.matmul(x) : x;
}

/**
 * What a block does to the FFN value it taps (`mode` says which value): edit it at chosen
 * positions, read it there, or replace it.
 */
export interface Tap {
  mode: TapMode;
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
export function editTap(position: Tensor, mul: Tensor, add: Tensor, mode: TapMode): Tap {
  return {
    mode,
    apply(value) {
      const x = value();
      const where = position.unsqueeze([2]); // [B, T, 1]
      const edited = x.add(where.mul(x.mul(mul.unsqueeze([1]).sub(1)).add(add.unsqueeze([1]))));
      return { edited, found: where.mul(x).sum([1]) };
    },
  };
}

/** Reads the tapped value at (row, position) pairs `at` [A, 2] (int64), [A, F]; edits nothing. */
export function readTap(at: Tensor, mode: TapMode): Tap {
  return {
    mode,
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
export function replaceTap(value: Tensor, mode: TapMode): Tap {
  return { mode, apply: () => ({ edited: value.unsqueeze([1]), found: null }) };
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
 * k, v [B, Hkv, Tq, d], with the keys and values of `ctx.past` in front of the block's own. With
 * fewer key/value heads than query heads (grouped-query attention) query head h reads key/value
 * head floor(h / (H / Hkv)), as transformers' repeat_kv: the queries are grouped
 * [B, Hkv, H / Hkv, Tq, d] and the matmuls broadcast each key/value head over its group, so no
 * copy of k or v is made.
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  ctx: Pick<BlockContext, 'bias' | 'past'>,
): Tensor {
  const [B, H, Tq, d] = q.shape;
  const Hkv = k.shape[1] as number;
  const group = (H as number) / Hkv;
  const scale = 1 / Math.sqrt(d as number);
  // Grouped: q [B, Hkv, group, Tq, d]; keys, values and biases get a broadcast group axis.
  const grouped = group > 1;
  const query = grouped ? q.reshape([B, Hkv, group, Tq, d]) : q;
  const perGroup = (t: Tensor) => (grouped ? t.unsqueeze([2]) : t);
  const scores = (keys: Tensor, bias: Tensor) =>
    query
      .matmul(perGroup(keys).transpose(grouped ? [0, 1, 2, 4, 3] : [0, 1, 3, 2]))
      .mul(scale)
      .add(perGroup(bias));
  const own = scores(k, ctx.bias);
  let context: Tensor;
  if (!ctx.past) context = own.softmax(-1).matmul(perGroup(v));
  else {
    // One softmax over past and own keys, written with their shared log-normaliser.
    const past = scores(ctx.past.k, ctx.past.bias);
    const lse = ops.logSumExp(ops.concat([past, own], -1), -1, true);
    context = past
      .sub(lse)
      .exp()
      .matmul(perGroup(ctx.past.v))
      .add(own.sub(lse).exp().matmul(perGroup(v)));
  }
  return grouped ? context.reshape([B, H, Tq, d]) : context;
}

/**
 * Multi-head attention of HF BERT and GPT-2 on x [B, T, H]: biased q, k, v and output
 * projections around the shared core (queries at `ctx.queries` only, if given); also this call's keys and values [B, heads, T, dh] (what a
 * clean pass keeps for the rows that follow it).
 */
export function attention(
  x: Tensor,
  w: Weights,
  ctx: BlockContext,
  cfg: ModelConfig,
): { out: Tensor; k: Tensor; v: Tensor } {
  const heads = cfg.numHeads;
  const q = splitHeads(queryRows(x, ctx).matmul(w.q_w).add(w.q_b), heads);
  const k = splitHeads(x.matmul(w.k_w).add(w.k_b), heads);
  const v = splitHeads(x.matmul(w.v_w).add(w.v_b), heads);
  const out = mergeHeads(scaledDotProductAttention(q, k, v, ctx))
    .matmul(w.o_w)
    .add(w.o_b);
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
    case 'silu':
      return nn.silu(x);
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
  if (tap.mode === 'gate') throw tapModeError(cfg, tap.mode);
  if (tap.mode === 'pre-activation') {
    const t = tap.apply(pre);
    return { out: project(activation(cfg, t.edited)), found: t.found };
  }
  const t = tap.apply(() => activation(cfg, pre()));
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
