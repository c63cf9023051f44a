import { quoted } from '../facts/text';
import { ConfigError, UnsupportedModelError } from './errors';
import type { Activation, ArchFamily, ModelConfig } from './types';

/** model_type values the engine implements, and the architecture each one uses. */
export const SUPPORTED_MODEL_TYPES: Readonly<Record<string, ArchFamily>> = {
  bert: 'bert',
  roberta: 'bert',
  'xlm-roberta': 'bert',
  // CamemBERT is RoBERTa under another name: same modules, same "roberta." tensor names.
  camembert: 'bert',
  // mGPT is published as model_type gpt2.
  gpt2: 'gpt2',
};

/** Hugging Face activation names the engine accepts, and the function each one computes. */
const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  gelu: 'gelu',
  gelu_new: 'gelu_new',
  // The same tanh approximation as gelu_new, computed by a fused PyTorch kernel.
  gelu_pytorch_tanh: 'gelu_new',
  relu: 'relu',
};

/**
 * Upper bounds on the numbers of a config.json, checked before anything is sized from them: a
 * damaged or hostile config (`num_hidden_layers: 1000000000`) fails at once instead of
 * allocating for hours. Each bound is well above the largest published model of its kind
 * (vocabularies of ~256k, hidden sizes of 16,384, 126 layers, FFNs of 53,248, 128 heads), so
 * every real model up to tens of billions of parameters passes.
 */
export const CONFIG_BOUNDS = {
  vocabSize: 1 << 20,
  hiddenSize: 1 << 15,
  numLayers: 256,
  numHeads: 1024,
  intermediateSize: 1 << 17,
  maxPositions: 1 << 17,
  typeVocabSize: 1024,
  padTokenId: 1 << 20,
  layerNormEps: 1,
} as const;

/** model types numbering positions from padding_idx + 1. */
const ROBERTA_LIKE = new Set(['roberta', 'xlm-roberta', 'camembert']);

/**
 * Turns a Hugging Face config.json into a ModelConfig. Fields a config omits take the defaults
 * transformers gives them, so a config means what it means in transformers.
 */
export function parseConfig(json: unknown, fileName = 'config.json'): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(
      `${fileName} is not a JSON object; it is not a Hugging Face config, download it again.`,
      fileName,
    );
  }
  const raw = json as Record<string, unknown>;
  const supported = Object.keys(SUPPORTED_MODEL_TYPES).join(', ');
  const modelType = raw.model_type;
  if (typeof modelType !== 'string' || !Object.hasOwn(SUPPORTED_MODEL_TYPES, modelType)) {
    const what =
      typeof modelType === 'string'
        ? `model_type ${quoted(modelType)} is`
        : 'a config without model_type is';
    throw new UnsupportedModelError(
      `${fileName}: ${what} not supported; supported model types: ${supported} (BERT/mBERT, ` +
        `RoBERTa/XLM-R/CamemBERT, GPT-2/mGPT). Pick a model of one of these types.`,
      fileName,
    );
  }
  const reader = new FieldReader(raw, fileName, modelType);
  return SUPPORTED_MODEL_TYPES[modelType] === 'gpt2'
    ? gpt2Config(reader, modelType)
    : bertConfig(reader, modelType);
}

function bertConfig(r: FieldReader, modelType: string): ModelConfig {
  const positionType = r.string('position_embedding_type', 'absolute');
  if (positionType !== 'absolute') {
    r.unsupported(
      `position_embedding_type ${quoted(positionType)}`,
      'only absolute position embeddings are implemented',
    );
  }
  const roberta = ROBERTA_LIKE.has(modelType);
  const B = CONFIG_BOUNDS;
  const hiddenSize = r.positiveInt('hidden_size', 768, B.hiddenSize);
  const numHeads = r.positiveInt('num_attention_heads', 12, B.numHeads);
  r.checkHeads(hiddenSize, numHeads, 'hidden_size', 'num_attention_heads');
  return {
    family: 'bert',
    modelType,
    vocabSize: r.positiveInt('vocab_size', 30522, B.vocabSize),
    hiddenSize,
    numLayers: r.positiveInt('num_hidden_layers', 12, B.numLayers),
    numHeads,
    intermediateSize: r.positiveInt('intermediate_size', 3072, B.intermediateSize),
    maxPositions: r.positiveInt('max_position_embeddings', 512, B.maxPositions),
    layerNormEps: r.epsilon('layer_norm_eps', 1e-12),
    activation: r.activation('hidden_act', 'gelu'),
    typeVocabSize: r.nonNegativeInt('type_vocab_size', 2, B.typeVocabSize),
    // RoBERTa-style embeddings number positions from padding_idx + 1 (RobertaConfig: pad 1).
    positionOffset: roberta ? r.nonNegativeInt('pad_token_id', 1, B.padTokenId) + 1 : 0,
    tieWordEmbeddings: r.boolean('tie_word_embeddings', true),
  };
}

function gpt2Config(r: FieldReader, modelType: string): ModelConfig {
  if (r.boolean('scale_attn_by_inverse_layer_idx', false)) {
    r.unsupported(
      'scale_attn_by_inverse_layer_idx: true',
      'attention scores are scaled by 1/sqrt(head size) only',
    );
  }
  if (!r.boolean('scale_attn_weights', true)) {
    r.unsupported(
      'scale_attn_weights: false',
      'attention scores are always scaled by 1/sqrt(head size)',
    );
  }
  if (r.boolean('add_cross_attention', false)) {
    r.unsupported('add_cross_attention: true', 'encoder-decoder GPT-2 models are not implemented');
  }
  const B = CONFIG_BOUNDS;
  const hiddenSize = r.positiveInt('n_embd', 768, B.hiddenSize);
  const numHeads = r.positiveInt('n_head', 12, B.numHeads);
  r.checkHeads(hiddenSize, numHeads, 'n_embd', 'n_head');
  return {
    family: 'gpt2',
    modelType,
    vocabSize: r.positiveInt('vocab_size', 50257, B.vocabSize),
    hiddenSize,
    numLayers: r.positiveInt('n_layer', 12, B.numLayers),
    numHeads,
    // n_inner: null (the usual value) means 4 * n_embd.
    intermediateSize: r.positiveInt('n_inner', 4 * hiddenSize, B.intermediateSize),
    maxPositions: r.positiveInt('n_positions', 1024, B.maxPositions),
    layerNormEps: r.epsilon('layer_norm_epsilon', 1e-5),
    activation: r.activation('activation_function', 'gelu_new'),
    typeVocabSize: 0,
    positionOffset: 0,
    tieWordEmbeddings: r.boolean('tie_word_embeddings', true),
  };
}

/** Reads typed fields with defaults for missing/null ones, and explains wrong values. */
class FieldReader {
  constructor(
    private readonly raw: Record<string, unknown>,
    private readonly fileName: string,
    private readonly modelType: string,
  ) {}

  /** Missing and null fields both take the default, as in transformers. */
  private value(key: string): unknown {
    return Object.hasOwn(this.raw, key) ? (this.raw[key] ?? undefined) : undefined;
  }

  private invalid(key: string, expected: string): never {
    throw new ConfigError(
      `${this.fileName}: "${key}" is ${quoted(this.raw[key])}, but it must be ${expected}; ` +
        `the config is damaged or not from a Hugging Face ${this.modelType} model, download it again.`,
      this.fileName,
    );
  }

  unsupported(what: string, why: string): never {
    throw new UnsupportedModelError(
      `${this.fileName}: ${this.modelType} models with ${what} are not supported (${why}); pick a ` +
        `model with the standard ${this.modelType} architecture.`,
      this.fileName,
    );
  }

  /** A value above `max` (CONFIG_BOUNDS) is not of a model this app can run, for `why`. */
  private bound(key: string, v: number, max: number, why = 'real models stay far below it') {
    if (v <= max) return v;
    throw new ConfigError(
      `${this.fileName}: "${key}" is ${v}, but this app accepts at most ${max} (${why}); the ` +
        `config is damaged or not of a model this app can run: download it again, or pick ` +
        `another model.`,
      this.fileName,
    );
  }

  positiveInt(key: string, fallback: number, max: number): number {
    const v = this.value(key) ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
      this.invalid(key, 'a positive integer');
    return this.bound(key, v, max);
  }

  nonNegativeInt(key: string, fallback: number, max: number): number {
    const v = this.value(key) ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      this.invalid(key, 'a non-negative integer');
    return this.bound(key, v, max);
  }

  /** A layer-norm epsilon: a positive number, at most CONFIG_BOUNDS.layerNormEps. */
  epsilon(key: string, fallback: number): number {
    const v = this.value(key) ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      this.invalid(key, 'a positive number');
    return this.bound(
      key,
      v,
      CONFIG_BOUNDS.layerNormEps,
      'a larger variance floor would flatten every normalisation',
    );
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.value(key) ?? fallback;
    if (typeof v !== 'boolean') this.invalid(key, 'true or false');
    return v;
  }

  string(key: string, fallback: string): string {
    const v = this.value(key) ?? fallback;
    if (typeof v !== 'string') this.invalid(key, 'a string');
    return v;
  }

  activation(key: string, fallback: string): Activation {
    const name = this.string(key, fallback);
    if (!Object.hasOwn(ACTIVATIONS, name)) {
      throw new UnsupportedModelError(
        `${this.fileName}: activation ${key} ${quoted(name)} is not supported; supported activations: ` +
          `${Object.keys(ACTIVATIONS).join(', ')}. Pick a model that uses one of these.`,
        this.fileName,
      );
    }
    return ACTIVATIONS[name];
  }

  checkHeads(hidden: number, heads: number, hiddenKey: string, headsKey: string): void {
    if (hidden % heads !== 0) {
      throw new ConfigError(
        `${this.fileName}: ${hiddenKey} ${hidden} is not divisible by ${headsKey} ${heads}; the ` +
          `config is damaged, download it again.`,
        this.fileName,
      );
    }
  }
}
