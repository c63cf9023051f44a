/**
 * The data the views read. They take plain data and report through callbacks: nothing here
 * reaches the engine or the worker (the imports below are types only).
 */
import type { Neuron, ScoredNeuron, StableNeuron } from '../analysis/selection';
import type { AttributionResult } from '../attribution/attribute';

export type { Neuron, ScoredNeuron, StableNeuron };

/** What a neuron map reads from an attribution run; an `AttributionResult` is one. */
export type NeuronMapData = Pick<
  AttributionResult,
  | 'model'
  | 'method'
  | 'steps'
  | 'prompt'
  | 'object'
  | 'probability'
  | 'layers'
  | 'units'
  | 'scores'
  | 'activations'
>;

/**
 * The knowledge neurons of a paraphrase-refined map (src/analysis/paraphrase.ts): those in more
 * than a share p of the paraphrases' sets at tau, each with its stability.
 */
export interface RefinedSelection {
  p: number;
  paraphrases: number;
  neurons: readonly StableNeuron[];
}

/** One language's map of a fact, with that language's threshold tau. */
export interface LanguageMap {
  language: string;
  map: NeuronMapData;
  tau: number;
  /** Set when the map is paraphrase-refined: these neurons replace the map's own at tau. */
  refined?: RefinedSelection;
}

/** Units [start, end): the zoomed part of a map. */
export interface UnitRange {
  start: number;
  end: number;
}

/** How |score| / max reaches the colour: 'sqrt' lifts weak scores so faint structure shows. */
export type ColorTransform = 'linear' | 'sqrt';

/** Small multiples colour each map by its own max |score| or by the largest of all maps. */
export type ScaleMode = 'per-map' | 'common';
