/** The architectures the engine implements. */
export type ArchFamily = 'bert' | 'gpt2';

/** FFN activation functions, named as in Hugging Face configs. */
export type Activation = 'gelu' | 'gelu_new' | 'relu';

/**
 * A Hugging Face config.json reduced to what the engine needs. `family` decides the
 * architecture; `modelType` keeps the original `model_type` (bert, roberta, xlm-roberta, gpt2).
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
  layerNormEps: number;
  activation: Activation;
  /** BERT token-type vocabulary (0 when the model has no token-type embeddings). */
  typeVocabSize: number;
  /** RoBERTa/XLM-R number positions from padding_idx + 1; BERT and GPT-2 from 0. */
  positionOffset: number;
  tieWordEmbeddings: boolean;
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
