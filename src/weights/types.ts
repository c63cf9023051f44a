/** The architectures the engine implements. */
export type ArchFamily = 'bert' | 'gpt2' | 'llama';

/** FFN activation functions, named as in Hugging Face configs. */
export type Activation = 'gelu' | 'gelu_new' | 'relu' | 'silu';

/**
 * The rotary position embedding of a LLaMA-family model: plain, or scaled by one of the two
 * schemes the engine implements (transformers' `rope_type` `linear` and `llama3`).
 */
export type RopeConfig =
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

/** What a LLaMA-family model (llama, mistral, qwen2, qwen3) has that BERT and GPT-2 do not. */
export interface LlamaParams {
  /** Key/value heads; fewer than the query heads is grouped-query attention. */
  numKvHeads: number;
  /** Width of one attention head (config `head_dim`, else hidden_size / heads). */
  headDim: number;
  rope: RopeConfig;
  /** Biases on q_proj, k_proj, v_proj (Qwen2 always; Llama and Qwen3 with attention_bias). */
  qkvBias: boolean;
  /** Bias on o_proj (Llama and Qwen3 with attention_bias). */
  outputBias: boolean;
  /** Biases on gate_proj, up_proj, down_proj (Llama with mlp_bias). */
  mlpBias: boolean;
  /** Qwen3: RMSNorm over each head's queries and keys (q_norm, k_norm) before the rotation. */
  qkNorm: boolean;
  /**
   * The shortest sliding attention window of any layer, or null when every layer attends to all
   * earlier positions. Windowed attention is not implemented: prompts longer than the window,
   * the only ones it would change, are refused.
   */
  slidingWindow: number | null;
}

/**
 * A Hugging Face config.json reduced to what the engine needs. `family` decides the
 * architecture; `modelType` keeps the original `model_type` (bert, roberta, xlm-roberta, gpt2,
 * llama, mistral, qwen2, qwen3).
 */
export interface ModelConfig {
  family: ArchFamily;
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** FFN intermediate size: the number of candidate neurons per layer. */
  intermediateSize: number;
  maxPositions: number;
  /** The epsilon of every normalisation (LayerNorm; RMSNorm in the LLaMA family). */
  layerNormEps: number;
  activation: Activation;
  /** BERT token-type vocabulary (0 when the model has no token-type embeddings). */
  typeVocabSize: number;
  /** RoBERTa/XLM-R number positions from padding_idx + 1; BERT and GPT-2 from 0. */
  positionOffset: number;
  tieWordEmbeddings: boolean;
  /** LLaMA family only (and always there): attention and position-embedding parameters. */
  llama?: LlamaParams;
}

/** One float32 tensor held on the host. */
export interface HostTensor {
  dims: number[];
  data: Float32Array;
}

/**
 * One tensor held on the host at 16 bits: float16 bit patterns, value i = half(half[i]) x scale,
 * scale a power of two (src/weights/half.ts).
 */
export interface HalfTensor {
  dims: number[];
  half: Uint16Array;
  scale: number;
}

/** A weight as a checkpoint reader hands it over: float32, or 16-bit when asked to keep it so. */
export type StoredTensor = HostTensor | HalfTensor;

export function isHalf(t: StoredTensor): t is HalfTensor {
  return 'half' in t;
}

/** A file of a model folder, read as a stream so large checkpoints never sit in memory twice. */
export interface ModelFile {
  name: string;
  size: number;
  stream(): ReadableStream<Uint8Array>;
  /** Bytes [start, end) of the file (for headers and small files). */
  slice(start: number, end: number): Promise<Uint8Array>;
}

/**
 * Where a model's files come from: a folder on disk (Node), a URL prefix (bundled demo models,
 * the Hugging Face Hub), or files the user picked in the browser.
 */
export interface ModelSource {
  /** Stable identifier (hub id, bundled name, or folder label), used for caching results. */
  readonly id: string;
  has(name: string): Promise<boolean>;
  open(name: string): Promise<ModelFile>;
}

export interface LoadProgress {
  file: string;
  loadedBytes: number;
  totalBytes: number;
}
