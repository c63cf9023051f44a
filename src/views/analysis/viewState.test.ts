import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DEGENERATE_STATE,
  DEFAULT_FACT_CHECK_STATE,
  DEFAULT_INTERVENTION_LAB_STATE,
  DEFAULT_LAYER_DISTRIBUTION_STATE,
  DEFAULT_OVERLAP_STATE,
  DEFAULT_SELECTION_FREQUENCY_STATE,
  parseDegenerateState,
  parseFactCheckState,
  parseInterventionLabState,
  parseLayerDistributionState,
  parseOverlapState,
  parseSelectionFrequencyState,
} from './viewState';

/** Through a link and back: JSON text, then the parser. */
const roundTrip = <T>(state: T, parse: (v: unknown) => T) =>
  parse(JSON.parse(JSON.stringify(state)));

const parsers = [
  ['overlap', parseOverlapState, DEFAULT_OVERLAP_STATE],
  ['layers', parseLayerDistributionState, DEFAULT_LAYER_DISTRIBUTION_STATE],
  ['lab', parseInterventionLabState, DEFAULT_INTERVENTION_LAB_STATE],
  ['degenerate', parseDegenerateState, DEFAULT_DEGENERATE_STATE],
  ['factcheck', parseFactCheckState, DEFAULT_FACT_CHECK_STATE],
  ['frequency', parseSelectionFrequencyState, DEFAULT_SELECTION_FREQUENCY_STATE],
] as const;

describe('view states', () => {
  it('round-trip every valid state', () => {
    const cases: [unknown, (v: unknown) => unknown][] = [
      [{ region: ['en', 'zh'], layout: 'upset' }, parseOverlapState],
      [{ region: null, layout: 'auto' }, parseOverlapState],
      [{ scope: { relation: 'P36' }, measure: 'share' }, parseLayerDistributionState],
      [{ scope: { relation: null }, measure: 'count' }, parseLayerDistributionState],
      [{ scope: null, measure: 'count' }, parseLayerDistributionState],
      [
        { choice: { kind: 'kn', language: 'zh' }, kind: 'enhance', aggregation: 'reference' },
        parseInterventionLabState,
      ],
      [
        { choice: { kind: 'likn' }, kind: 'suppress', aggregation: 'plain' },
        parseInterventionLabState,
      ],
      [
        { choice: { kind: 'dkn', group: 'all' }, kind: 'suppress', aggregation: 'plain' },
        parseInterventionLabState,
      ],
      [
        { choice: { kind: 'dkn', group: 2 }, kind: 'suppress', aggregation: 'plain' },
        parseInterventionLabState,
      ],
      [
        {
          choice: { kind: 'custom', neurons: [{ layer: 3, unit: 12 }] },
          kind: 'suppress',
          aggregation: 'plain',
        },
        parseInterventionLabState,
      ],
      [{ edges: 'pairs', group: 3 }, parseDegenerateState],
      [{ scope: { relation: 'color' } }, parseFactCheckState],
      [
        {
          language: 'zh',
          scope: { relation: 'color' },
          transform: 'sqrt',
          range: { start: 10, end: 200 },
        },
        parseSelectionFrequencyState,
      ],
    ];
    for (const [state, parse] of cases) expect(roundTrip(state, parse)).toEqual(state);
    for (const [, parse, fallback] of parsers) expect(roundTrip(fallback, parse)).toEqual(fallback);
  });

  it('turn anything else into the defaults, field by field', () => {
    for (const [name, parse, fallback] of parsers)
      for (const junk of [
        undefined,
        null,
        42,
        'x',
        [],
        { layout: 'venn3d' },
        { __proto__: { a: 1 } },
      ])
        expect(parse(junk), name).toEqual(fallback);
    expect(parseOverlapState({ region: 'en', layout: 'upset' })).toEqual({
      region: null,
      layout: 'upset',
    });
    expect(parseOverlapState({ region: [], layout: 'auto' }).region).toBeNull();
    expect(parseOverlapState({ region: ['en', 3] }).region).toBeNull();
    expect(parseLayerDistributionState({ scope: { relation: 5 }, measure: 'share' })).toEqual({
      scope: null,
      measure: 'share',
    });
    expect(parseInterventionLabState({ choice: { kind: 'dkn', group: -1 } }).choice).toBeNull();
    expect(parseInterventionLabState({ choice: { kind: 'dkn', group: 1.5 } }).choice).toBeNull();
    expect(
      parseInterventionLabState({ choice: { kind: 'custom', neurons: [{ layer: 1, unit: 'x' }] } })
        .choice,
    ).toBeNull();
    expect(parseInterventionLabState({ choice: { kind: 'eval' } }).choice).toBeNull();
    expect(parseDegenerateState({ edges: 'all', group: -3 })).toEqual(DEFAULT_DEGENERATE_STATE);
    expect(parseSelectionFrequencyState({ range: { start: 5, end: 5 } }).range).toBeNull();
    expect(parseSelectionFrequencyState({ transform: 'log' }).transform).toBe('linear');
  });

  it('refuse oversized text from a link', () => {
    const long = 'x'.repeat(201);
    expect(parseFactCheckState({ scope: { relation: long } }).scope).toBeNull();
    expect(parseSelectionFrequencyState({ language: long }).language).toBeNull();
    expect(parseInterventionLabState({ choice: { kind: 'kn', language: long } }).choice).toBeNull();
    const many = Array.from({ length: 65 }, (_, i) => `l${i}`);
    expect(parseOverlapState({ region: many }).region).toBeNull();
  });
});
