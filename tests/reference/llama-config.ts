// The reference's own reader of a raw Hugging Face config.json for the LLaMA family (llama,
// mistral, qwen2, qwen3). It is deliberately separate from src/weights/config.ts, so that the
// engine's reading of a config is checked against an independent one. Defaults are those of
// transformers' LlamaConfig, MistralConfig, Qwen2Config and Qwen3Config.

/** config.json as written by save_pretrained (snake_case; only the fields read here). */
export interface LlamaConfigJson {
  model_type: string;
  vocab_size?: number;
  hidden_size?: number;
  intermediate_size?: number;
  num_hidden_layers?: number;
  num_attention_heads?: number;
  num_key_value_heads?: number | null;
  head_dim?: number | null;
  hidden_act?: string;
  max_position_embeddings?: number;
  rms_norm_eps?: number;
  tie_word_embeddings?: boolean;
  attention_bias?: boolean;
  mlp_bias?: boolean;
  rope_theta?: number;
  /** transformers < 5 (and most Hub configs): scaling only, theta at the top level. */
  rope_scaling?: RopeParametersJson | null;
  /** transformers >= 5: theta and scaling in one object. */
  rope_parameters?: RopeParametersJson | null;
  partial_rotary_factor?: number | null;
  original_max_position_embeddings?: number;
  sliding_window?: number | null;
  use_sliding_window?: boolean;
  max_window_layers?: number;
  layer_types?: string[] | null;
  [key: string]: unknown;
}

export interface RopeParametersJson {
  rope_type?: string;
  /** The name before rope_type (transformers < 4.43 configs). */
  type?: string;
  rope_theta?: number;
  factor?: number;
  low_freq_factor?: number;
  high_freq_factor?: number;
  original_max_position_embeddings?: number;
  [key: string]: unknown;
}

export const LLAMA_FAMILY_TYPES = ['llama', 'mistral', 'qwen2', 'qwen3'] as const;
export type LlamaFamilyType = (typeof LLAMA_FAMILY_TYPES)[number];

/** The rotary embedding: default, or one of the two scalings the project implements. */
export type RopeSpec =
  | { type: 'default'; theta: number }
  | { type: 'linear'; theta: number; factor: number }
  | {
      type: 'llama3';
      theta: number;
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositions: number;
    };

/** What the forward pass needs, with every default applied. */
export interface LlamaShape {
  modelType: LlamaFamilyType;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  maxPositions: number;
  rmsNormEps: number;
  tieWordEmbeddings: boolean;
  /** Biases on q_proj, k_proj, v_proj. */
  qkvBias: boolean;
  /** Bias on o_proj. */
  outputBias: boolean;
  /** Biases on gate_proj, up_proj, down_proj. */
  mlpBias: boolean;
  /** Qwen3: RMSNorm over each head's query and key (q_norm, k_norm) before the rotation. */
  qkNorm: boolean;
  rope: RopeSpec;
  /** Per layer: the sliding attention window, or null for full causal attention. */
  slidingWindow: (number | null)[];
}

interface TypeDefaults {
  numKvHeads: number | 'heads';
  headDim: number | 'derived';
  maxPositions: number;
  slidingWindow: number | null;
}

const DEFAULTS: Record<LlamaFamilyType, TypeDefaults> = {
  llama: { numKvHeads: 'heads', headDim: 'derived', maxPositions: 2048, slidingWindow: null },
  mistral: { numKvHeads: 8, headDim: 'derived', maxPositions: 4096 * 32, slidingWindow: 4096 },
  qwen2: { numKvHeads: 32, headDim: 'derived', maxPositions: 32768, slidingWindow: 4096 },
  qwen3: { numKvHeads: 32, headDim: 128, maxPositions: 32768, slidingWindow: 4096 },
};

/** RoPE types this reference implements; any other is refused by name. */
const ROPE_TYPES = ['default', 'linear', 'llama3'];

export function isLlamaFamily(modelType: unknown): modelType is LlamaFamilyType {
  return (LLAMA_FAMILY_TYPES as readonly unknown[]).includes(modelType);
}

/** Reads a raw config.json object of the LLaMA family. Throws naming what it cannot use. */
export function readLlamaConfig(json: unknown): LlamaShape {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error('reference: config is not a JSON object');
  }
  const raw = json as LlamaConfigJson;
  const modelType = raw.model_type;
  if (!isLlamaFamily(modelType)) {
    throw new Error(
      `reference: model_type ${JSON.stringify(modelType)} is not of the LLaMA family ` +
        `(${LLAMA_FAMILY_TYPES.join(', ')})`,
    );
  }
  const defaults = DEFAULTS[modelType];
  // Missing and null take the default, as in transformers.
  const get = <T>(key: string, fallback: T): T => (raw[key] ?? fallback) as T;
  const positiveInt = (key: string, fallback?: number): number => {
    const v = get<unknown>(key, fallback);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
      throw new Error(`reference: config ${key} is ${JSON.stringify(v)}, not a positive integer`);
    }
    return v;
  };

  const hiddenAct = get('hidden_act', 'silu');
  if (hiddenAct !== 'silu') {
    throw new Error(`reference: hidden_act "${hiddenAct}" is not implemented (only silu)`);
  }
  const partial = get('partial_rotary_factor', 1);
  if (partial !== 1) {
    throw new Error(`reference: partial_rotary_factor ${partial} is not implemented (only 1)`);
  }

  const hiddenSize = positiveInt('hidden_size');
  const numHeads = positiveInt('num_attention_heads');
  const numKvHeads = positiveInt(
    'num_key_value_heads',
    defaults.numKvHeads === 'heads' ? numHeads : defaults.numKvHeads,
  );
  if (numHeads % numKvHeads !== 0) {
    throw new Error(
      `reference: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`,
    );
  }
  // head_dim: null or absent means hidden_size / num_attention_heads (Qwen3Config defaults to 128).
  const derivedHeadDim = hiddenSize / numHeads;
  const headDim = positiveInt(
    'head_dim',
    defaults.headDim === 'derived' ? derivedHeadDim : defaults.headDim,
  );
  if (headDim % 2 !== 0) throw new Error(`reference: head_dim ${headDim} is odd; RoPE needs pairs`);

  const numLayers = positiveInt('num_hidden_layers');
  const maxPositions = positiveInt('max_position_embeddings', defaults.maxPositions);
  const attentionBias = get('attention_bias', false);
  return {
    modelType,
    vocabSize: positiveInt('vocab_size'),
    hiddenSize,
    intermediateSize: positiveInt('intermediate_size'),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    maxPositions,
    rmsNormEps: get('rms_norm_eps', 1e-6),
    tieWordEmbeddings: get('tie_word_embeddings', false),
    // Qwen2Attention: q/k/v always biased, o_proj never. Mistral: no biases. Llama and Qwen3:
    // attention_bias switches all four.
    qkvBias: modelType === 'qwen2' || (modelType !== 'mistral' && attentionBias),
    outputBias: (modelType === 'llama' || modelType === 'qwen3') && attentionBias,
    mlpBias: modelType === 'llama' && get('mlp_bias', false),
    qkNorm: modelType === 'qwen3',
    rope: readRope(raw, maxPositions),
    slidingWindow: slidingWindows(raw, modelType, numLayers, defaults.slidingWindow),
  };
}

/**
 * RoPE parameters from either layout. transformers 5 folds rope_scaling (which wins when both
 * are present) and the top-level rope_theta into rope_parameters; `type` is the old name of
 * `rope_type`; llama3 scaling takes original_max_position_embeddings from the parameters, else
 * from the top level, else max_position_embeddings.
 */
function readRope(raw: LlamaConfigJson, maxPositions: number): RopeSpec {
  const params: RopeParametersJson = raw.rope_scaling ?? raw.rope_parameters ?? {};
  const type = params.rope_type ?? params.type ?? 'default';
  if (!ROPE_TYPES.includes(type)) {
    throw new Error(
      `reference: rope type "${type}" is not implemented (only ${ROPE_TYPES.join(', ')})`,
    );
  }
  const theta = params.rope_theta ?? raw.rope_theta ?? 10000;
  const number = (key: string): number => {
    const v = params[key];
    if (typeof v !== 'number' || !(v > 0)) {
      throw new Error(`reference: rope ${type} needs a positive ${key}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  if (type === 'default') return { type, theta };
  if (type === 'linear') return { type, theta, factor: number('factor') };
  return {
    type: 'llama3',
    theta,
    factor: number('factor'),
    lowFreqFactor: number('low_freq_factor'),
    highFreqFactor: number('high_freq_factor'),
    originalMaxPositions:
      params.original_max_position_embeddings ??
      raw.original_max_position_embeddings ??
      maxPositions,
  };
}

/**
 * Mistral windows every layer unless sliding_window is null. Qwen2/Qwen3 window only when
 * use_sliding_window is set: the layers layer_types marks "sliding_attention", by default those
 * from max_window_layers on.
 */
function slidingWindows(
  raw: LlamaConfigJson,
  modelType: LlamaFamilyType,
  numLayers: number,
  defaultWindow: number | null,
): (number | null)[] {
  const window = raw.sliding_window === undefined ? defaultWindow : raw.sliding_window;
  const layers = Array.from({ length: numLayers }, (_, l) => l);
  if (modelType === 'llama') return layers.map(() => null);
  if (modelType === 'mistral') return layers.map(() => window);
  if (!raw.use_sliding_window || window === null) return layers.map(() => null);
  const firstWindowed = raw.max_window_layers ?? 28;
  return layers.map((l) =>
    (raw.layer_types ? raw.layer_types[l] === 'sliding_attention' : l >= firstWindowed)
      ? window
      : null,
  );
}
