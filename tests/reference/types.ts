import type { HostTensor } from '../../src/weights/types';

/** Tensors keyed by their Hugging Face names. */
export type Weights = ReadonlyMap<string, HostTensor>;

/**
 * Where the FFN activation is observed and edited: `post` is the coefficient of each value
 * vector, the default tap (the activation function's output; in a gated FFN
 * c = silu(gate_proj x) * up_proj x); `pre` is the activation function's input (the output of
 * `intermediate.dense` / `mlp.c_fc`, the authors' GPT tap; BERT and GPT-2 families only);
 * `gate` is a gated FFN's silu(gate_proj x), edited before up_proj x multiplies it (LLaMA
 * family only).
 */
export type TapStage = 'pre' | 'post' | 'gate';

/**
 * Replaces the FFN activation vector (length intermediateSize) at one (layer, position).
 * Return the new vector, or undefined to keep `value`. Do not mutate `value`.
 */
export type FfnEdit = (
  layer: number,
  position: number,
  value: Float64Array,
) => Float64Array | undefined;

export interface ForwardOptions {
  /**
   * BERT segment ids (default all 0). GPT-2 adds wte[type id], as HF's GPT2Model does. The LLaMA
   * family has no token types and refuses them.
   */
  tokenTypeIds?: ArrayLike<number>;
  /** 1 = attend, 0 = padding (a key mask, as HF's attention_mask). Default all 1. */
  attentionMask?: ArrayLike<number>;
  /** Called at every (layer, position) at `tapStage`. */
  edit?: FfnEdit;
  /** Where `edit` applies (default `post`). */
  tapStage?: TapStage;
  /** Record the FFN activations at every layer and position. */
  record?: boolean;
}

export interface FfnActivations {
  /**
   * pre[l]: [T, F] row-major, the activation function's input as used (after a `pre` edit); in
   * a gated FFN, gate_proj x.
   */
  pre: Float64Array[];
  /** post[l]: [T, F] row-major, the value-vector coefficients as used (after any edit). */
  post: Float64Array[];
  /** Gated FFNs only. gate[l]: [T, F], silu(gate_proj x) as used (after a `gate` edit). */
  gate?: Float64Array[];
  /** Gated FFNs only. up[l]: [T, F], up_proj x. */
  up?: Float64Array[];
}

export interface ForwardResult {
  /** [T, V] row-major. */
  logits: Float64Array;
  /**
   * hidden[0] is the embedding output, hidden[l + 1] the output of block l, all [T, H]. Unlike
   * HF's output_hidden_states, the last entry is before GPT-2's ln_f (the LLaMA family's
   * model.norm): these are exactly the inputs and outputs of the engine's `block` graphs.
   */
  hidden: Float64Array[];
  /** Present when `record` is set. */
  activations?: FfnActivations;
}
