import { describe, expect, it } from 'vitest';
import type { DknRecord, KnRecord } from './dataset';
import {
  type NeuronSetSources,
  neuronSetName,
  factSources,
  parseNeuronList,
  resolveNeuronSet,
  sourcesFromDataset,
} from './neuron-sets';

const n = (layer: number, unit: number) => ({ layer, unit });

describe('neuron sets', () => {
  const sources: NeuronSetSources = {
    kn: { en: [n(2, 5), n(1, 3)], zh: [n(1, 3), n(0, 7)] },
    degenerate: [
      [n(3, 4), n(3, 11)],
      [n(0, 2), n(3, 4)],
    ],
  };

  it('resolves every kind of choice to unique neurons by position', () => {
    expect(resolveNeuronSet({ kind: 'kn', language: 'en' }, sources)).toEqual([n(1, 3), n(2, 5)]);
    expect(resolveNeuronSet({ kind: 'kn', language: 'fr' }, sources)).toEqual([]);
    expect(resolveNeuronSet({ kind: 'likn' }, sources)).toEqual([n(1, 3)]);
    expect(resolveNeuronSet({ kind: 'dkn', group: 1 }, sources)).toEqual([n(0, 2), n(3, 4)]);
    expect(resolveNeuronSet({ kind: 'dkn', group: 7 }, sources)).toEqual([]);
    expect(resolveNeuronSet({ kind: 'dkn', group: 'all' }, sources)).toEqual([
      n(0, 2),
      n(3, 4),
      n(3, 11),
    ]);
    expect(
      resolveNeuronSet({ kind: 'custom', neurons: [n(2, 1), n(0, 0), n(2, 1)] }, sources),
    ).toEqual([n(0, 0), n(2, 1)]);
  });

  it('LIKN of a single language is empty, not that language’s KN', () => {
    expect(resolveNeuronSet({ kind: 'likn' }, { kn: { en: [n(1, 1)] }, degenerate: [] })).toEqual(
      [],
    );
  });

  it('names choices for labels', () => {
    expect(neuronSetName({ kind: 'kn', language: 'zh' })).toBe('KN zh');
    expect(neuronSetName({ kind: 'likn' })).toBe('LIKN');
    expect(neuronSetName({ kind: 'dkn', group: 0 })).toBe('DKN group 1');
    expect(neuronSetName({ kind: 'dkn', group: 'all' })).toBe('DKN (all groups)');
    expect(neuronSetName({ kind: 'custom', neurons: [] })).toBe('hand-picked');
  });
});

describe('parseNeuronList', () => {
  it('reads the usual spellings, dedupes and sorts', () => {
    expect(parseNeuronList('3:12, L1·u4; l0 u7\n2/5 ,, 3:12', 4, 16)).toEqual({
      neurons: [n(0, 7), n(1, 4), n(2, 5), n(3, 12)],
      errors: [],
    });
  });

  it('reports items that are not neurons of the model', () => {
    const r = parseNeuronList('4:1, 0:16, hello, 1:2', 4, 16);
    expect(r.neurons).toEqual([n(1, 2)]);
    expect(r.errors).toEqual([
      '4:1 is outside the model (4 layers × 16 units)',
      '0:16 is outside the model (4 layers × 16 units)',
      '“hello” is not a neuron (write layer:unit, e.g. 3:12)',
    ]);
    expect(parseNeuronList('  ', 4, 16)).toEqual({ neurons: [], errors: [] });
  });
});

describe('sourcesFromDataset', () => {
  it('collects KN per language and each degenerate pair as a group, as plain neurons', () => {
    const kn = (factId: string, language: string, neurons: [number, number][]) =>
      ({
        factId,
        language,
        neurons: neurons.map(([l, u]) => ({ ...n(l, u), score: 1, count: 1, stability: 1 })),
      }) as unknown as KnRecord;
    const dkn = {
      factId: 'a',
      language: 'en',
      search: {
        neurons: [
          { ...n(3, 4), score: 1 },
          { ...n(0, 2), score: 0.5 },
        ],
        pairs: [{ a: 0, b: 1 }],
      },
    } as unknown as DknRecord;
    expect(
      sourcesFromDataset(
        [
          kn('a', 'en', [[1, 1]]),
          kn('a', 'zh', [
            [1, 1],
            [2, 2],
          ]),
          kn('b', 'en', []),
        ],
        [dkn],
      ),
    ).toEqual({
      a: { kn: { en: [n(1, 1)], zh: [n(1, 1), n(2, 2)] }, degenerate: [[n(3, 4), n(0, 2)]] },
      b: { kn: { en: [] }, degenerate: [] },
    });
  });
});

describe('factSources', () => {
  it('takes KN from an overlap and groups from a degenerate result, as plain neurons', () => {
    const overlap = {
      languages: [
        { language: 'en', neurons: [{ ...n(1, 3), score: 2, count: 1, stability: 1 }] },
        { language: 'zh', neurons: [] },
      ],
    };
    const degenerate = { groups: [{ neurons: [n(0, 2), n(2, 9)], source: 'pair', joint: 0 }] };
    expect(factSources(overlap, degenerate)).toEqual({
      kn: { en: [n(1, 3)], zh: [] },
      degenerate: [[n(0, 2), n(2, 9)]],
    });
    expect(factSources()).toEqual({ kn: {}, degenerate: [] });
  });
});
