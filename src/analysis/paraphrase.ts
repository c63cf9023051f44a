/**
 * Paraphrase-refined knowledge neurons of one fact in one language (Dai et al. 2022, "Knowledge
 * Neuron Refining"; docs/method.md): each paraphrase's map is thresholded at the language's tau,
 * and a neuron is kept when it is in more than a share p of the paraphrases' sets. Every neuron
 * in at least one set gets its stability, the share of the paraphrases whose set contains it,
 * kept or not, so a view can say how close a dropped neuron came.
 */
import {
  type ScoredNeuron,
  type StableNeuron,
  neuronKey,
  refineAcrossPrompts,
  selectNeurons,
} from './selection';

/**
 * The share the explorer's paraphrase-refined map starts at: more than half of the paraphrases,
 * the default of the knowledge-neurons implementations (`get_refined_neurons(p=0.5)`). The
 * authors' p = 0.3 (DEFAULT_SHARE) keeps the union of the sets whenever there are fewer than four
 * paraphrases (more than 0.9 of 3 is 1), which refines nothing for the bundled set's three
 * templates per relation; the control goes down to 0 for it.
 */
export const PARAPHRASE_SHARE = 0.5;

export interface ParaphraseRefinement {
  tau: number;
  p: number;
  /** How many paraphrases (maps) were refined. */
  paraphrases: number;
  /** Each paraphrase's knowledge neurons at tau, in the order the maps were given. */
  perParaphrase: ScoredNeuron[][];
  /** The kept neurons: in more than p x paraphrases of the sets; by mean score over those sets. */
  neurons: StableNeuron[];
  /** Every neuron in at least one set, kept or not, with its count and stability. */
  candidates: StableNeuron[];
}

/**
 * Refines the knowledge neurons of one language's paraphrases. `maps` are layers x units score
 * maps (row-major), one per paraphrase; tau and p as selectNeurons and refineAcrossPrompts check
 * them (tau in [0, 1], p in [0, 1)).
 */
export function refineParaphrases(
  maps: readonly ArrayLike<number>[],
  layers: number,
  units: number,
  opts: { tau: number; p?: number },
): ParaphraseRefinement {
  const p = opts.p ?? PARAPHRASE_SHARE;
  const perParaphrase = maps.map((scores) => selectNeurons(scores, layers, units, opts));
  // p = 0 keeps every neuron that is in one set at least: the candidates, with their counts.
  const candidates = refineAcrossPrompts(perParaphrase, 0);
  const neurons = refineAcrossPrompts(perParaphrase, p);
  return { tau: opts.tau, p, paraphrases: maps.length, perParaphrase, neurons, candidates };
}

/** How many of the paraphrases' sets hold a neuron, and whether the refinement kept it. */
export interface NeuronStability {
  count: number;
  paraphrases: number;
  stability: number;
  kept: boolean;
}

/** A neuron's stability in a refinement (count 0 when no paraphrase selected it). */
export function stabilityOf(
  refinement: ParaphraseRefinement,
  neuron: { layer: number; unit: number },
): NeuronStability {
  const key = neuronKey(neuron);
  const found = refinement.candidates.find((c) => neuronKey(c) === key);
  const count = found?.count ?? 0;
  const { paraphrases } = refinement;
  return {
    count,
    paraphrases,
    stability: paraphrases > 0 ? count / paraphrases : 0,
    kept: refinement.neurons.some((n) => neuronKey(n) === key),
  };
}

/**
 * The element-wise mean of equally shaped maps: what a paraphrase-refined view draws under its
 * markers (every paraphrase weighs the same).
 */
export function meanMap(maps: readonly ArrayLike<number>[]): Float32Array {
  if (maps.length === 0) throw new RangeError('no maps to average: give at least one');
  const length = maps[0].length;
  const sum = new Float64Array(length);
  for (const m of maps) {
    if (m.length !== length)
      throw new RangeError(
        `maps of different sizes (${length} and ${m.length}) cannot be averaged`,
      );
    for (let i = 0; i < length; i++) sum[i] += m[i];
  }
  return Float32Array.from(sum, (s) => s / maps.length);
}
