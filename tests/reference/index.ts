import type { ModelConfig } from '../../src/weights/types';
import { bertForward } from './bert';
import { gpt2Forward } from './gpt2';
import type { FfnEdit, ForwardOptions, ForwardResult, Weights } from './types';

export type {
  FfnActivations,
  FfnEdit,
  ForwardOptions,
  ForwardResult,
  TapStage,
  Weights,
} from './types';
export { erf, erfc, gelu, geluNew, relu } from './activations';
export { positionIds } from './bert';
export { llamaForward } from './llama';
export {
  LLAMA_FAMILY_TYPES,
  isLlamaFamily,
  readLlamaConfig,
  type LlamaConfigJson,
  type LlamaFamilyType,
  type LlamaShape,
  type RopeParametersJson,
  type RopeSpec,
} from './llama-config';
export { silu } from './ops';
export { applyRope, ropeInverseFrequencies } from './rope';

/**
 * Independent float64 forward pass of a Hugging Face BERT-family or GPT-2-family checkpoint
 * (tensors keyed by HF names), for checking the ONNX engine and model generators. The LLaMA
 * family has its own entry point, llamaForward, which reads the raw config.json instead of the
 * engine's ModelConfig so that the engine's config reading is checked too.
 */
export function referenceForward(
  config: ModelConfig,
  weights: Weights,
  ids: ArrayLike<number>,
  options: ForwardOptions = {},
): ForwardResult {
  if (ids.length === 0) throw new Error('reference: empty input');
  for (const [name, values] of Object.entries({
    tokenTypeIds: options.tokenTypeIds,
    attentionMask: options.attentionMask,
  })) {
    if (values && values.length !== ids.length) {
      throw new Error(`reference: ${name} has ${values.length} entries for ${ids.length} tokens`);
    }
  }
  if (ids.length + config.positionOffset > config.maxPositions) {
    throw new Error(`reference: ${ids.length} tokens exceed ${config.maxPositions} positions`);
  }
  return config.family === 'bert'
    ? bertForward(config, weights, ids, options)
    : gpt2Forward(config, weights, ids, options);
}

/**
 * The engine's tap as an edit: `act * mul + add` at (layer, position), identity elsewhere.
 * `mul` and `add` are scalars or per-unit vectors.
 */
export function tapEdit(
  layer: number,
  position: number,
  mul: number | ArrayLike<number>,
  addend: number | ArrayLike<number>,
): FfnEdit {
  return (l, t, value) => {
    if (l !== layer || t !== position) return undefined;
    return value.map(
      (x, i) =>
        x * (typeof mul === 'number' ? mul : mul[i]) +
        (typeof addend === 'number' ? addend : addend[i]),
    );
  };
}

/** Softmax of logits row `position` ([T, V] layout), in float64. */
export function probabilities(
  logits: Float64Array,
  vocabSize: number,
  position: number,
): Float64Array {
  const row = logits.subarray(position * vocabSize, (position + 1) * vocabSize);
  const max = row.reduce((m, x) => Math.max(m, x), -Infinity);
  const exp = row.map((x) => Math.exp(x - max));
  const sum = exp.reduce((s, x) => s + x, 0);
  return exp.map((x) => x / sum);
}
