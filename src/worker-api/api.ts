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
 *
 * The analysis calls (issue #6: a fact's language overlap, the degenerate neurons of a prompt,
 * the intervention lab, weight edits, dataset runs and fact checking) follow the same rules,
 * with progress at most every 100 ms. Their results are kept in the worker's IndexedDB store
 * (./idb-store.ts) under the model's key, so a dataset run or fact check resumes after a
 * reload, and a finished analysis answers at once when asked again. Nothing is kept while a
 * weight edit is active (ModelInfo.edits): results of the edited model must never pass for the
 * model's.
 */
import type { AttributionResult, BlockProgress } from '../attribution/attribute';
import type { BlockCounts, TapMode, WeightSummary } from '../model';
import type { NeuronEdit, Prediction } from '../attribution/predict';
import type { MultiTokenMode } from '../attribution/prompt';
import type { AttributionSettings } from '../attribution/settings';
import type { DatasetProgress, RunFailure } from '../analysis/dataset';
import type { EditReport, FactEdit } from '../analysis/edits';
import type { FactCheckProgress, FactCheckReport } from '../analysis/factcheck';
import type { InterventionKind } from '../analysis/interventions';
import type { NeuronSetChoice, NeuronSetSources } from '../analysis/neuron-sets';
import type { PromotedToken, ProjectionDirection } from '../analysis/projection';
import type { Neuron } from '../analysis/selection';
import type {
  DatasetRun,
  DegenerateProgress,
  DegenerateResult,
  FactOverlap,
  LabProgress,
  LabResult,
  OverlapProgress,
  PromptRef,
  ServiceProgress,
} from '../analysis/services';
import type { Fact } from '../facts/types';
import type { BackendRequest, OrtEngine, OrtLogLevel } from '../runtime/backend-choice';
import type { ProofResult } from '../runtime/proof';
import type { WebBackendInfo } from '../runtime/web';
import type { CachedModel, ModelConfig, ModelRef } from '../weights';
import type { ActiveEdit } from './edit-registry';
import type { ModelAssessment } from './assess';

export type {
  ActiveEdit,
  ModelAssessment,
  AttributionResult,
  BlockCounts,
  BlockProgress,
  CachedModel,
  DatasetProgress,
  DatasetRun,
  DegenerateProgress,
  DegenerateResult,
  EditReport,
  FactCheckProgress,
  FactCheckReport,
  FactEdit,
  FactOverlap,
  LabProgress,
  LabResult,
  NeuronEdit,
  OverlapProgress,
  Prediction,
  PromotedToken,
  PromptRef,
  RunFailure,
  ServiceProgress,
  WeightSummary,
};

export interface InitOptions {
  /** `?backend=`: auto (default), webgpu or wasm. */
  backend?: BackendRequest;
  /** `?ort=`: native (onnxruntime-web/webgpu) or jsep (onnxruntime-web); default: ortBuild. */
  engine?: OrtEngine;
  /** `?ortlog=`: onnxruntime's log level (default error); verbose shows op placement. */
  logLevel?: OrtLogLevel;
  /** `?threads=`: WASM threads (default: up to 4, as many as the cores). */
  threads?: number;
  /**
   * What the end-to-end tests may do to this worker (src/app/test-hooks.ts: only a test's own
   * script turns them on): `testHook` works only with it, and `noAdapter` makes the WebGPU
   * adapter request fail, as on a machine whose GPU did not come back.
   */
  testHooks?: { noAdapter?: boolean };
}

/**
 * What a test may do to the engine (only when it was started with `testHooks`): destroy the GPU
 * device now, or at the next attribution's first progress report (a run stopped mid-way).
 */
export type TestHook = 'lose-device' | 'lose-device-in-next-run';

/** The backend the engine runs on, as the status bar shows it. */
export type EngineInfo = WebBackendInfo;

/** The pipeline proof's result (see src/runtime/proof.ts). */
export type SelfTestResult = ProofResult;

/**
 * Which model to load: its reference, plus, for a picked folder, the folder's files
 * (config.json, tokenizer.json, ...). A Hub model is downloaded once and kept in Cache Storage.
 */
export type ModelRequest = ModelRef & {
  files?: File[];
  /** Round float32 weights to 16 bits (the "load float32 weights as 16-bit" setting). */
  float32As16?: boolean;
  /**
   * The user's Hugging Face token (gated models), for Hub requests only; never part of a
   * ModelRef, a link or a result.
   */
  hubToken?: string;
};

/** A loaded model, as the UI shows it and as results are keyed by. */
export interface ModelInfo {
  /** modelId of its reference: 'demo-gpt2', 'owner/name' ('@revision' off main), 'local:<folder>'. */
  id: string;
  /**
   * The id plus a digest of the model's config, tokenizer and checkpoint size: results cached
   * under one key stay valid only for the same files (a retrained demo model gets a new key).
   */
  key: string;
  kind: ModelRef['kind'];
  /**
   * The model as results and every export caption name it: the id, marked when float32 weights
   * were rounded to 16 bits.
   */
  label: string;
  /** How its weights are held: device bytes, 16-bit bytes, rounding, and why some stay float32. */
  weights: WeightSummary;
  /** Its config.json as the engine reads it (intermediateSize: the candidate neurons per layer). */
  config: ModelConfig;
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

/**
 * What one kind of graph call costs on this device: a fixed part per call (running a session,
 * moving its inputs and outputs) and a part per unit of work, fitted from a probe at two sizes.
 */
export interface CallCost {
  /** Seconds per call. */
  call: number;
  /** Seconds per position through a block (block graphs), or per row (the head). */
  unit: number;
}

/** This device's timings on the loaded model (src/worker-api/benchmark.ts). */
export interface Benchmark {
  backend: 'webgpu' | 'wasm' | 'node';
  /** A block forward, a block's VJP, and the head's VJP. */
  forward: CallCost;
  backward: CallCost;
  head: CallCost;
  /**
   * A staggered path block's forward and VJP (which recalls the forward's products), per
   * position of its rows: a causal model's rows carry one position against cached keys.
   */
  path: CallCost;
  pathBackward: CallCost;
  /** The probe's large sizes: block rows of `tokens` positions, head rows, path rows. */
  rows: number;
  headRows: number;
  tokens: number;
  pathRows: number;
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

/**
 * Something that happened in the engine outside any call: today, a lost GPU device. From then
 * on every call of this worker fails with a DeviceLostError: make a new client (the app does,
 * src/app/useEngine.ts), which starts a new device, or WASM where WebGPU does not come back.
 */
export interface EngineEvent {
  type: 'device-lost';
  /** The device's own reason and message ("destroyed", "unknown: ..."). */
  reason: string;
}

// ---------------------------------------------------------------------------------------------
// Analyses

/** How maps are attributed and each language's tau: what every analysis of KN depends on. */
export interface AnalysisSettings {
  settings: AttributionSettings;
  /** KN threshold per language; languages not listed use the paper's (0.3, 0.2 for zh). */
  tau: Record<string, number>;
}

export interface OverlapCall extends AnalysisSettings {
  runId: string;
  fact: Fact;
  /** Maps the page holds already (its result cache); reused where prompt and settings match. */
  known?: AttributionResult[];
}

export interface OverlapAnswer {
  overlap: FactOverlap;
  /** The maps this call attributed, for the page to keep. */
  computed: AttributionResult[];
}

export interface DegenerateCall extends AnalysisSettings {
  runId: string;
  prompt: PromptRef;
  /** The prompt's map, when the page holds it: its KN start the search without attributing. */
  known?: AttributionResult;
  /** Top KN searched for pairs (20) and the probability thresholds (0.2, 0.25). */
  topK?: number;
  singleDrop?: number;
  jointDrop?: number;
}

export interface DegenerateAnswer {
  result: DegenerateResult;
  /** The prompt's map when this call attributed it, for the page to keep. */
  computed: AttributionResult | null;
}

export interface LabCall {
  runId: string;
  /** The targets' facts, and the pool unrelated prompts come from. */
  facts: Fact[];
  choice: NeuronSetChoice;
  targets: { factId: string; sources: NeuronSetSources }[];
  /** Tap and multi-token mode of the interventions. */
  settings: AttributionSettings;
  kinds?: InterventionKind[];
  topK?: number;
}

export interface EditCall {
  runId: string;
  fact: Fact;
  neurons: Neuron[];
  edit: FactEdit;
  settings: AttributionSettings;
  /** The neuron set's name, for the list of active edits. */
  label: string;
  topK?: number;
}

export interface EditAnswer {
  edit: ActiveEdit;
  /** Every prompt of the fact before and after the edit. */
  report: EditReport;
  /** The model as it is now: edited, with a key of its own. */
  info: ModelInfo;
}

export interface DatasetCall extends AnalysisSettings {
  runId: string;
  facts: Fact[];
  /** Languages run (default: every language of the facts). */
  languages?: string[];
  /** Also search the degenerate pairs of every fact x language. */
  degenerate: boolean;
}

export interface DatasetAnswer extends DatasetRun {
  /** Whether the results were stored (false while an edit is active or storage is refused). */
  persistent: boolean;
}

export interface FactCheckCall extends AnalysisSettings {
  runId: string;
  facts: Fact[];
  /** Relations checked (null: facts without one); all when left out. */
  relations?: (string | null)[];
  language: string;
}

export interface FactCheckAnswer extends FactCheckReport {
  persistent: boolean;
}

/** What to estimate: a call's request without its run id. */
export type AnalysisEstimateRequest =
  | ({ kind: 'degenerate' } & Omit<DegenerateCall, 'runId'>)
  | ({ kind: 'lab' } & Omit<LabCall, 'runId'>)
  | ({ kind: 'dataset' } & Omit<DatasetCall, 'runId'>)
  | ({ kind: 'factcheck' } & Omit<FactCheckCall, 'runId'>);

/** The cost of an analysis before it runs; the same engine counts as `estimate`'s. */
export interface AnalysisEstimate {
  /**
   * Units the call works through: fact x language items (dataset, fact check: its training
   * items), prompts (lab), suppressed sets (degenerate).
   */
  items: number;
  /** Items found in the result store: a run reuses them. */
  stored: number;
  /** The whole answer is stored: the call answers at once, computing nothing. */
  complete: boolean;
  /**
   * Block evaluations still to do, forward and backward together (as DatasetProgress.blocks
   * counts them); an upper bound where the work depends on what earlier steps find.
   */
  blocks: number;
  /** Token-block evaluations (one position through one block) among them. */
  tokenBlocks: number;
  /** The work timed by this device's benchmark of the model (see Estimate). */
  seconds: number;
  /** Fact x language items that cannot run, and why. */
  failures: RunFailure[];
  /** Whether results will be stored (see DatasetAnswer.persistent). */
  persistent: boolean;
}

// ---------------------------------------------------------------------------------------------
// The calls

/** The engine's calls: models, attribution and predictions, then the analyses. */
export interface EngineApi {
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
  /** Test hooks (see InitOptions.testHooks and TestHook). */
  testHook(hook: TestHook): Promise<void>;

  /** Loads a model (replacing the one loaded) and compiles its graphs. Cancellable. */
  loadModel(
    request: ModelRequest,
    runId: string,
    onProgress?: (e: LoadEvent) => void,
  ): Promise<ModelInfo>;
  /**
   * A model's memory and time before its download: config.json and the checkpoint's size only
   * (nothing is kept in the cache), compared with this browser's backends.
   */
  assessModel(request: ModelRequest): Promise<ModelAssessment>;
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

  // Analyses
  /** KN per language of a fact, LIKN and the exclusive regions. Cancellable. */
  factOverlap(call: OverlapCall, onProgress?: (p: OverlapProgress) => void): Promise<OverlapAnswer>;
  /** Degenerate pairs and verified clusters of one prompt. Cancellable. */
  degenerate(
    call: DegenerateCall,
    onProgress?: (p: DegenerateProgress) => void,
  ): Promise<DegenerateAnswer>;
  /** Suppresses and enhances a neuron set of each target fact, in every language. Cancellable. */
  interventionLab(call: LabCall, onProgress?: (p: LabProgress) => void): Promise<LabResult>;
  /**
   * Edits the value vectors of `neurons` (erase, or update towards new objects) and predicts
   * every prompt of the fact before and after. The edit stays until `revertEdit`.
   */
  applyEdit(call: EditCall, onProgress?: (p: ServiceProgress) => void): Promise<EditAnswer>;
  /** Restores the weights an edit changed; returns the model as it is then. */
  revertEdit(id: string): Promise<ModelInfo>;
  /** Attribution, KN and optionally DKN of every fact x language, with aggregates. Resumes. */
  datasetRun(call: DatasetCall, onProgress?: (p: DatasetProgress) => void): Promise<DatasetAnswer>;
  /** Fact checking with DKN and the top-prediction baseline. Resumes. */
  factCheck(
    call: FactCheckCall,
    onProgress?: (p: FactCheckProgress) => void,
  ): Promise<FactCheckAnswer>;
  /** What an analysis will cost, and how much of it is stored already. */
  estimateAnalysis(request: AnalysisEstimateRequest): Promise<AnalysisEstimate>;
}
