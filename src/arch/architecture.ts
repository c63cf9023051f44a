import type { Tensor } from '../graph';
import type { ArchFamily, ModelConfig } from '../weights/types';
import type { BlockContext, Tap, WeightSpec, Weights } from './common';

/**
 * One transformer family, written once in the graph builder. Graph inputs named in the weight
 * specs are filled from the checkpoint by the loader; `{l}` in a spec's HF names is the layer.
 */
export interface Architecture {
  family: ArchFamily;
  /** Weights used once per model: embeddings, final norms, the LM head. */
  globalWeights(cfg: ModelConfig): WeightSpec[];
  /** Weights of each transformer block. */
  blockWeights(cfg: ModelConfig): WeightSpec[];
  /** Token ids [B, T] and position ids [B, T] (int64) to the first hidden states [B, T, H]. */
  embed(cfg: ModelConfig, ids: Tensor, positions: Tensor, w: Weights): Tensor;
  /**
   * A block's attention sublayer with its residual (and BERT's norm): h [B, T, H] to the state
   * the FFN reads, and the keys and values of these positions [B, kv heads, T, dh] (rotated, in
   * a rotary model). `ctx` holds the attention bias (causal and padding masks), the rotation
   * tables of a rotary model, and the keys and values of earlier positions a row attends to.
   */
  attentionSublayer(
    cfg: ModelConfig,
    h: Tensor,
    ctx: BlockContext,
    w: Weights,
  ): { h: Tensor; k: Tensor; v: Tensor };
  /**
   * A block's FFN sublayer with its residual (and BERT's norm), with the tap: the attention
   * sublayer's output to the block's output; with a tap, also what the tap read.
   */
  feedForwardSublayer(
    cfg: ModelConfig,
    h: Tensor,
    tap: Tap | null,
    w: Weights,
  ): { h: Tensor; found: Tensor | null };
  /** The LM head up to the decoder: target hidden states [B, H] to decoder inputs [B, H]. */
  headTransform(cfg: ModelConfig, h: Tensor, w: Weights): Tensor;
  /** Whether the decoder adds a per-token bias (graph input `decoder_b`). */
  decoderBias: boolean;
  /** Whether the attention is causal (GPT, LLaMA) or bidirectional (BERT). */
  causal: boolean;
  /** Whether positions enter by rotation (LLaMA), so blocks read rope tables (src/arch/rope.ts). */
  rotary: boolean;
  /**
   * The block weights [H, F] whose columns are a neuron's key vectors, what it reads from the
   * hidden state (degenerate clusters link value vectors to them).
   */
  keyInputs: readonly string[];
}

/** One transformer block: the attention sublayer, then the FFN sublayer. */
export function runBlock(
  arch: Architecture,
  cfg: ModelConfig,
  h: Tensor,
  ctx: BlockContext,
  tap: Tap | null,
  w: Weights,
): { h: Tensor; found: Tensor | null; mid: Tensor; k: Tensor; v: Tensor } {
  const attended = arch.attentionSublayer(cfg, h, ctx, w);
  const out = arch.feedForwardSublayer(cfg, attended.h, tap, w);
  return { h: out.h, found: out.found, mid: attended.h, k: attended.k, v: attended.v };
}
