import type { AttributionResult } from '../../attribution/attribute';
import type { AttributionSettings } from '../../attribution/settings';
import type { Neuron } from '../../analysis/selection';
import type { Fact } from '../../facts';
import type { EngineClient, ModelInfo, OverlapAnswer, OverlapProgress } from '../../worker-api';
import type { AnalysisState } from '../analysis-state';
import type { Action, Job } from '../state';
import type { EstimateState } from '../useEstimate';
import type { LongCall } from '../useLongCall';

/** What every analysis tab gets from the app. */
export interface TabBase {
  client: EngineClient;
  /** The loaded model as it is now (edited or not). */
  info: ModelInfo;
  settings: AttributionSettings;
  tau: Record<string, number>;
  analysis: AnalysisState;
  dispatch: (a: Action) => void;
  selected: Neuron | null;
  /** Opens the neuron in the neuron map. */
  onSelectNeuron: (layer: number, unit: number) => void;
  /** The width the tab's charts may take: the main area's, in whole pixels. */
  chartWidth: number;
}

/** The attribution maps the page holds (the neuron map's), and a way to keep new ones. */
export interface HeldMaps {
  /** The maps of the fact's prompts for the current model and settings. */
  of(fact: Fact): AttributionResult[];
  keep(fact: Fact, results: AttributionResult[]): void;
}

export const backendName = (info: ModelInfo): string =>
  info.backend === 'webgpu' ? 'WebGPU' : info.backend === 'wasm' ? 'WASM' : info.backend;

/** The overlap of the shown fact, which the lab and the edits choose neurons from. */
export interface OverlapControl {
  call: LongCall<OverlapAnswer, OverlapProgress>;
  /** The fact's prompts without a map: attributed first. */
  pending: Job[];
  estimate: EstimateState;
  run(): void;
}
