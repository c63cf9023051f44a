import { quoted } from '../facts/text';
import { ConfigError, UnsupportedModelError } from './errors';
import type { Activation, ArchFamily, LlamaParams, ModelConfig, RopeConfig } from './types';

/** model_type values the engine implements, and the architecture each one uses. */
export const SUPPORTED_MODEL_TYPES: Readonly<Record<string, ArchFamily>> = {
  bert: 'bert',
  roberta: 'bert',
  'xlm-roberta': 'bert',
  // CamemBERT is RoBERTa under another name: same modules, same "roberta." tensor names.
  camembert: 'bert',
  // mGPT is published as model_type gpt2.
  gpt2: 'gpt2',
  // One architecture with the variations of real checkpoints (see llamaConfig).
  llama: 'llama',
  mistral: 'llama',
  qwen2: 'llama',
  qwen3: 'llama',
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
  /** Width of one attention head (the largest published ones are 256). */
  headDim: 1024,
  /** RoPE base (published ones go up to 10^8). */
  ropeTheta: 1e12,
  /** RoPE scaling factors: context extension factors are 2 to 64 in published models. */
  ropeFactor: 1 << 16,
  /** A sliding attention window, in tokens (Mistral's is 4,096). */
  slidingWindow: 1 << 24,
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
        `RoBERTa/XLM-R/CamemBERT, GPT-2/mGPT, Llama/Mistral/Qwen2/Qwen3). Pick a model of one ` +
        `of these types.`,
      fileName,
    );
  }
  const reader = new FieldReader(raw, fileName, modelType);
  switch (SUPPORTED_MODEL_TYPES[modelType]) {
    case 'gpt2':
      return gpt2Config(reader, modelType);
    case 'llama':
      return llamaConfig(reader, modelType);
    default:
      return bertConfig(reader, modelType);
  }
}

/**
 * config.json's eos_token_id: the end-of-sequence token the model was trained with, or the first
 * of a list (Llama 3 Instruct lists the end of text and the end of a turn), or undefined when
 * the field is missing or not a token id. The tokenizer falls back on it (loadTokenizer).
 */
export function configEosTokenId(json: unknown): number | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const raw = (json as Record<string, unknown>).eos_token_id;
  const id = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
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

/** transformers' defaults of the LLaMA-family config classes that differ between model types. */
const LLAMA_DEFAULTS: Record<
  string,
  {
    vocabSize: number;
    intermediateSize: number;
    kvHeads: number | 'all';
    headDim: number | 'derived';
    maxPositions: number;
    slidingWindow: number;
  }
> = {
  llama: {
    vocabSize: 32000,
    intermediateSize: 11008,
    kvHeads: 'all',
    headDim: 'derived',
    maxPositions: 2048,
    slidingWindow: 0,
  },
  mistral: {
    vocabSize: 32000,
    intermediateSize: 14336,
    kvHeads: 8,
    headDim: 'derived',
    maxPositions: 4096 * 32,
    slidingWindow: 4096,
  },
  qwen2: {
    vocabSize: 151936,
    intermediateSize: 22016,
    kvHeads: 32,
    headDim: 'derived',
    maxPositions: 32768,
    slidingWindow: 4096,
  },
  qwen3: {
    vocabSize: 151936,
    intermediateSize: 22016,
    kvHeads: 32,
    headDim: 128,
    maxPositions: 32768,
    slidingWindow: 4096,
  },
};

/**
 * LlamaConfig, MistralConfig, Qwen2Config and Qwen3Config: one architecture whose variations are
 * read here. Attention biases: Qwen2 always has them on q, k and v (never on o); Llama and Qwen3
 * on all four with attention_bias; Mistral never. MLP biases: Llama with mlp_bias. Qwen3 norms
 * each head's queries and keys.
 */
function llamaConfig(r: FieldReader, modelType: string): ModelConfig {
  const D = LLAMA_DEFAULTS[modelType];
  const B = CONFIG_BOUNDS;
  const hiddenSize = r.positiveInt('hidden_size', 4096, B.hiddenSize);
  const numHeads = r.positiveInt('num_attention_heads', 32, B.numHeads);
  const numKvHeads = r.positiveInt(
    'num_key_value_heads',
    D.kvHeads === 'all' ? numHeads : D.kvHeads,
    B.numHeads,
  );
  if (numHeads % numKvHeads !== 0) {
    r.damaged(
      `num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads} ` +
        '(each key/value head serves a whole group of query heads)',
    );
  }
  if (!r.has('head_dim') && D.headDim === 'derived')
    r.checkHeads(hiddenSize, numHeads, 'hidden_size', 'num_attention_heads');
  const headDim = r.positiveInt(
    'head_dim',
    D.headDim === 'derived' ? hiddenSize / numHeads : D.headDim,
    B.headDim,
  );
  if (headDim % 2 !== 0)
    r.damaged(`head_dim ${headDim} is odd, but the rotary embedding turns pairs of values`);
  const activation = r.string('hidden_act', 'silu');
  if (activation !== 'silu')
    r.unsupported(`hidden_act ${quoted(activation)}`, 'the gated FFN is implemented with silu');
  const partial = r
    .rope()
    .positiveNumber('partial_rotary_factor', r.positiveNumber('partial_rotary_factor', 1));
  if (partial !== 1)
    r.unsupported(
      `partial_rotary_factor ${partial}`,
      'the rotary embedding turns every value of a head',
    );
  const maxPositions = r.positiveInt('max_position_embeddings', D.maxPositions, B.maxPositions);
  const numLayers = r.positiveInt('num_hidden_layers', 32, B.numLayers);
  const attentionBias = modelType !== 'qwen2' && r.boolean('attention_bias', false);
  const llama: LlamaParams = {
    numKvHeads,
    headDim,
    rope: ropeConfig(r, maxPositions),
    qkvBias: modelType === 'qwen2' || (modelType !== 'mistral' && attentionBias),
    outputBias: (modelType === 'llama' || modelType === 'qwen3') && attentionBias,
    mlpBias: modelType === 'llama' && r.boolean('mlp_bias', false),
    qkNorm: modelType === 'qwen3',
    slidingWindow: slidingWindow(r, modelType, numLayers, D.slidingWindow),
  };
  return {
    family: 'llama',
    modelType,
    vocabSize: r.positiveInt('vocab_size', D.vocabSize, B.vocabSize),
    hiddenSize,
    numLayers,
    numHeads,
    intermediateSize: r.positiveInt('intermediate_size', D.intermediateSize, B.intermediateSize),
    maxPositions,
    layerNormEps: r.epsilon('rms_norm_eps', 1e-6),
    activation: 'silu',
    typeVocabSize: 0,
    positionOffset: 0,
    tieWordEmbeddings: r.boolean('tie_word_embeddings', false),
    llama,
  };
}

/** RoPE types the engine implements. */
const ROPE_TYPES = ['default', 'linear', 'llama3'];

/**
 * The rotary embedding, from either layout: `rope_theta` at the top level with `rope_scaling`
 * (transformers 4), or `rope_parameters` holding both (transformers 5; rope_scaling wins when a
 * config has both, as transformers 5 reads it). `type` is rope_type's older name. llama3
 * scaling takes original_max_position_embeddings from the parameters, else the top level,
 * else max_position_embeddings.
 */
function ropeConfig(r: FieldReader, maxPositions: number): RopeConfig {
  const p = r.rope();
  const type = p.string('rope_type', p.string('type', 'default'));
  if (!ROPE_TYPES.includes(type)) {
    r.unsupported(
      `${p.name} of type ${quoted(type)}`,
      `the rotary scalings implemented are ${ROPE_TYPES.filter((t) => t !== 'default').join(' and ')}, or none`,
    );
  }
  const B = CONFIG_BOUNDS;
  const thetaFrom = p.has('rope_theta') ? p : r;
  const theta = thetaFrom.positiveNumber('rope_theta', 10000);
  if (theta > B.ropeTheta) thetaFrom.tooLarge('rope_theta', theta, B.ropeTheta);
  const factor = () => {
    const f = p.positiveNumber('factor');
    return f > B.ropeFactor ? p.tooLarge('factor', f, B.ropeFactor) : f;
  };
  if (type === 'default') return { type, theta };
  if (type === 'linear') return { type, theta, factor: factor() };
  const lowFreqFactor = p.positiveNumber('low_freq_factor');
  const highFreqFactor = p.positiveNumber('high_freq_factor');
  if (!(highFreqFactor > lowFreqFactor))
    p.damaged(
      `high_freq_factor ${highFreqFactor} is not greater than low_freq_factor ${lowFreqFactor}`,
    );
  return {
    type: 'llama3',
    theta,
    factor: factor(),
    lowFreqFactor,
    highFreqFactor,
    originalMaxPositions: p.positiveInt(
      'original_max_position_embeddings',
      r.positiveInt('original_max_position_embeddings', maxPositions, B.maxPositions),
      B.maxPositions,
    ),
  };
}

/**
 * The shortest attention window: Mistral windows every layer unless sliding_window is null;
 * Qwen2 and Qwen3 only with use_sliding_window, then the layers layer_types marks
 * "sliding_attention" (by default those from max_window_layers on); Llama never. A missing
 * sliding_window takes the default, null means none.
 */
function slidingWindow(
  r: FieldReader,
  modelType: string,
  numLayers: number,
  fallback: number,
): number | null {
  if (modelType === 'llama') return null;
  if (modelType !== 'mistral' && !r.boolean('use_sliding_window', false)) return null;
  if (r.isNull('sliding_window')) return null;
  const window = r.positiveInt('sliding_window', fallback, CONFIG_BOUNDS.slidingWindow);
  if (modelType === 'mistral') return window;
  const types = r.stringList('layer_types');
  // Any count of layers is fine: a first windowed layer past the last one windows none.
  const first = r.nonNegativeInt('max_window_layers', 28, Number.MAX_SAFE_INTEGER);
  const windowed = (l: number) => (types ? types[l] === 'sliding_attention' : l >= first);
  return Array.from({ length: numLayers }, (_, l) => l).some(windowed) ? window : null;
}

/** Reads typed fields with defaults for missing/null ones, and explains wrong values. */
class FieldReader {
  /**
   * `prefix` names a nested object in messages ("rope_scaling."); `name` is how a message
   * names the object itself.
   */
  constructor(
    private readonly raw: Record<string, unknown>,
    private readonly fileName: string,
    private readonly modelType: string,
    readonly name = 'the config',
    private readonly prefix = '',
  ) {}

  /** Missing and null fields both take the default, as in transformers. */
  private value(key: string): unknown {
    return Object.hasOwn(this.raw, key) ? (this.raw[key] ?? undefined) : undefined;
  }

  /** Whether the field holds a value (neither missing nor null). */
  has(key: string): boolean {
    return this.value(key) !== undefined;
  }

  /** Whether the field is there and null (for fields where null means "none", not the default). */
  isNull(key: string): boolean {
    return Object.hasOwn(this.raw, key) && this.raw[key] === null;
  }

  private invalid(key: string, expected: string): never {
    const what = Object.hasOwn(this.raw, key) ? `is ${quoted(this.raw[key])}` : 'is missing';
    throw new ConfigError(
      `${this.fileName}: "${this.prefix}${key}" ${what}, but it must be ${expected}; ` +
        `the config is damaged or not from a Hugging Face ${this.modelType} model, download it again.`,
      this.fileName,
    );
  }

  /** A config whose values contradict each other. */
  damaged(problem: string): never {
    throw new ConfigError(
      `${this.fileName}: ${this.prefix ? `${this.prefix.slice(0, -1)}: ` : ''}${problem}; the ` +
        'config is damaged, download it again.',
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
    return v <= max ? v : this.tooLarge(key, v, max, why);
  }

  tooLarge(key: string, v: number, max: number, why = 'real models stay far below it'): never {
    throw new ConfigError(
      `${this.fileName}: "${this.prefix}${key}" is ${v}, but this app accepts at most ${max} ` +
        `(${why}); the config is damaged or not of a model this app can run: download it again, ` +
        `or pick another model.`,
      this.fileName,
    );
  }

  positiveInt(key: string, fallback: number | undefined, max: number): number {
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

  /** A positive finite number; required when there is no fallback. */
  positiveNumber(key: string, fallback?: number): number {
    const v = this.value(key) ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      this.invalid(key, 'a positive number');
    return v;
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

  /** A list of strings, or undefined when the field is missing or null. */
  stringList(key: string): string[] | undefined {
    const v = this.value(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
      this.invalid(key, 'a list of strings');
    return v as string[];
  }

  /**
   * The rotary-embedding parameters as a reader of their own: rope_scaling (transformers 4,
   * and it wins when both are there), else rope_parameters (transformers 5), else an empty
   * object (no scaling, theta at the top level).
   */
  rope(): FieldReader {
    const key = this.has('rope_scaling') ? 'rope_scaling' : 'rope_parameters';
    const v = this.value(key) ?? {};
    if (typeof v !== 'object' || Array.isArray(v)) this.invalid(key, 'an object');
    return new FieldReader(
      v as Record<string, unknown>,
      this.fileName,
      this.modelType,
      key,
      `${key}.`,
    );
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
