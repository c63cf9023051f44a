import { describe, expect, it } from 'vitest';
import { PARAPHRASE_SHARE, meanMap, refineParaphrases, stabilityOf } from './paraphrase';
import { neuronKey } from './selection';

const LAYERS = 3;
const UNITS = 8;

/**
 * Score maps whose knowledge neurons are known by construction: map i has its maximum (10 x the
 * map's own scale) on neuron `top`, 0.5 of the maximum on each neuron planted in it, and 0.1 of
 * it elsewhere (below any tau used here), so at tau 0.3 its set is `top` plus its planted neurons.
 */
function plantedMaps(planted: [number, number][][], scales: number[]): Float32Array[] {
  return planted.map((neurons, i) => {
    const max = 10 * scales[i];
    const map = new Float32Array(LAYERS * UNITS).fill(0.1 * max);
    map[0] = max; // neuron 0:0, in every set
    for (const [layer, unit] of neurons) map[layer * UNITS + unit] = 0.5 * max;
    return map;
  });
}

// Five paraphrases: 1:2 in all five, 2:5 in three, 0:7 in two, 2:1 in one.
const PLANTED: [number, number][][] = [
  [
    [1, 2],
    [2, 5],
    [0, 7],
    [2, 1],
  ],
  [
    [1, 2],
    [2, 5],
    [0, 7],
  ],
  [
    [1, 2],
    [2, 5],
  ],
  [[1, 2]],
  [[1, 2]],
];
// Maps on different scales: the threshold is each map's own tau x max.
const MAPS = plantedMaps(PLANTED, [1, 3, 0.2, 7, 1.5]);
const keys = (ns: readonly { layer: number; unit: number }[]) => ns.map(neuronKey).sort();

describe('refineParaphrases', () => {
  it('selects each paraphrase at tau and keeps neurons in more than a share p of the sets', () => {
    const r = refineParaphrases(MAPS, LAYERS, UNITS, { tau: 0.3 });
    expect(r.p).toBe(PARAPHRASE_SHARE);
    expect(r.paraphrases).toBe(5);
    expect(r.perParaphrase.map(keys)).toEqual([
      ['0:0', '0:7', '1:2', '2:1', '2:5'],
      ['0:0', '0:7', '1:2', '2:5'],
      ['0:0', '1:2', '2:5'],
      ['0:0', '1:2'],
      ['0:0', '1:2'],
    ]);
    // More than half of 5 is 3 or more.
    expect(keys(r.neurons)).toEqual(['0:0', '1:2', '2:5']);
    expect(Object.fromEntries(r.candidates.map((c) => [neuronKey(c), c.stability]))).toEqual({
      '0:0': 1,
      '1:2': 1,
      '2:5': 0.6,
      '0:7': 0.4,
      '2:1': 0.2,
    });
    // Mean score over the sets that hold the neuron: 0:0 is each map's maximum.
    expect(r.neurons.find((n) => neuronKey(n) === '0:0')!.score).toBeCloseTo(
      (10 * (1 + 3 + 0.2 + 7 + 1.5)) / 5,
      5,
    );
  });

  it('follows p: lower keeps more, exactly at the share is not more than it', () => {
    const at = (p: number) => keys(refineParaphrases(MAPS, LAYERS, UNITS, { tau: 0.3, p }).neurons);
    expect(at(0)).toEqual(['0:0', '0:7', '1:2', '2:1', '2:5']);
    expect(at(0.3)).toEqual(['0:0', '0:7', '1:2', '2:5']); // more than 1.5: 2 or more
    expect(at(0.4)).toEqual(['0:0', '1:2', '2:5']); // 2 of 5 is not more than 0.4 x 5
    expect(at(0.6)).toEqual(['0:0', '1:2']); // 3 of 5 is not more than 0.6 x 5
    expect(at(0.99)).toEqual(['0:0', '1:2']);
  });

  it('follows tau: above the planted level only each map’s maximum is left', () => {
    const r = refineParaphrases(MAPS, LAYERS, UNITS, { tau: 0.6, p: 0 });
    expect(keys(r.neurons)).toEqual(['0:0']);
    // Below the background level every neuron of every map is selected.
    const all = refineParaphrases(MAPS, LAYERS, UNITS, { tau: 0.05, p: 0.5 });
    expect(all.neurons.length).toBe(LAYERS * UNITS);
  });

  it('with one paraphrase the refined set is its set, every neuron at stability 1', () => {
    const r = refineParaphrases([MAPS[0]], LAYERS, UNITS, { tau: 0.3 });
    expect(keys(r.neurons)).toEqual(keys(r.perParaphrase[0]));
    expect(r.neurons.every((n) => n.stability === 1)).toBe(true);
  });

  it('refuses a p of 1 or more and a tau outside [0, 1]', () => {
    expect(() => refineParaphrases(MAPS, LAYERS, UNITS, { tau: 0.3, p: 1 })).toThrow(RangeError);
    expect(() => refineParaphrases(MAPS, LAYERS, UNITS, { tau: 1.2 })).toThrow(RangeError);
  });
});

describe('stabilityOf', () => {
  it('says how many sets hold a neuron and whether it was kept', () => {
    const r = refineParaphrases(MAPS, LAYERS, UNITS, { tau: 0.3 });
    expect(stabilityOf(r, { layer: 2, unit: 5 })).toEqual({
      count: 3,
      paraphrases: 5,
      stability: 0.6,
      kept: true,
    });
    expect(stabilityOf(r, { layer: 0, unit: 7 })).toEqual({
      count: 2,
      paraphrases: 5,
      stability: 0.4,
      kept: false,
    });
    expect(stabilityOf(r, { layer: 1, unit: 1 })).toEqual({
      count: 0,
      paraphrases: 5,
      stability: 0,
      kept: false,
    });
  });
});

describe('meanMap', () => {
  it('averages element-wise and refuses maps of different sizes', () => {
    expect([...meanMap([Float32Array.from([1, 2]), Float32Array.from([3, -2])])]).toEqual([2, 0]);
    expect(() => meanMap([Float32Array.from([1]), Float32Array.from([1, 2])])).toThrow(RangeError);
    expect(() => meanMap([])).toThrow(RangeError);
  });
});
