/** Small maps for the views' unit tests. */
import type { NeuronMapData } from './types';

/** A map with the given scores (activations: 10x the score), model and fact filled in. */
export function testMap(
  layers: number,
  units: number,
  scores: ArrayLike<number>,
  fact: Partial<Pick<NeuronMapData, 'model' | 'prompt' | 'object'>> = {},
): NeuronMapData {
  const s = Float32Array.from(scores);
  return {
    model: 'tiny-bert',
    method: 'amig',
    steps: 20,
    prompt: 'The capital of France is [MASK].',
    object: 'Paris',
    probability: 0.42,
    layers,
    units,
    scores: s,
    activations: s.map((v) => v * 10),
    ...fact,
  };
}

/** A map of mostly zeros with a few planted scores. */
export function plantedMap(
  layers: number,
  units: number,
  planted: [layer: number, unit: number, score: number][],
  fact?: Partial<Pick<NeuronMapData, 'model' | 'prompt' | 'object'>>,
): NeuronMapData {
  const scores = new Float32Array(layers * units);
  for (const [l, u, s] of planted) scores[l * units + u] = s;
  return testMap(layers, units, scores, fact);
}
