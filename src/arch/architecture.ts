import type { Tensor } from '../graph';
import type { ArchFamily, ModelConfig } from '../weights/types';
import type { Tap, WeightSpec, Weights } from './common';

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
   * One block; with a tap, also the tapped FFN value found at the tap position, [B, F]. `bias`
   * is added to the attention scores ([1 or B, 1, T, T]: causal and padding masks).
   */
  block(
    cfg: ModelConfig,
    h: Tensor,
    bias: Tensor,
    tap: Tap | null,
    w: Weights,
  ): { h: Tensor; found: Tensor | null };
  /** The LM head up to the decoder: target hidden states [B, H] to decoder inputs [B, H]. */
  headTransform(cfg: ModelConfig, h: Tensor, w: Weights): Tensor;
  /** Whether the decoder adds a per-token bias (graph input `decoder_b`). */
  decoderBias: boolean;
  /** Whether the attention is causal (GPT) or bidirectional (BERT). */
  causal: boolean;
}
