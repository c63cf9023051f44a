import { describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_FACTS,
  type NeuronRef,
  type PlantedFactSpec,
  plantedFacts,
  plantedModel,
} from '../../tests/planted/planted';
import { attributeMany } from '../attribution/attribute';
import { loadModel } from '../model';
import { createNodeRuntime } from '../runtime/node';
import { MemorySource } from '../weights/memory-source';
import { MemoryResultStore } from './dataset';
import type { PairSearchResult } from './degenerate';
import {
  checkMetrics,
  confusion,
  factCheck,
  meanAttribution,
  relationDegenerateNeurons,
  splitFacts,
} from './factcheck';

// Count the engine's attribution calls while running the real code.
vi.mock('../attribution/attribute', async (importOriginal) => {
  const real = await importOriginal<typeof import('../attribution/attribute')>();
  return { ...real, attributeMany: vi.fn(real.attributeMany) };
});

const ids = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `fact-${i}` }));

describe('splitFacts', () => {
  it('seed 42 gives the same split on every run, pinned', () => {
    const { train, test } = splitFacts(ids(10));
    // Pinned from an independent (Python) implementation of mulberry32(42) and the Fisher-Yates
    // order documented on splitFacts. A change here changes every stored fact-check result.
    expect(test.map((f) => f.id)).toEqual(['fact-0', 'fact-7']);
    expect(train.map((f) => f.id)).toEqual([
      'fact-3',
      'fact-5',
      'fact-2',
      'fact-1',
      'fact-8',
      'fact-9',
      'fact-4',
      'fact-6',
    ]);
  });

  it('does not depend on the input order, partitions the facts, sizes the test set ceil(20%)', () => {
    const facts = ids(23);
    const a = splitFacts(facts);
    const b = splitFacts([...facts].reverse());
    expect(b).toEqual(a);
    expect(a.test.length).toBe(5); // ceil(0.2 x 23) = ceil(4.6)
    const all = [...a.train, ...a.test].map((f) => f.id).sort();
    expect(all).toEqual(facts.map((f) => f.id).sort());
    expect(new Set(all).size).toBe(23);
  });

  it('another seed gives another split', () => {
    const facts = ids(30);
    expect(splitFacts(facts, 7).test).not.toEqual(splitFacts(facts, 42).test);
  });

  it('small relations: one fact goes to test, none to train', () => {
    expect(splitFacts(ids(1))).toEqual({ train: [], test: [{ id: 'fact-0' }] });
    expect(splitFacts([])).toEqual({ train: [], test: [] });
    expect(() => splitFacts(ids(3), 42, 1)).toThrow(RangeError);
  });
});

describe('metrics: positive class = the statement is true, standard definitions', () => {
  it('hand-computed confusion matrix, precision and recall not swapped', () => {
    // 5 true statements: 2 judged true, 3 judged wrong; 5 wrong ones: 1 judged true, 4 wrong.
    const judgements = [
      ...[true, true, false, false, false].map((j) => ({ truth: true, judgedTrue: j })),
      ...[true, false, false, false, false].map((j) => ({ truth: false, judgedTrue: j })),
    ];
    const c = confusion(judgements);
    expect(c).toEqual({ tp: 2, fn: 3, fp: 1, tn: 4 });
    const m = checkMetrics(c);
    expect(m.precision).toBeCloseTo(2 / 3, 12); // TP / (TP + FP)
    expect(m.recall).toBeCloseTo(2 / 5, 12); // TP / (TP + FN); the reference prints this as precision
    expect(m.f1).toBeCloseTo((2 * (2 / 3) * (2 / 5)) / (2 / 3 + 2 / 5), 12);
    expect(m.f1).toBeCloseTo(0.5, 12);
    expect(m.accuracy).toBeCloseTo(6 / 10, 12);
  });

  it('undefined ratios are null, not NaN or 0', () => {
    // Nothing judged true: precision undefined; F1 = 2TP / (2TP + FP + FN) = 0.
    const none = checkMetrics({ tp: 0, fp: 0, fn: 3, tn: 3 });
    expect(none.precision).toBeNull();
    expect(none.recall).toBe(0);
    expect(none.f1).toBe(0);
    const empty = checkMetrics({ tp: 0, fp: 0, fn: 0, tn: 0 });
    expect(empty).toMatchObject({ precision: null, recall: null, f1: null, accuracy: null });
    const perfect = checkMetrics({ tp: 4, fp: 0, fn: 0, tn: 4 });
    expect(perfect).toMatchObject({ precision: 1, recall: 1, f1: 1, accuracy: 1 });
  });
});

function search(neurons: [number, number][], pairs: [number, number][]): PairSearchResult {
  return {
    p0: 0.5,
    neurons: neurons.map(([layer, unit], i) => ({ layer, unit, score: 1 - i / 100 })),
    matrix: new Float64Array(neurons.length * neurons.length),
    candidates: [],
    pairs: pairs.map(([a, b]) => ({ a, b, probability: 0.1 })),
    singleDrop: 0.2,
    jointDrop: 0.25,
  };
}

describe('D_r: neurons counted more than floor(0.7 x max) times', () => {
  it('counts pair occurrences over the train facts and cuts at floor(0.7 x max)', () => {
    const A: [number, number] = [1, 5];
    const B: [number, number] = [0, 2];
    const C: [number, number] = [2, 7];
    const D: [number, number] = [1, 1];
    const searches = [
      search(
        [A, B, C, D],
        [
          [0, 1],
          [0, 2],
          [1, 2],
        ],
      ), // A2 B2 C2
      search(
        [B, A, D],
        [
          [0, 1],
          [1, 2],
        ],
      ), // B1 A2 D1
      search([A, C], [[0, 1]]), // A1 C1
      search([A, B], []),
    ];
    const dkn = relationDegenerateNeurons(searches);
    // A 5, B 3, C 3, D 1; floor(0.7 x 5) = 3; kept: count > 3.
    expect(dkn.counts.map((n) => [n.layer, n.unit, n.count])).toEqual([
      [1, 5, 5],
      [0, 2, 3],
      [2, 7, 3],
      [1, 1, 1],
    ]);
    expect(dkn.threshold).toBe(3);
    expect(dkn.neurons).toEqual([{ layer: 1, unit: 5 }]);
    // With share 0.5: floor(2.5) = 2, so B and C join; ordered by position.
    expect(relationDegenerateNeurons(searches, 0.5).neurons).toEqual([
      { layer: 0, unit: 2 },
      { layer: 1, unit: 5 },
      { layer: 2, unit: 7 },
    ]);
  });

  it('edge cases: no pairs gives an empty set; a largest count of 1 keeps every neuron', () => {
    expect(relationDegenerateNeurons([search([[0, 0]], [])])).toEqual({
      neurons: [],
      counts: [],
      threshold: 0,
    });
    const ones = relationDegenerateNeurons([
      search(
        [
          [0, 0],
          [1, 1],
        ],
        [[0, 1]],
      ),
    ]);
    expect(ones.threshold).toBe(0);
    expect(ones.neurons.length).toBe(2);
  });

  it('mean attribution over D_r reads the layers x units map', () => {
    const units = 4;
    const scores = Float32Array.from({ length: 3 * units }, (_, i) => i);
    expect(
      meanAttribution(scores, units, [
        { layer: 0, unit: 1 },
        { layer: 2, unit: 3 },
      ]),
    ).toBe((1 + 11) / 2);
    expect(meanAttribution(scores, units, [])).toBeNaN();
  });
});

/** A second capital fact, so that 'capital' has a train side, with no degenerate unit. */
const GERMANY: PlantedFactSpec = {
  id: 'germany-capital',
  relation: 'capital',
  subject: { en: 'Germany', zh: '德国' },
  object: { en: 'Berlin', zh: '柏林' },
  units: [{ layer: 2, unit: 7, role: 'shared' }],
};

/** Three degenerate copies, so that 'color' has more than one degenerate pattern. */
const SKY: PlantedFactSpec = {
  id: 'sky-color',
  relation: 'color',
  subject: { en: 'sky', zh: '天' },
  object: { en: 'blue', zh: '蓝' },
  units: [
    { layer: 0, unit: 5, role: 'shared', group: 'copies' },
    { layer: 1, unit: 8, role: 'shared', group: 'copies' },
    { layer: 3, unit: 9, role: 'shared', group: 'copies' },
  ],
};

const runtime = createNodeRuntime({ threads: 1 });
const key = (n: NeuronRef) => `${n.layer}:${n.unit}`;

describe('fact checking end to end on a planted model', () => {
  it('splits, builds D_r from the train pairs, judges both statements, and resumes', async () => {
    const planted = plantedModel({ facts: [...DEFAULT_FACTS, GERMANY, SKY] });
    const { truth } = planted;
    const model = await loadModel(new MemorySource('planted-gpt2', planted.files), runtime);
    const facts = plantedFacts(truth, { wrongObjects: true });
    const store = new MemoryResultStore();
    const calls = vi.mocked(attributeMany);
    calls.mockClear();
    // Two prompts per pass (a GPU's default; the CPU's is one): the batches are checked below.
    const report = await factCheck(model, facts, { language: 'en', store, promptsPerPass: 2 });

    // 'opposite' has one fact and so no wrong object: not eligible.
    expect(report.relations.map((r) => r.relation)).toEqual(['capital', 'color']);
    const byRelation = Object.fromEntries(report.relations.map((r) => [r.relation, r]));
    for (const r of report.relations) {
      const split = splitFacts(facts.filter((f) => f.relation === r.relation));
      expect(r.test).toEqual(split.test.map((f) => f.id));
      expect(r.train).toEqual(split.train.map((f) => f.id));
    }

    // D_r by hand from the planted truth: every pair of an English degenerate group of a train
    // fact counts once for each of its two units.
    const expectedDkn = (relation: string) => {
      const counts = new Map<string, number>();
      for (const id of byRelation[relation].train) {
        const fact = truth.facts.find((f) => f.id === id)!;
        for (const g of fact.degenerateGroups)
          for (let i = 0; i < g.length; i++)
            for (let j = i + 1; j < g.length; j++)
              for (const u of [g[i], g[j]]) counts.set(key(u), (counts.get(key(u)) ?? 0) + 1);
      }
      const max = Math.max(0, ...counts.values());
      return [...counts]
        .filter(([, c]) => c > Math.floor(0.7 * max))
        .map(([k]) => k)
        .sort();
    };
    expect(byRelation.capital.dkn.neurons).toEqual([]); // germany: one needed unit, no pair
    expect(byRelation.capital.withDkn).toBeNull();
    const colorDkn = byRelation.color.dkn.neurons.map(key).sort();
    expect(colorDkn).toEqual(expectedDkn('color'));
    // Train: snow and grass (one pair each: counts 1), sky (three pairs: counts 2); the cut at
    // floor(0.7 x 2) = 1 keeps sky's units only.
    expect([...byRelation.color.train].sort()).toEqual(['grass-color', 'sky-color', 'snow-color']);
    expect(colorDkn).toEqual(['0:5', '1:8', '3:9']);

    // Degenerate units are fact-specific in a planted model, so D_r never fires for a test fact:
    // s ~ 0 < 1e-6 for both statements, and DKN judges everything wrong. The planted model
    // answers every fact, so the baseline is perfect.
    for (const it of byRelation.color.items) {
      expect(Math.abs(it.true.score!)).toBeLessThan(1e-6);
      expect(Math.abs(it.wrong.score!)).toBeLessThan(1e-6);
      expect(it.true.topMatches).toBe(true);
      expect(it.wrong.topMatches).toBe(false);
    }
    const n = byRelation.color.items.length;
    expect(n).toBe(1); // ceil(0.2 x 4 color facts)
    expect(byRelation.color.withDkn).toEqual({
      confusion: { tp: 0, fp: 0, fn: n, tn: n },
      precision: null,
      recall: 0,
      f1: 0,
      accuracy: 0.5,
    });
    expect(byRelation.color.baseline).toMatchObject({
      confusion: { tp: n, fp: 0, fn: 0, tn: n },
      precision: 1,
      recall: 1,
      f1: 1,
    });
    expect(byRelation.capital.baseline.confusion).toEqual({ tp: 1, fp: 0, fn: 0, tn: 1 });
    // Overall: only relations DKN could judge, both methods on the same statements.
    expect(report.overall.withDkn.confusion).toEqual(byRelation.color.withDkn!.confusion);
    expect(report.overall.baseline.confusion).toEqual(byRelation.color.baseline.confusion);
    // Prompts attributed: every train fact (one prompt each), then two statements per color
    // test; in batches of two, a test fact's two statements together.
    const trainFacts = report.relations.reduce((s, r) => s + r.train.length, 0);
    const batches = calls.mock.calls.map((c) => c[1].map((p) => `${p.prompt}/${p.object}`));
    expect(batches.flat()).toHaveLength(trainFacts + 2 * n);
    expect(batches.length).toBeLessThan(trainFacts + 2 * n);
    expect(batches.at(-1)).toHaveLength(2);

    // Same store: nothing recomputed. A new threshold needs no new attribution either, and with
    // a threshold below every score, every statement is judged true.
    calls.mockClear();
    const again = await factCheck(model, facts, { language: 'en', store, threshold: -1 });
    expect(calls).not.toHaveBeenCalled();
    expect(again.relations.map((r) => r.items)).toEqual(report.relations.map((r) => r.items));
    expect(again.overall.withDkn.confusion).toEqual({ tp: n, fp: n, fn: 0, tn: 0 });
    await model.release();
  });
});
