/**
 * The analysis calls of the engine's API (issue #6): a fact's language overlap, the degenerate
 * neurons of a prompt, the intervention lab, weight edits, dataset runs and fact checking. They
 * follow the rules of ./api.ts: plain data in and out, a caller-chosen `runId` that `cancel`
 * aborts (rejecting with an error named `AbortError`), progress through a callback at most
 * every 100 ms, calls queued one at a time.
 *
 * Results are kept in the worker's IndexedDB store (./idb-store.ts) under the model's key, so
 * a dataset run or fact check resumes after a reload, and a finished analysis answers at once
 * when asked again. Nothing is kept while a weight edit is active (ModelInfo.edits): results of
 * the edited model must never pass for the model's.
 */
import type { AttributionResult } from '../attribution/attribute';
import type { DatasetProgress, RunFailure } from '../analysis/dataset';
import type { EditReport, FactEdit } from '../analysis/edits';
import type { FactCheckProgress, FactCheckReport } from '../analysis/factcheck';
import type { InterventionKind } from '../analysis/interventions';
import type { Neuron } from '../analysis/selection';
import type { Fact } from '../facts/types';
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
} from './analysis-service';
import type { AttributionSettings } from '../attribution/settings';
import type { ModelInfo } from './api';
import type { ActiveEdit } from './edit-registry';
import type { NeuronSetChoice, NeuronSetSources } from './neuron-sets';

export type {
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
  OverlapProgress,
  PromptRef,
  RunFailure,
  ServiceProgress,
};

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
  /** The blocks timed by this device's benchmark of the model (see Estimate). */
  seconds: number;
  /** Fact x language items that cannot run, and why. */
  failures: RunFailure[];
  /** Whether results will be stored (see DatasetAnswer.persistent). */
  persistent: boolean;
}

export interface AnalysisApi {
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
