import { describe, expect, it } from 'vitest';
import {
  type ScoredNeuron,
  defaultTau,
  knowledgeNeuronsByLanguage,
  refineAcrossPrompts,
  selectNeurons,
} from './selection';

// A 3 x 4 map (layers x units), row-major.
const map = Float32Array.from([
  // layer 0
  0.1, 1.0, -2.0, 0.5,
  // layer 1
  0.25, 0.0, 0.5, 0.3,
  // layer 2
  -5.0, 0.75, 0.2, 0.3,
]);

const pos = (ns: { layer: number; unit: number }[]) => ns.map((n) => [n.layer, n.unit]);

describe('selectNeurons', () => {
  it('keeps scores strictly above tau x max, sorted by score, ties by layer then unit', () => {
    const got = selectNeurons(map, 3, 4, { tau: 0.5 });
    // 0.5 equals the threshold 0.5 x 1.0: not selected (strict).
    expect(pos(got)).toEqual([
      [0, 1],
      [2, 1],
    ]);
    expect(got.map((n) => n.score)).toEqual([1.0, 0.75]);
    const ties = selectNeurons(map, 3, 4, { tau: 0.45 });
    // The two 0.5s tie: layer 0 before layer 1.
    expect(pos(ties)).toEqual([
      [0, 1],
      [2, 1],
      [0, 3],
      [1, 2],
    ]);
  });

  it('never selects negative or zero scores, whatever tau', () => {
    const all = selectNeurons(map, 3, 4, { tau: 0 });
    expect(all.every((n) => n.score > 0)).toBe(true);
    expect(all.length).toBe(9); // every positive score; the 0 and the negatives are out
    expect(selectNeurons(new Float32Array([-1, -0.5, 0, -3]), 2, 2, { tau: 0 })).toEqual([]);
    expect(selectNeurons(new Float32Array(4), 2, 2, { tau: 0.3 })).toEqual([]);
  });

  it('handles tau = 1 (nothing strictly above the maximum) and a single maximum', () => {
    expect(selectNeurons(map, 3, 4, { tau: 1 })).toEqual([]);
    expect(pos(selectNeurons(map, 3, 4, { tau: 0.999 }))).toEqual([[0, 1]]);
  });

  it('ignores NaN and compares against the maximum over all layers', () => {
    const m = Float32Array.from([NaN, 2, 1, 0.7]);
    expect(pos(selectNeurons(m, 2, 2, { tau: 0.3 }))).toEqual([
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
  });

  it('rejects a map of the wrong size and a tau outside [0, 1]', () => {
    expect(() => selectNeurons(map, 4, 4, { tau: 0.3 })).toThrow(/12 values.*4 x 4/);
    expect(() => selectNeurons(map, 3, 4, { tau: -0.1 })).toThrow(RangeError);
    expect(() => selectNeurons(map, 3, 4, { tau: 1.5 })).toThrow(RangeError);
    expect(() => selectNeurons(map, 3, 4, { tau: NaN })).toThrow(RangeError);
  });
});

describe('defaultTau', () => {
  it("uses the paper's values, region subtags, then 0.3, and the user's overrides first", () => {
    expect(defaultTau('en')).toBe(0.3);
    expect(defaultTau('zh')).toBe(0.2);
    expect(defaultTau('zh-Hans')).toBe(0.2);
    expect(defaultTau('ZH_cn')).toBe(0.2);
    expect(defaultTau('fr')).toBe(0.3);
    expect(defaultTau('fr', { fr: 0.15 })).toBe(0.15);
    expect(defaultTau('zh-TW', { zh: 0.25 })).toBe(0.25);
    expect(defaultTau('zh-TW', { zh: 0.25, 'zh-TW': 0.1 })).toBe(0.1);
    expect(defaultTau('en', { zh: 0.5 })).toBe(0.3);
  });
});

const n = (layer: number, unit: number, score = 1): ScoredNeuron => ({ layer, unit, score });

describe('refineAcrossPrompts', () => {
  it('keeps neurons in more than a share p of the sets, with their stability', () => {
    const sets = [
      [n(0, 1, 3), n(1, 2, 1)],
      [n(0, 1, 1), n(2, 0, 5)],
      [n(0, 1, 2), n(1, 2, 3)],
      [n(3, 3, 9)],
    ];
    // p = 0.3 of 4 prompts: more than 1.2 sets, so 2 or more.
    const got = refineAcrossPrompts(sets);
    expect(got).toEqual([
      { layer: 0, unit: 1, score: 2, count: 3, stability: 0.75 },
      { layer: 1, unit: 2, score: 2, count: 2, stability: 0.5 },
    ]);
    // Exactly at the share is not more than it: 2 of 4 at p = 0.5 is dropped.
    expect(pos(refineAcrossPrompts(sets, 0.5))).toEqual([[0, 1]]);
    // p = 0 keeps every neuron seen at least once.
    expect(refineAcrossPrompts(sets, 0).length).toBe(4);
  });

  it('counts a neuron once per prompt, and one prompt keeps its whole set', () => {
    const got = refineAcrossPrompts([[n(0, 0, 2), n(0, 0, 2), n(1, 1, 1)], [n(1, 1, 1)]], 0.5);
    expect(got.map((x) => [x.layer, x.unit, x.count])).toEqual([[1, 1, 2]]);
    const single = refineAcrossPrompts([[n(2, 2, 5), n(0, 3, 4)]]);
    expect(single.map((x) => [x.layer, x.unit, x.stability])).toEqual([
      [2, 2, 1],
      [0, 3, 1],
    ]);
    expect(refineAcrossPrompts([])).toEqual([]);
  });

  it('rejects p outside [0, 1)', () => {
    expect(() => refineAcrossPrompts([[n(0, 0)]], 1)).toThrow(RangeError);
    expect(() => refineAcrossPrompts([[n(0, 0)]], -0.2)).toThrow(RangeError);
  });
});

describe('knowledgeNeuronsByLanguage', () => {
  it('thresholds each prompt with its language tau, then refines per language', () => {
    // Max 1.0 in each map: en keeps > 0.3, zh keeps > 0.2.
    const en1 = Float32Array.from([1, 0.25, 0.35, 0]);
    const en2 = Float32Array.from([1, 0.1, 0.1, 0.9]);
    const en3 = Float32Array.from([1, 0.1, 0.4, 0]);
    const zh = Float32Array.from([1, 0.25, 0.1, 0]);
    const got = knowledgeNeuronsByLanguage(
      [
        { language: 'en', scores: en1 },
        { language: 'zh', scores: zh },
        { language: 'en', scores: en2 },
        { language: 'en', scores: en3 },
      ],
      2,
      2,
    );
    expect(got.map((g) => [g.language, g.tau, g.perPrompt.length])).toEqual([
      ['en', 0.3, 3],
      ['zh', 0.2, 1],
    ]);
    // en: (0,0) in 3 of 3 prompts, (1,0) in 2, (1,1) in 1; all exceed 0.3 x 3 = 0.9 prompts.
    expect(got[0].neurons.map((x) => [x.layer, x.unit, x.count])).toEqual([
      [0, 0, 3],
      [1, 1, 1],
      [1, 0, 2],
    ]);
    expect(pos(got[1].neurons)).toEqual([
      [0, 0],
      [0, 1],
    ]);
    const strict = knowledgeNeuronsByLanguage([{ language: 'en', scores: en1 }], 2, 2, {
      tau: { en: 0.2 },
      p: 0.5,
    });
    expect(pos(strict[0].neurons)).toEqual([
      [0, 0],
      [1, 0],
      [0, 1],
    ]);
  });
});
