import { describe, expect, it } from 'vitest';
import { intersectNeurons, languageIndependent, languageOverlap } from './overlap';
import type { Neuron } from './selection';

const ns = (...pairs: [number, number][]): Neuron[] =>
  pairs.map(([layer, unit]) => ({ layer, unit }));

describe('intersections', () => {
  it('intersects any number of sets, each neuron once, by layer and unit', () => {
    const a = ns([2, 1], [0, 5], [1, 1], [0, 5]);
    const b = ns([1, 1], [0, 5], [3, 3]);
    const c = ns([0, 5], [1, 1], [2, 1]);
    expect(intersectNeurons([a, b, c])).toEqual(ns([0, 5], [1, 1]));
    expect(intersectNeurons([a])).toEqual(ns([0, 5], [1, 1], [2, 1]));
    expect(intersectNeurons([])).toEqual([]);
    expect(intersectNeurons([a, []])).toEqual([]);
  });

  it('LIKN is the intersection of the languages given', () => {
    const kn = { en: ns([0, 1], [1, 2], [3, 4]), zh: ns([1, 2], [3, 4]), fr: ns([3, 4], [5, 5]) };
    expect(languageIndependent(kn)).toEqual(ns([3, 4]));
    expect(languageIndependent({ en: kn.en, zh: kn.zh })).toEqual(ns([1, 2], [3, 4]));
  });
});

describe('languageOverlap', () => {
  it('splits neurons into exclusive intersections whose counts add up', () => {
    const kn = {
      en: ns([0, 0], [0, 1], [1, 0], [2, 2], [0, 0]),
      zh: ns([0, 1], [1, 0], [3, 3]),
      fr: ns([1, 0], [4, 4], [4, 5]),
    };
    const o = languageOverlap(kn);
    expect(o.languages).toEqual(['en', 'zh', 'fr']);
    expect(o.sizes).toEqual({ en: 4, zh: 3, fr: 3 });
    expect(o.shared).toEqual(ns([1, 0]));
    expect(o.intersections.map((x) => [x.languages.join('+'), x.count])).toEqual([
      ['en', 2],
      ['fr', 2],
      ['en+zh+fr', 1],
      ['en+zh', 1],
      ['zh', 1],
    ]);
    expect(o.intersections.find((x) => x.languages.join() === 'en')!.neurons).toEqual(
      ns([0, 0], [2, 2]),
    );
    // Every distinct neuron lies in exactly one region.
    const total = o.intersections.reduce((s, x) => s + x.count, 0);
    const distinct = new Set(
      Object.values(kn).flatMap((s) => s.map((n) => `${n.layer}:${n.unit}`)),
    );
    expect(total).toBe(distinct.size);
  });

  it('two languages give the three Venn regions; an empty language adds none', () => {
    const o = languageOverlap({ en: ns([0, 0], [0, 1]), zh: ns([0, 1], [0, 2], [0, 3]), de: [] });
    expect(o.intersections.map((x) => [x.languages, x.count])).toEqual([
      [['zh'], 2],
      [['en', 'zh'], 1],
      [['en'], 1],
    ]);
    expect(o.sizes.de).toBe(0);
    expect(o.shared).toEqual([]);
  });
});
