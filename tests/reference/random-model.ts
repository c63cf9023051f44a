import { hashSeed, mulberry32 } from '../../src/util/random';
import type { HostTensor, ModelConfig } from '../../src/weights/types';

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
  const std = options.std ?? 0.02;
  const prefix = options.prefix ?? defaultPrefix(config);
  const weights = new Map<string, HostTensor>();
  for (const [name, dims, kind] of tensorSpecs(config)) {
    const rng = gaussian(hashSeed(seed, name));
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = (kind === 'norm' ? 1 : 0) + std * rng();
    const full = name.startsWith('cls.') || name.startsWith('lm_head.') ? name : prefix + name;
    weights.set(full, { dims: [...dims], data });
  }
  return weights;
}

function defaultPrefix(config: ModelConfig): string {
  if (config.family === 'gpt2') return 'transformer.';
  return config.modelType === 'bert' ? 'bert.' : 'roberta.';
}

type Spec = [name: string, dims: number[], kind: 'plain' | 'norm'];

function tensorSpecs(config: ModelConfig): Spec[] {
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
