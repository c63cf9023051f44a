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
   * One block; with a tap, also the tapped FFN value found at the tap position, [B, F]. `ctx`
   * holds the prompt's attention bias (causal and padding masks) and, for rotary models, the
   * rotation tables.
   */
  block(
    cfg: ModelConfig,
    h: Tensor,
    ctx: BlockContext,
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
