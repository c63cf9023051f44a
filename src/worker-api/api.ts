/**
 * The engine's API: what the Web Worker (workers/engine.worker.ts) exposes over comlink and the
 * UI calls through `createEngineClient()`. Arguments and results cross the worker boundary by
 * structured clone, so they are plain data (typed arrays and File objects included), never
 * tensors or sessions. Callbacks (progress, events) are passed wrapped in comlink's `proxy()`.
 *
 * `init` once per worker, then `loadModel`; one model is loaded at a time. Long calls take a
 * `runId` chosen by the caller; `cancel(runId)` aborts them, and they reject with an error
 * named `AbortError`. Every other error reaches the UI as an Error whose message can be shown
 * as it is and whose `name` says what kind of problem it is (see ./errors.ts).
 */
import type { AttributionResult, BlockProgress } from '../attribution/attribute';
import type { BlockCounts, TapMode } from '../model';
import type { NeuronEdit, Prediction } from '../attribution/predict';
import type { MultiTokenMode } from '../attribution/prompt';
import type { AttributionSettings } from '../attribution/settings';
import type { PromotedToken, ProjectionDirection } from '../analysis/projection';
import type { BackendRequest, OrtEngine, OrtLogLevel } from '../runtime/backend-choice';
import type { ProofResult } from '../runtime/proof';
import type { WebBackendInfo } from '../runtime/web';
import type { ArchFamily, CachedModel } from '../weights';
import type { AnalysisApi } from './analysis-api';
import type { ActiveEdit } from './edit-registry';

export type {
  ActiveEdit,
  AttributionResult,
  BlockCounts,
  BlockProgress,
  CachedModel,
  NeuronEdit,
  Prediction,
  PromotedToken,
};

export interface InitOptions {
  /** `?backend=`: auto (default), webgpu or wasm. */
  backend?: BackendRequest;
  /** `?ort=`: native (default, onnxruntime-web/webgpu) or jsep (onnxruntime-web). */
  engine?: OrtEngine;
  /** `?ortlog=`: onnxruntime's log level (default error); verbose shows op placement. */
  logLevel?: OrtLogLevel;
}

/** The backend the engine runs on, as the status bar shows it. */
export type EngineInfo = WebBackendInfo;

/** The pipeline proof's result (see src/runtime/proof.ts). */
export type SelfTestResult = ProofResult;

/** Names of bundled model folders (under /models/): no path tricks. */
export const BUNDLED_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Which model to load. */
export type ModelRequest =
  /** A demo model shipped with the app, under /models/<name>/. */
  | { kind: 'bundled'; name: string }
  /** A Hugging Face Hub model, downloaded once and kept in Cache Storage. */
  | { kind: 'hub'; id: string; revision?: string }
  /** The files of a model folder the user picked or dropped (config.json, tokenizer.json, ...). */
  | { kind: 'files'; files: File[]; label: string };

/** A loaded model, as the UI shows it and as results are keyed by. */
export interface ModelInfo {
  /** 'demo-gpt2', 'owner/name' (Hub, '@revision' unless main), 'local:<folder>'. */
  id: string;
  /**
   * The id plus a digest of the model's config, tokenizer and checkpoint size: results cached
   * under one key stay valid only for the same files (a retrained demo model gets a new key).
   */
  key: string;
  kind: ModelRequest['kind'];
  family: ArchFamily;
  modelType: string;
  layers: number;
  /** FFN units per layer: the candidate neurons of each layer. */
  units: number;
  hiddenSize: number;
  heads: number;
  vocabSize: number;
  maxPositions: number;
  activation: string;
  tiedEmbeddings: boolean;
  /** The tokenizer's mask token (masked LMs); users still write [MASK]. */
  maskToken?: string;
  checkpointBytes: number;
  backend: 'webgpu' | 'wasm' | 'node';
  loadSeconds: number;
  /**
   * Weight edits in force, oldest first. While there is one, `key` names them (results of the
   * edited model never pass for the model's) and nothing computed may be cached.
   */
  edits: ActiveEdit[];
}

export type LoadPhase = 'download' | 'read' | 'prepare';

/** Progress of `loadModel`: downloads (Hub), reading the checkpoint, compiling the graphs. */
export interface LoadEvent {
  phase: LoadPhase;
  /** The file being downloaded or read. */
  file?: string;
  loadedBytes: number;
  totalBytes: number;
}

export interface PromptInput {
  prompt: string;
  object: string;
}

export interface EstimateRequest {
  prompts: PromptInput[];
  settings: AttributionSettings;
}

/** What one prompt will cost, or why it cannot run. */
export type PromptEstimate =
  | {
      ok: true;
      /** Tokens the model reads. */
      tokens: number;
      /** Object tokens: one attribution pass each. */
      passes: number;
      counts: BlockCounts;
      seconds: number;
      /** Non-fatal problems (e.g. unknown words in the prompt). */
      warnings: string[];
    }
  | { ok: false; error: string };

/** Seconds per sample through one block (and per row through the head) on this device. */
export interface Benchmark {
  backend: 'webgpu' | 'wasm' | 'node';
  forwardSeconds: number;
  backwardSeconds: number;
  headSeconds: number;
  /** Batch rows and tokens the timings were taken at. */
  rows: number;
  tokens: number;
}

export interface Estimate {
  items: PromptEstimate[];
  total: { prompts: number; passes: number; counts: BlockCounts; seconds: number };
  benchmark: Benchmark;
}

export interface AttributeRequest extends PromptInput {
  runId: string;
  settings: AttributionSettings;
}

export interface PredictRequest extends PromptInput {
  topK?: number;
  tapMode?: TapMode;
  multiToken?: MultiTokenMode;
  /** One prediction per variant; [] is the unedited model. Default [[]]. */
  variants?: NeuronEdit[][];
}

export interface ValueTokensRequest {
  layer: number;
  unit: number;
  k: number;
  direction?: ProjectionDirection;
}

/** Something that happened in the engine outside any call: today, a lost GPU device. */
export interface EngineEvent {
  type: 'device-lost';
  message: string;
}

/** The engine's calls: models, attribution and predictions here, the analyses in AnalysisApi. */
export interface EngineApi extends AnalysisApi {
  /**
   * Starts onnxruntime-web on the requested backend and reports what it uses. Once per worker:
   * calling it again with the same options returns the same info; other options throw (make a
   * new client instead, since onnxruntime's settings are fixed once it has started).
   */
  init(options?: InitOptions): Promise<EngineInfo>;
  /** Builds, runs and checks the pipeline-proof graphs on the engine's backend. */
  selfTest(): Promise<SelfTestResult>;
  /** Calls `listener` for engine events (a lost GPU device) from now on. */
  subscribe(listener: (e: EngineEvent) => void): Promise<void>;

  /** Loads a model (replacing the one loaded) and compiles its graphs. Cancellable. */
  loadModel(
    request: ModelRequest,
    runId: string,
    onProgress?: (e: LoadEvent) => void,
  ): Promise<ModelInfo>;
  /** The loaded model, if any. */
  modelInfo(): Promise<ModelInfo | null>;
  /** Frees the loaded model's device memory. */
  unloadModel(): Promise<void>;
  /** Hub models kept in Cache Storage, with their files and sizes. */
  cachedModels(): Promise<CachedModel[]>;
  /** Deletes a Hub model's files from Cache Storage; returns how many files went. */
  removeCachedModel(id: string): Promise<number>;

  /**
   * The work attribution will do before it starts: block evaluations (as the engine counts
   * them) and seconds from a benchmark of this device on the loaded model, taken once per model.
   */
  estimate(request: EstimateRequest): Promise<Estimate>;
  /** Attributes P(object | prompt) to every FFN neuron of the loaded model. Cancellable. */
  attribute(
    request: AttributeRequest,
    onProgress?: (p: BlockProgress) => void,
  ): Promise<AttributionResult>;
  /** The model's predictions at the object's slots, with or without neuron edits. */
  predict(request: PredictRequest): Promise<Prediction[]>;
  /** The vocabulary tokens a neuron's value vector promotes (or suppresses) most. */
  valueVectorTokens(request: ValueTokensRequest): Promise<PromotedToken[]>;
  /** Aborts the call started with this run id (no-op when it has finished). */
  cancel(runId: string): Promise<void>;
}
