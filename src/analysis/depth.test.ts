import { describe, expect, it } from 'vitest';
import {
  compareDepths,
  comparisonBins,
  depthOverlap,
  depthProfile,
  layerDepth,
  layerSpan,
  massPerLayer,
  meanProfile,
} from './depth';
import { selectNeurons } from './selection';

const close = (actual: number[], expected: number[]) => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((x, i) => expect(x).toBeCloseTo(expected[i], 12));
};

describe('relative depth', () => {
  it('puts layer l of L at (l + 0.5) / L, spanning [l / L, (l + 1) / L]', () => {
    expect([0, 1, 2, 3].map((l) => layerDepth(l, 4))).toEqual([0.125, 0.375, 0.625, 0.875]);
    expect(layerSpan(5, 12)).toEqual([5 / 12, 6 / 12]);
    // Layer 6 of 12 and layers 12 and 13 of 24 cover the same depths.
    expect(layerSpan(6, 12)).toEqual([layerSpan(12, 24)[0], layerSpan(13, 24)[1]]);
    expect(() => layerDepth(0, 0)).toThrow(/at least 1/);
  });

  it('compares in as many bins as the shallower model has layers', () => {
    expect(comparisonBins(12, 24)).toBe(12);
    expect(comparisonBins(4, 4)).toBe(4);
  });
});

describe('knowledge-neuron mass per layer', () => {
  it('sums the scores of the neurons each layer holds', () => {
    // A 3 x 4 map whose knowledge neurons at tau 0.5 are known: 10 and 6 in layer 2, 8 in layer 0.
    const scores = [8, 0, 1, 0, 0, 2, 0, -9, 10, 0, 6, 0];
    const kn = selectNeurons(scores, 3, 4, { tau: 0.5 });
    expect(massPerLayer(kn, 3)).toEqual([8, 0, 16]);
    expect(() => massPerLayer([{ layer: 3, unit: 0, score: 1 }], 3)).toThrow(/outside/);
  });
});

describe('depthProfile', () => {
  it('is the share per layer when bins and layers agree', () => {
    close(depthProfile([1, 0, 0, 3], 4), [0.25, 0, 0, 0.75]);
  });

  it('splits a layer over the bins its span covers, in proportion', () => {
    // Two layers over four bins: each layer covers two bins, half its mass in each.
    close(depthProfile([1, 1], 4), [0.25, 0.25, 0.25, 0.25]);
    // Three layers over two bins: the middle layer straddles the boundary at 0.5.
    close(depthProfile([0, 1, 0], 2), [0.5, 0.5]);
    close(depthProfile([2, 0, 0], 2), [1, 0]);
    close(depthProfile([0, 0, 5], 2), [0, 1]);
    // Five layers over three bins: layer 1 spans [0.2, 0.4), a third of it below 1/3.
    close(depthProfile([0, 3, 0, 0, 0], 3), [2 / 3, 1 / 3, 0]);
  });

  it('pools pairs of layers of a model twice as deep', () => {
    const deep = Array.from({ length: 24 }, (_, l) => l + 1);
    const pooled = Array.from({ length: 12 }, (_, b) => deep[2 * b] + deep[2 * b + 1]);
    close(depthProfile(deep, 12), depthProfile(pooled, 12));
  });

  it('adds up to 1, and is all 0 without mass', () => {
    const p = depthProfile([0.3, 0, 2.5, 0.1, 0, 0, 7], 4);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(depthProfile([0, 0, 0], 3)).toEqual([0, 0, 0]);
  });
});

describe('depthOverlap', () => {
  it('is 1 for models whose knowledge neurons sit at the same depths', () => {
    // A 12-layer model's KN in layer 6; a 24-layer model's in layers 12 and 13: the same depths.
    const a = new Array<number>(12).fill(0);
    a[6] = 4;
    const b = new Array<number>(24).fill(0);
    b[12] = 1;
    b[13] = 3;
    const bins = comparisonBins(12, 24);
    const o = depthOverlap(depthProfile(a, bins), depthProfile(b, bins));
    expect(o.overlap).toBeCloseTo(1, 12);
    expect(o.both).toEqual([6]);
  });

  it('is 0 for disjoint depths, the shared mass in between', () => {
    expect(depthOverlap([1, 0, 0, 0], [0, 0, 0.5, 0.5])).toEqual({
      shared: [0, 0, 0, 0],
      overlap: 0,
      both: [],
    });
    const o = depthOverlap([0.5, 0.5, 0, 0], [0, 0.25, 0.75, 0]);
    expect(o.shared).toEqual([0, 0.25, 0, 0]);
    expect(o.overlap).toBe(0.25);
    expect(o.both).toEqual([1]);
  });

  it('has no overlap value when a model has no knowledge neurons', () => {
    expect(depthOverlap([0, 0], [0.5, 0.5]).overlap).toBeNull();
    expect(() => depthOverlap([1], [0.5, 0.5])).toThrow(/cannot be compared/);
  });
});

describe('meanProfile', () => {
  it('averages the profiles that have mass', () => {
    close(
      meanProfile(
        [
          [1, 0],
          [0, 1],
          [0, 0],
        ],
        2,
      ),
      [0.5, 0.5],
    );
    expect(meanProfile([], 3)).toEqual([0, 0, 0]);
  });
});

describe('compareDepths', () => {
  // Planted maps: a 2-layer model whose en knowledge neuron is in its top layer, a 4-layer model
  // whose en knowledge neurons are in its top two layers; zh on the first model only.
  const map = (layers: number, units: number, cells: Record<number, number>) => ({
    layers,
    units,
    scores: Float32Array.from({ length: layers * units }, (_, i) => cells[i] ?? 0.01),
  });
  const shallow = map(2, 3, { 4: 1 }); // layer 1, unit 1
  const deep = map(4, 3, { 7: 1, 11: 0.8 }); // layers 2 and 3
  const zh = map(2, 3, { 0: 1 }); // layer 0

  it('profiles each model at the language’s tau and overlaps them', () => {
    const c = compareDepths(
      [2, 4],
      [
        { language: 'en', tau: 0.5, maps: [shallow, deep] },
        { language: 'zh', tau: 0.5, maps: [zh, undefined] },
      ],
    );
    expect(c.bins).toBe(2);
    const [en, zhSide] = c.languages;
    expect(en.models[0]!.kn.map((n) => [n.layer, n.unit])).toEqual([[1, 1]]);
    expect(en.models[1]!.kn.map((n) => [n.layer, n.unit])).toEqual([
      [2, 1],
      [3, 2],
    ]);
    close(en.models[0]!.profile, [0, 1]);
    close(en.models[1]!.profile, [0, 1]);
    expect(en.overlap!.overlap).toBeCloseTo(1, 6);
    expect(en.overlap!.both).toEqual([1]);
    // zh has no second map: no overlap, and the summary is over en alone.
    expect(zhSide.models[1]).toBeNull();
    expect(zhSide.overlap).toBeNull();
    close(c.all!.profiles[0], [0, 1]);
    expect(c.all!.overlap.overlap).toBeCloseTo(1, 6);
  });

  it('has no summary until both models have a map of some language', () => {
    const c = compareDepths([2, 4], [{ language: 'en', tau: 0.5, maps: [shallow, undefined] }]);
    expect(c.all).toBeNull();
    expect(() =>
      compareDepths([2, 4], [{ language: 'en', tau: 0.5, maps: [deep, undefined] }]),
    ).toThrow(/not of the 2-layer model/);
  });
});
