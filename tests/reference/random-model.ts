import { hashSeed, mulberry32 } from '../../src/util/random';
import type { HostTensor, ModelConfig } from '../../src/weights/types';
import { type LlamaConfigJson, type LlamaShape, readLlamaConfig } from './llama-config';

export interface RandomModelOptions {
  /**
   * Standard deviation of every weight, bias and embedding (LayerNorm weights are 1 + noise).
   * HF initialises with 0.02 (initializer_range) and zero biases; tiny test models want ~0.3-1
   * so that logits are far from uniform and every parameter visibly matters.
   */
  std?: number;
  /**
   * Prefix of the body's tensor names. Default: what save_pretrained writes for the LM model
   * class, `bert.` (bert), `roberta.` (roberta, xlm-roberta) or `transformer.` (gpt2).
   */
  prefix?: string;
}

/** One tensor of a random checkpoint: its values depend only on the seed and `key`. */
export interface RandomTensorSpec {
  /** The Hugging Face name, prefix included. */
  name: string;
  dims: number[];
  /** `norm`: a normalisation weight, drawn as 1 + noise; `plain`: noise around 0. */
  kind: 'plain' | 'norm';
  /** The name without the body prefix: the values' seed, so prefix variants are identical. */
  key: string;
}

/**
 * A randomly initialised checkpoint for `config`, with Hugging Face tensor names and shapes and
 * the head of the model type's LM class. Deterministic in `seed`; each tensor's values depend
 * only on the seed and its name without the prefix, so prefix variants hold identical numbers.
 */
export function randomModel(
  config: ModelConfig,
  seed: number,
  options: RandomModelOptions = {},
): Map<string, HostTensor> {
  return materialize(tensorSpecs(config, options.prefix), seed, options.std ?? 0.02);
}

/**
 * A randomly initialised LLaMA-family checkpoint (llama, mistral, qwen2, qwen3) for a raw
 * config.json object, named as *ForCausalLM saves it: `model.` body, lm_head.weight only when
 * the head is not tied, biases and q/k norms where the model type has them.
 */
export function randomLlamaModel(
  config: LlamaConfigJson,
  seed: number,
  options: { std?: number } = {},
): Map<string, HostTensor> {
  return materialize(llamaTensorSpecs(readLlamaConfig(config)), seed, options.std ?? 0.02);
}

/**
 * Fills consecutive slices of one tensor's values: call it with buffers of any sizes, in order,
 * and the concatenation equals the whole tensor that `randomModel` would hold. (The model-folder
 * generator streams large tensors this way.)
 */
export function randomValues(
  seed: number,
  spec: RandomTensorSpec,
  std: number,
): (out: Float32Array) => void {
  const rng = gaussian(hashSeed(seed, spec.key));
  const mean = spec.kind === 'norm' ? 1 : 0;
  return (out) => {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * rng();
  };
}

function materialize(
  specs: RandomTensorSpec[],
  seed: number,
  std: number,
): Map<string, HostTensor> {
  const weights = new Map<string, HostTensor>();
  for (const spec of specs) {
    const data = new Float32Array(spec.dims.reduce((a, b) => a * b, 1));
    randomValues(seed, spec, std)(data);
    weights.set(spec.name, { dims: [...spec.dims], data });
  }
  return weights;
}

function defaultPrefix(config: ModelConfig): string {
  if (config.family === 'gpt2') return 'transformer.';
  return config.modelType === 'bert' ? 'bert.' : 'roberta.';
}

/** The tensors of a BERT- or GPT-2-family checkpoint, body under `prefix` (default: the LM class's). */
export function tensorSpecs(
  config: ModelConfig,
  prefix = defaultPrefix(config),
): RandomTensorSpec[] {
  return bodyAndHeadSpecs(config).map(([key, dims, kind]) => ({
    name: key.startsWith('cls.') || key.startsWith('lm_head.') ? key : prefix + key,
    dims,
    kind,
    key,
  }));
}

/** The tensors of a LLaMA-family checkpoint as *ForCausalLM saves it. */
export function llamaTensorSpecs(shape: LlamaShape): RandomTensorSpec[] {
  const { hiddenSize: H, intermediateSize: F, vocabSize: V, headDim: d } = shape;
  const specs: Spec[] = [['embed_tokens.weight', [V, H], 'plain']];
  const linear = (name: string, outDim: number, inDim: number, biased: boolean): Spec[] => [
    [`${name}.weight`, [outDim, inDim], 'plain'],
    ...(biased ? [[`${name}.bias`, [outDim], 'plain'] as Spec] : []),
  ];
  for (let l = 0; l < shape.numLayers; l++) {
    const b = `layers.${l}.`;
    specs.push(
      [`${b}input_layernorm.weight`, [H], 'norm'],
      ...linear(`${b}self_attn.q_proj`, shape.numHeads * d, H, shape.qkvBias),
      ...linear(`${b}self_attn.k_proj`, shape.numKvHeads * d, H, shape.qkvBias),
      ...linear(`${b}self_attn.v_proj`, shape.numKvHeads * d, H, shape.qkvBias),
      ...linear(`${b}self_attn.o_proj`, H, shape.numHeads * d, shape.outputBias),
    );
    if (shape.qkNorm) {
      specs.push(
        [`${b}self_attn.q_norm.weight`, [d], 'norm'],
        [`${b}self_attn.k_norm.weight`, [d], 'norm'],
      );
    }
    specs.push(
      [`${b}post_attention_layernorm.weight`, [H], 'norm'],
      ...linear(`${b}mlp.gate_proj`, F, H, shape.mlpBias),
      ...linear(`${b}mlp.up_proj`, F, H, shape.mlpBias),
      ...linear(`${b}mlp.down_proj`, H, F, shape.mlpBias),
    );
  }
  specs.push(['norm.weight', [H], 'norm']);
  const named = specs.map(([key, dims, kind]): RandomTensorSpec => ({
    name: `model.${key}`,
    dims,
    kind,
    key,
  }));
  if (!shape.tieWordEmbeddings) {
    named.push({ name: 'lm_head.weight', dims: [V, H], kind: 'plain', key: 'lm_head.weight' });
  }
  return named;
}

type Spec = [name: string, dims: number[], kind: 'plain' | 'norm'];

function bodyAndHeadSpecs(config: ModelConfig): Spec[] {
  const { hiddenSize: H, intermediateSize: F, vocabSize: V, maxPositions: P } = config;
  const norm = (base: string): Spec[] => [
    [`${base}.weight`, [H], 'norm'],
    [`${base}.bias`, [H], 'plain'],
  ];
  const specs: Spec[] = [];
  if (config.family === 'gpt2') {
    specs.push(['wte.weight', [V, H], 'plain'], ['wpe.weight', [P, H], 'plain']);
    for (let l = 0; l < config.numLayers; l++) {
      const b = `h.${l}.`;
      specs.push(
        ...norm(`${b}ln_1`),
        [`${b}attn.c_attn.weight`, [H, 3 * H], 'plain'],
        [`${b}attn.c_attn.bias`, [3 * H], 'plain'],
        [`${b}attn.c_proj.weight`, [H, H], 'plain'],
        [`${b}attn.c_proj.bias`, [H], 'plain'],
        ...norm(`${b}ln_2`),
        [`${b}mlp.c_fc.weight`, [H, F], 'plain'],
        [`${b}mlp.c_fc.bias`, [F], 'plain'],
        [`${b}mlp.c_proj.weight`, [F, H], 'plain'],
        [`${b}mlp.c_proj.bias`, [H], 'plain'],
      );
    }
    specs.push(...norm('ln_f'));
    if (!config.tieWordEmbeddings) specs.push(['lm_head.weight', [V, H], 'plain']);
    return specs;
  }

  specs.push(
    ['embeddings.word_embeddings.weight', [V, H], 'plain'],
    ['embeddings.position_embeddings.weight', [P, H], 'plain'],
  );
  if (config.typeVocabSize > 0)
    specs.push(['embeddings.token_type_embeddings.weight', [config.typeVocabSize, H], 'plain']);
  specs.push(...norm('embeddings.LayerNorm'));
  const linear = (name: string, outDim: number, inDim: number): Spec[] => [
    [`${name}.weight`, [outDim, inDim], 'plain'],
    [`${name}.bias`, [outDim], 'plain'],
  ];
  for (let l = 0; l < config.numLayers; l++) {
    const b = `encoder.layer.${l}.`;
    specs.push(
      ...linear(`${b}attention.self.query`, H, H),
      ...linear(`${b}attention.self.key`, H, H),
      ...linear(`${b}attention.self.value`, H, H),
      ...linear(`${b}attention.output.dense`, H, H),
      ...norm(`${b}attention.output.LayerNorm`),
      ...linear(`${b}intermediate.dense`, F, H),
      ...linear(`${b}output.dense`, H, F),
      ...norm(`${b}output.LayerNorm`),
    );
  }
  // Tied decoder weights (and decoder.bias, tied to .bias) are left out, as safetensors saves do.
  const head = config.modelType === 'bert' ? 'cls.predictions' : 'lm_head';
  if (head === 'cls.predictions') {
    specs.push(
      ...linear('cls.predictions.transform.dense', H, H),
      ...norm('cls.predictions.transform.LayerNorm'),
    );
  } else {
    specs.push(...linear('lm_head.dense', H, H), ...norm('lm_head.layer_norm'));
  }
  specs.push([`${head}.bias`, [V], 'plain']);
  if (!config.tieWordEmbeddings) specs.push([`${head}.decoder.weight`, [V, H], 'plain']);
  return specs;
}

/** Standard normal samples: mulberry32 uniforms through Box-Muller. */
function gaussian(seed: number): () => number {
  const uniform = mulberry32(seed);
  return () => {
    const u = 1 - uniform(); // (0, 1]: log stays finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

export type TinyModelType = 'bert' | 'roberta' | 'xlm-roberta' | 'gpt2';

/**
 * A small config of the given model type with the family's real conventions (activation,
 * token types, RoBERTa's position offset, epsilon), for tests. Override any field.
 */
export function tinyConfig(
  modelType: TinyModelType,
  overrides: Partial<ModelConfig> = {},
): ModelConfig {
  const common = {
    vocabSize: 23,
    hiddenSize: 8,
    numLayers: 2,
    numHeads: 2,
    intermediateSize: 12,
    maxPositions: 16,
    tieWordEmbeddings: true,
  };
  const byType: Record<TinyModelType, ModelConfig> = {
    bert: {
      ...common,
      family: 'bert',
      modelType,
      layerNormEps: 1e-12,
      activation: 'gelu',
      typeVocabSize: 2,
      positionOffset: 0,
    },
    roberta: {
      ...common,
      family: 'bert',
      modelType,
      layerNormEps: 1e-5,
      activation: 'gelu',
      typeVocabSize: 1,
      positionOffset: 2,
    },
    'xlm-roberta': {
      ...common,
      family: 'bert',
      modelType,
      layerNormEps: 1e-5,
      activation: 'gelu',
      typeVocabSize: 1,
      positionOffset: 2,
    },
    gpt2: {
      ...common,
      family: 'gpt2',
      modelType,
      layerNormEps: 1e-5,
      activation: 'gelu_new',
      typeVocabSize: 0,
      positionOffset: 0,
    },
  };
  return { ...byType[modelType], ...overrides };
}

/**
 * Tiny LLaMA-family configs, one per variation real checkpoints have:
 * - `llama`: Llama 2 style, grouped-query attention (4 query / 2 key-value heads), head_dim
 *   implied by hidden_size, untied head, plain RoPE with rope_theta at the top level;
 * - `llama3`: Llama 3.2 style, explicit head_dim 8 (hidden_size / heads is 4), tied head,
 *   rope_scaling of type llama3 whose wavelengths fall in all three bands (kept, interpolated,
 *   divided);
 * - `llama-linear`: multi-head attention, linear RoPE scaling in transformers 5's
 *   rope_parameters layout (theta inside);
 * - `mistral`: GQA, head_dim null, sliding_window longer than any test sequence;
 * - `qwen2`: q/k/v biases, tied head, rope_theta 1e6;
 * - `qwen3`: per-head q/k RMSNorm, explicit head_dim 8, tied head.
 */
export type TinyLlamaVariant = 'llama' | 'llama3' | 'llama-linear' | 'mistral' | 'qwen2' | 'qwen3';

export const TINY_LLAMA_VARIANTS: readonly TinyLlamaVariant[] = [
  'llama',
  'llama3',
  'llama-linear',
  'mistral',
  'qwen2',
  'qwen3',
];

export function tinyLlamaConfig(
  variant: TinyLlamaVariant,
  overrides: Partial<LlamaConfigJson> = {},
): LlamaConfigJson {
  const common = {
    vocab_size: 23,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    hidden_act: 'silu',
    max_position_embeddings: 64,
    rms_norm_eps: 1e-6,
    torch_dtype: 'float32',
  };
  const byVariant: Record<TinyLlamaVariant, LlamaConfigJson> = {
    llama: {
      ...common,
      model_type: 'llama',
      architectures: ['LlamaForCausalLM'],
      attention_bias: false,
      mlp_bias: false,
      rope_theta: 10000,
      rope_scaling: null,
      tie_word_embeddings: false,
    },
    llama3: {
      ...common,
      model_type: 'llama',
      architectures: ['LlamaForCausalLM'],
      attention_bias: false,
      mlp_bias: false,
      head_dim: 8,
      max_position_embeddings: 4096,
      rms_norm_eps: 1e-5,
      rope_theta: 500000,
      // head_dim 8: wavelengths 2 pi * 500000^(i/4) = 6.3, 167, 4443, 118000 against the bands
      // 512 / 4 = 128 and 512 / 1 = 512: one kept, one interpolated, two divided by 8.
      rope_scaling: {
        factor: 8,
        high_freq_factor: 4,
        low_freq_factor: 1,
        original_max_position_embeddings: 512,
        rope_type: 'llama3',
      },
      tie_word_embeddings: true,
    },
    'llama-linear': {
      ...common,
      model_type: 'llama',
      architectures: ['LlamaForCausalLM'],
      num_key_value_heads: 4,
      rope_parameters: { rope_type: 'linear', factor: 4, rope_theta: 10000 },
      tie_word_embeddings: false,
    },
    mistral: {
      ...common,
      model_type: 'mistral',
      architectures: ['MistralForCausalLM'],
      head_dim: null,
      rope_theta: 1000000,
      sliding_window: 4096,
      tie_word_embeddings: false,
    },
    qwen2: {
      ...common,
      model_type: 'qwen2',
      architectures: ['Qwen2ForCausalLM'],
      rope_theta: 1000000,
      use_sliding_window: false,
      sliding_window: 64,
      max_window_layers: 2,
      tie_word_embeddings: true,
    },
    qwen3: {
      ...common,
      model_type: 'qwen3',
      architectures: ['Qwen3ForCausalLM'],
      attention_bias: false,
      head_dim: 8,
      rope_theta: 1000000,
      rope_scaling: null,
      use_sliding_window: false,
      sliding_window: null,
      max_window_layers: 2,
      tie_word_embeddings: true,
    },
  };
  return { ...byVariant[variant], ...overrides };
}
