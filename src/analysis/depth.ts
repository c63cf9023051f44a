/**
 * Two models compared by relative layer depth (docs/method.md, "Comparing two models"): models
 * of different depths (mBERT's 12 layers, XLM-R large's 24) cannot be compared layer by layer,
 * but by where in the stack a layer sits. Layer l of an L-layer model spans the depths
 * [l/L, (l+1)/L] and sits at (l + 0.5)/L. A model's knowledge neurons become a profile over depth
 * bins (the share of their score mass in each bin), and two profiles overlap where both put mass.
 */
import { type ScoredNeuron, selectNeurons } from './selection';

function checkLayers(layers: number): void {
  if (!(Number.isInteger(layers) && layers >= 1))
    throw new RangeError(`a model has a whole number of layers, at least 1; got ${layers}`);
}

/** The depth layer `layer` of a `layers`-layer model sits at: the middle of its span. */
export function layerDepth(layer: number, layers: number): number {
  checkLayers(layers);
  return (layer + 0.5) / layers;
}

/** The depths [start, end) a layer spans. */
export function layerSpan(layer: number, layers: number): [number, number] {
  checkLayers(layers);
  return [layer / layers, (layer + 1) / layers];
}

/** The sum of the knowledge neurons' scores in each layer (their score mass). */
export function massPerLayer(neurons: readonly ScoredNeuron[], layers: number): number[] {
  checkLayers(layers);
  const mass = new Array<number>(layers).fill(0);
  for (const n of neurons) {
    if (n.layer < 0 || n.layer >= layers)
      throw new RangeError(`layer ${n.layer} is outside a ${layers}-layer model`);
    mass[n.layer] += n.score;
  }
  return mass;
}

/**
 * The share of the mass in each of `bins` equal depth bins: each layer's mass is spread over the
 * bins its span covers, in proportion to the length covered (a layer that straddles two bins
 * gives each its part). The shares add up to 1, or are all 0 when there is no mass.
 */
export function depthProfile(perLayer: readonly number[], bins: number): number[] {
  checkLayers(perLayer.length);
  if (!(Number.isInteger(bins) && bins >= 1))
    throw new RangeError(`depth bins are a whole number, at least 1; got ${bins}`);
  const layers = perLayer.length;
  const out = new Array<number>(bins).fill(0);
  let total = 0;
  perLayer.forEach((mass, l) => {
    if (!(mass > 0)) return; // a KN's score is positive; nothing else has mass
    total += mass;
    // Work in units of 1/(layers x bins), so that the boundaries are whole numbers.
    const start = l * bins;
    const end = (l + 1) * bins;
    for (let b = Math.floor(start / layers); b < bins && b * layers < end; b++) {
      const covered = Math.min(end, (b + 1) * layers) - Math.max(start, b * layers);
      if (covered > 0) out[b] += (mass * covered) / bins;
    }
  });
  return total > 0 ? out.map((m) => m / total) : out;
}

/**
 * The bins to compare two models in: as many as the shallower model has layers, so that neither
 * model's mass is spread over bins finer than its own layers (12 and 24 layers: 12 bins).
 */
export const comparisonBins = (layersA: number, layersB: number): number => {
  checkLayers(layersA);
  checkLayers(layersB);
  return Math.min(layersA, layersB);
};

/** Two depth profiles bin by bin. */
export interface DepthOverlap {
  /** The smaller of the two shares in each bin: the mass both models put there. */
  shared: number[];
  /**
   * The sum of `shared`: 1 when both put their mass at the same depths, 0 when no bin has both;
   * null when either model has no knowledge neurons.
   */
  overlap: number | null;
  /** The bins where both models have knowledge-neuron mass. */
  both: number[];
}

export function depthOverlap(a: readonly number[], b: readonly number[]): DepthOverlap {
  if (a.length !== b.length)
    throw new RangeError(`profiles over ${a.length} and ${b.length} bins cannot be compared`);
  const shared = a.map((x, i) => Math.min(x, b[i]));
  const empty = (p: readonly number[]) => !p.some((x) => x > 0);
  return {
    shared,
    overlap: empty(a) || empty(b) ? null : shared.reduce((s, x) => s + x, 0),
    both: shared.flatMap((x, i) => (x > 0 ? [i] : [])),
  };
}

/** The mean of profiles that have mass (each weighs the same); all 0 when none has. */
export function meanProfile(profiles: readonly (readonly number[])[], bins: number): number[] {
  const withMass = profiles.filter((p) => p.some((x) => x > 0));
  const out = new Array<number>(bins).fill(0);
  for (const p of withMass) p.forEach((x, i) => (out[i] += x / withMass.length));
  return out;
}

/** A map as the comparison needs it (an AttributionResult is one). */
export interface DepthMap {
  layers: number;
  units: number;
  /** layers x units, row-major. */
  scores: ArrayLike<number>;
}

/** One model's side of a language: its knowledge neurons and their depth profile. */
export interface ModelDepth {
  kn: ScoredNeuron[];
  profile: number[];
}

export interface LanguageDepth {
  language: string;
  tau: number;
  /** Per model; null where its map is not there yet. */
  models: [ModelDepth | null, ModelDepth | null];
  /** Null until both maps are there. */
  overlap: DepthOverlap | null;
}

export interface DepthComparison {
  bins: number;
  languages: LanguageDepth[];
  /** Over the languages both models have maps of: each model's mean profile, and their overlap. */
  all: { profiles: [number[], number[]]; overlap: DepthOverlap } | null;
}

/**
 * The same fact's maps on two models, language by language: each map's knowledge neurons at its
 * language's tau, their depth profile in `comparisonBins` bins, and the overlap of the two.
 */
export function compareDepths(
  layers: [number, number],
  languages: readonly {
    language: string;
    tau: number;
    maps: readonly [DepthMap | undefined, DepthMap | undefined];
  }[],
): DepthComparison {
  const bins = comparisonBins(layers[0], layers[1]);
  const side = (map: DepthMap | undefined, i: number, tau: number): ModelDepth | null => {
    if (!map) return null;
    if (map.layers !== layers[i])
      throw new RangeError(`a map of ${map.layers} layers is not of the ${layers[i]}-layer model`);
    const kn = selectNeurons(map.scores, map.layers, map.units, { tau });
    return { kn, profile: depthProfile(massPerLayer(kn, map.layers), bins) };
  };
  const out: LanguageDepth[] = languages.map(({ language, tau, maps }) => {
    const models: [ModelDepth | null, ModelDepth | null] = [
      side(maps[0], 0, tau),
      side(maps[1], 1, tau),
    ];
    return {
      language,
      tau,
      models,
      overlap: models[0] && models[1] ? depthOverlap(models[0].profile, models[1].profile) : null,
    };
  });
  const both = out.filter((l) => l.models[0] && l.models[1]);
  if (!both.length) return { bins, languages: out, all: null };
  const profiles: [number[], number[]] = [
    meanProfile(
      both.map((l) => l.models[0]!.profile),
      bins,
    ),
    meanProfile(
      both.map((l) => l.models[1]!.profile),
      bins,
    ),
  ];
  return { bins, languages: out, all: { profiles, overlap: depthOverlap(...profiles) } };
}
