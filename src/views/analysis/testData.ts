/**
 * Small hand-made results for the views' unit tests: shaped like the services' results, with
 * known numbers. (The e2e suite feeds the views real results from planted models.)
 */
import type { DatasetAggregates } from '../../analysis/dataset';
import { type FactCheckReport, checkMetrics } from '../../analysis/factcheck';
import type { InterventionEffect } from '../../analysis/interventions';
import { languageOverlap } from '../../analysis/overlap';
import type { Prediction } from '../../attribution/predict';
import type { Neuron } from '../../analysis/selection';
import { type DegenerateResult, degenerateGroups } from '../../analysis/services';
import type { LabResult } from '../../analysis/services';

export const ns = (...pairs: [number, number][]): Neuron[] =>
  pairs.map(([layer, unit]) => ({ layer, unit }));

export const overlap2 = languageOverlap({ en: ns([1, 3], [2, 5]), zh: ns([1, 3], [0, 7]) });
export const overlap3 = languageOverlap({
  en: ns([1, 3], [2, 5], [3, 1]),
  zh: ns([1, 3], [0, 7], [3, 1]),
  fr: ns([1, 3], [2, 5], [0, 9]),
});
export const overlap5 = languageOverlap({
  en: ns([1, 3], [2, 5]),
  zh: ns([1, 3], [0, 7]),
  fr: ns([1, 3], [2, 5]),
  de: ns([1, 3]),
  ja: ns([1, 3], [3, 3]),
});

export const aggregates: DatasetAggregates = {
  overall: {
    relation: null,
    facts: 3,
    kn: { en: [1, 2, 0, 3], zh: [2, 1, 1, 2] },
    likn: [1, 1, 0, 2],
    liknFacts: 3,
    dkn: { en: [0, 2, 0, 2], zh: [0, 0, 0, 2] },
    frequency: {
      en: Uint32Array.from({ length: 4 * 8 }, (_, i) => (i % 5 === 0 ? 1 + (i % 3) : 0)),
      zh: new Uint32Array(4 * 8),
    },
  },
  relations: [
    {
      relation: 'capital',
      facts: 1,
      kn: { en: [1, 0, 0, 1], zh: [1, 0, 0, 1] },
      likn: [1, 0, 0, 1],
      liknFacts: 1,
      dkn: { en: [0, 0, 0, 0], zh: [0, 0, 0, 0] },
      frequency: { en: new Uint32Array(32), zh: new Uint32Array(32) },
    },
  ],
};

const prediction = (p: number, top: [string, number][], tokenId = 1): Prediction => ({
  probability: p,
  slots: [
    {
      position: 5,
      tokenId,
      token: top.find(([, id]) => id === tokenId)?.[0] ?? 'Paris',
      probability: p,
      top: top.map(([token, id], i) => ({ id, token, probability: i === 0 ? 0.9 : 0.01 })),
    },
  ],
});

function effect(kind: 'suppress' | 'enhance', relation: string, after: number): InterventionEffect {
  const prompt = (language: string, text: string) => ({
    language,
    text,
    object: 'Paris',
    before: prediction(0.9, [
      ['Paris', 1],
      ['Lyon', 2],
    ]),
    after: prediction(after, [
      [kind === 'suppress' ? 'Lyon' : 'Paris', kind === 'suppress' ? 2 : 1],
      ['Paris', 1],
    ]),
    relativeChange: (after - 0.9) / 0.9,
  });
  const unrelated = (language: string) => ({
    ...prompt(language, 'The color of snow is [MASK] .'),
    after: prediction(0.9, [['Paris', 1]]),
    relativeChange: 0,
  });
  return {
    factId: `fact-${relation}`,
    relation,
    intervention: { name: 'LIKN', kind, neurons: ns([1, 3]) },
    languages: ['en', 'zh'].map((language) => ({
      language,
      related: [prompt(language, `The ${relation} of X is [MASK] .`)],
      unrelated: [unrelated(language)],
      unrelatedFactId: 'snow-color',
      meanRelated: (after - 0.9) / 0.9,
      meanUnrelated: 0,
    })),
  };
}

export const lab: LabResult = {
  choice: { kind: 'likn' },
  name: 'LIKN',
  effects: [
    effect('suppress', 'capital', 0.009),
    effect('enhance', 'capital', 0.99),
    effect('suppress', 'color', 0.45),
    effect('enhance', 'color', 0.95),
  ],
  empty: ['hot-opposite'],
  warnings: [],
};

/** Three KN: 3:4 and 3:11 a degenerate pair (and cluster), 1:2 needed on its own. */
export function degenerate(): DegenerateResult {
  const neurons = [
    { layer: 3, unit: 4, score: 1 },
    { layer: 3, unit: 11, score: 0.95 },
    { layer: 1, unit: 2, score: 0.9 },
  ];
  // Rows: singles on the diagonal, pairs elsewhere (p0 = 0.9).
  const matrix = Float64Array.from([0.85, 0.05, 0.01, 0.05, 0.84, 0.01, 0.01, 0.01, 0.02]);
  const pairs = {
    p0: 0.9,
    neurons,
    matrix,
    candidates: [0, 1],
    pairs: [{ a: 0, b: 1, probability: 0.05 }],
    singleDrop: 0.2,
    jointDrop: 0.25,
  };
  const strength = Float32Array.from([0, 0.98, 0.1, 0.98, 0, 0.1, 0.1, 0.1, 0]);
  const clusters = {
    p0: 0.9,
    neurons,
    connections: { feed: new Float32Array(9), redundancy: strength },
    links: 'feed+redundancy' as const,
    strength,
    minStrength: 0.5,
    clusters: [{ members: [0, 1], singles: [0.85, 0.84], joint: 0.05, degenerate: true }],
    singleDrop: 0.2,
    jointDrop: 0.25,
  };
  return {
    language: 'en',
    text: 'The color of grass is [MASK] .',
    object: 'green',
    model: 'planted',
    p0: 0.9,
    kn: neurons,
    pairs,
    clusters,
    groups: degenerateGroups(pairs, clusters),
  };
}

export function factCheckReport(): FactCheckReport {
  const withDkn = checkMetrics({ tp: 3, fp: 1, fn: 1, tn: 3 });
  const baseline = checkMetrics({ tp: 4, fp: 0, fn: 0, tn: 4 });
  const relation = (id: string | null, dkn: boolean) => ({
    relation: id,
    train: ['a', 'b', 'c'],
    test: ['d', 'e'],
    dkn: { neurons: dkn ? ns([3, 4]) : [], counts: [], threshold: dkn ? 1 : 0 },
    items: [],
    withDkn: dkn ? withDkn : null,
    baseline,
  });
  return {
    language: 'en',
    seed: 42,
    testShare: 0.2,
    dknShare: 0.7,
    threshold: 1e-6,
    relations: [relation('color', true), relation('capital', false)],
    overall: { withDkn, baseline },
    failures: [],
  };
}

/**
 * A search whose pairs hold `count` neurons of layer 0 and a few of layer 5, every neighbour a
 * degenerate pair: more than a layer column holds as circles (GPT-2 at tau 0.1 gives 37).
 */
export function manyDegenerate(count = 37): DegenerateResult {
  const neurons = Array.from({ length: count }, (_, i) => ({
    layer: i < count - 5 ? 0 : 5,
    unit: 100 + i * 7,
    score: 1 - i / (2 * count),
  }));
  const K = neurons.length;
  const matrix = new Float64Array(K * K).fill(0.5);
  for (let i = 0; i < K; i++) matrix[i * K + i] = 0.85;
  const pairs = {
    p0: 0.9,
    neurons,
    matrix,
    candidates: neurons.map((_, i) => i),
    pairs: neurons.slice(1).map((_, i) => ({ a: i, b: i + 1, probability: 0.5 })),
    singleDrop: 0.2,
    jointDrop: 0.25,
  };
  return {
    language: 'en',
    text: 'The capital of Germany is',
    object: ' Berlin',
    model: 'gpt2',
    p0: 0.9,
    kn: neurons,
    pairs,
    clusters: null,
    groups: degenerateGroups(pairs, null),
  };
}
