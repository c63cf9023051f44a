import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../attribution/settings';
import {
  type DknResult,
  type KnResult,
  type PromptRecord,
  type ResultRecord,
  type ResultsManifest,
  RESULTS_FORMAT,
  RESULTS_VERSION,
  compareRecords,
  datasetRunOf,
  keyDigest,
  manifestDifferences,
  manifestText,
  parseManifest,
  readRecordLines,
  readStoreLines,
  recordLine,
  storeLine,
} from './results';

const prompt = (fact: string, language: string, index: number): PromptRecord => ({
  type: 'prompt',
  fact,
  language,
  index,
  text: `${fact} ${language} ${index} [MASK]`,
  object: 'o',
  probability: 0.25,
  counts: { forward: 10, backward: 8, forwardTokens: 90, backwardTokens: 72 },
  warnings: [],
  selected: [{ layer: 1, unit: 2, score: 0.5 }],
  top: [
    { layer: 1, unit: 2, score: 0.5 },
    { layer: 0, unit: 1, score: 0.125 },
  ],
});

const kn = (fact: string, language: string, neurons: [number, number][]): KnResult => ({
  type: 'kn',
  key: `kn/v1/m/d/${fact}/${language}`,
  factId: fact,
  relation: 'P36',
  language,
  prompts: [`${fact} ${language} 0 [MASK]`],
  object: 'o',
  probabilities: [0.25],
  tau: 0.3,
  p: 0.3,
  neurons: neurons.map(([layer, unit]) => ({ layer, unit, score: 1, count: 1, stability: 1 })),
  counts: { forward: 10, backward: 8, forwardTokens: 90, backwardTokens: 72 },
  warnings: [],
});

const dkn = (fact: string, language: string): DknResult => ({
  type: 'dkn',
  key: `dkn/v1/m/d/${fact}/${language}`,
  factId: fact,
  relation: 'P36',
  language,
  prompt: `${fact} ${language} 0 [MASK]`,
  object: 'o',
  search: {
    p0: 0.5,
    neurons: [
      { layer: 1, unit: 2, score: 1 },
      { layer: 2, unit: 3, score: 0.5 },
    ],
    matrix: Float64Array.from([0.45, 0.1, 0.1, NaN]),
    candidates: [0, 1],
    pairs: [{ a: 0, b: 1, probability: 0.1 }],
    singleDrop: 0.2,
    jointDrop: 0.25,
  },
});

const manifest: ResultsManifest = {
  format: RESULTS_FORMAT,
  version: RESULTS_VERSION,
  tool: 'kne 0.1.0',
  model: {
    id: 'local:demo',
    revision: null,
    commit: null,
    digest: 'abc123',
    modelType: 'bert',
    layers: 3,
    units: 4,
  },
  settings: { ...DEFAULT_SETTINGS },
  tau: { en: 0.3, zh: 0.2 },
  p: 0.3,
  languages: ['en', 'zh'],
  degenerate: null,
  maps: false,
  top: 20,
  shard: { index: 0, count: 1 },
  facts: 2,
  complete: true,
};

describe('records.jsonl lines', () => {
  const records: ResultRecord[] = [
    prompt('f1', 'en', 0),
    kn('f1', 'en', [[1, 2]]),
    dkn('f1', 'en'),
  ];
  const text = records.map(recordLine).join('');

  it('read back what was written, the checksum first and a DKN matrix as Float64Array', () => {
    expect(text.split('\n')[0]).toMatch(/^\{"check":"[0-9a-f]{14}","type":"prompt",/);
    const read = readRecordLines(text);
    expect(read.damaged).toEqual([]);
    expect(read.intact).toBe(text.length);
    expect(read.items).toEqual(records);
    const search = (read.items[2] as DknResult).search;
    expect(search.matrix).toBeInstanceOf(Float64Array);
    expect(Number.isNaN(search.matrix[3])).toBe(true);
  });

  it('never take a line cut short, at any byte, for a record', () => {
    const last = recordLine(prompt('f2', 'zh', 0));
    for (let cut = 0; cut < last.length; cut++) {
      const read = readRecordLines(text + last.slice(0, cut));
      expect(read.items).toEqual(records);
      expect(read.intact).toBe(text.length);
      expect(read.damaged).toEqual(
        cut === 0 ? [] : [{ line: 4, problem: 'it was cut short (no end of line)' }],
      );
    }
  });

  it('name damaged, edited and foreign lines and keep the rest', () => {
    const lines = text.split('\n');
    const edited = lines[0].replace('"probability":0.25', '"probability":0.26');
    const foreign = JSON.stringify({ type: 'prompt', fact: 'x' });
    const zeros = '\u0000'.repeat(12);
    const unknown = recordLine({
      ...prompt('f9', 'en', 0),
      type: 'other',
    } as unknown as ResultRecord).trimEnd();
    const missing = recordLine({
      ...kn('f1', 'zh', []),
      neurons: 3,
    } as unknown as ResultRecord).trimEnd();
    const damagedText = [edited, lines[1], foreign, zeros, unknown, missing, lines[2], ''].join(
      '\n',
    );
    const read = readRecordLines(damagedText);
    expect(read.items).toEqual(records.slice(1));
    expect(read.damaged.map((d) => d.line)).toEqual([1, 3, 4, 5, 6]);
    expect(read.damaged[0].problem).toMatch(/checksum/);
    expect(read.damaged[1].problem).toMatch(/does not start with/);
    expect(read.damaged[3].problem).toMatch(/type "other"/);
    expect(read.damaged[4].problem).toMatch(/neurons/);
  });

  it('store lines carry any key and value the same way', () => {
    const { type: _t, key, ...value } = dkn('f1', 'zh');
    const lines = storeLine(key, value) + storeLine('check/v1/x', { a: [1, 2] });
    const read = readStoreLines(`${lines}{"check":"00`);
    expect(read.items).toEqual([
      [key, value],
      ['check/v1/x', { a: [1, 2] }],
    ]);
    expect(read.damaged).toHaveLength(1);
  });
});

describe('canonical order', () => {
  it('sorts by fact id, the run language order, then prompt, KN, DKN, failure', () => {
    const failure: ResultRecord = { type: 'failure', factId: 'b', language: 'en', message: 'm' };
    const shuffled: ResultRecord[] = [
      dkn('a', 'en'),
      failure,
      prompt('a', 'zh', 0),
      kn('a', 'en', []),
      prompt('a', 'en', 1),
      prompt('B', 'en', 0),
      prompt('a', 'en', 0),
    ];
    const sorted = [...shuffled].sort(compareRecords(['zh', 'en']));
    const tags = sorted.map(
      (r) =>
        `${r.type === 'prompt' ? r.fact : r.factId}/${r.language}/${r.type}${r.type === 'prompt' ? r.index : ''}`,
    );
    // Code-unit order puts "B" before "a"; zh is the run's first language.
    expect(tags).toEqual([
      'B/en/prompt0',
      'a/zh/prompt0',
      'a/en/prompt0',
      'a/en/prompt1',
      'a/en/kn',
      'a/en/dkn',
      'b/en/failure',
    ]);
  });
});

describe('manifests', () => {
  it('round-trip, and refuse other formats and versions with the fix', () => {
    expect(parseManifest(manifestText(manifest), 'kne.json')).toEqual(manifest);
    expect(() => parseManifest('{', 'x/kne.json')).toThrow(/x\/kne.json is not valid JSON/);
    expect(() => parseManifest('{"format":"other"}', 'kne.json')).toThrow(/not a kne results/);
    expect(() =>
      parseManifest(JSON.stringify({ ...manifest, version: 99, tool: 'kne 9.0.0' }), 'kne.json'),
    ).toThrow(/version 99.*kne 9.0.0/);
    const { model: _m, ...noModel } = manifest;
    expect(() => parseManifest(JSON.stringify(noModel), 'kne.json')).toThrow(/lacks fields/);
  });

  it('name every difference with both values, and ignore shard and completeness', () => {
    expect(
      manifestDifferences(manifest, {
        ...manifest,
        shard: { index: 2, count: 3 },
        complete: false,
      }),
    ).toEqual([]);
    const other: ResultsManifest = {
      ...manifest,
      model: { ...manifest.model, digest: 'zzz', revision: 'v2' },
      settings: { ...manifest.settings, steps: 10, method: 'ig' },
      tau: { en: 0.3, zh: 0.25 },
      degenerate: { topK: 20, singleDrop: 0.2, jointDrop: 0.25 },
    };
    const found = manifestDifferences(manifest, other, ['a', 'b']);
    expect(found).toEqual([
      'model: local:demo (files abc123) in a, local:demo (files zzz) in b',
      'model revision: null in a, v2 in b',
      'method: amig in a, ig in b',
      'steps: 20 in a, 10 in b',
      'tau (zh): 0.2 in a, 0.25 in b',
      'degenerate-pair search: null in a, {"topK":20,"singleDrop":0.2,"jointDrop":0.25} in b',
    ]);
  });

  it('read the digest of a model key, edited or not', () => {
    expect(keyDigest('demo-bert#3yy792gftc')).toBe('3yy792gftc');
    expect(keyDigest('local:my#folder#3yy792gftc~edited:e1,e2')).toBe('3yy792gftc');
  });
});

describe('datasetRunOf', () => {
  it('gives the Dataset tab its run: KN, DKN, failures and the aggregates', () => {
    const records: ResultRecord[] = [
      prompt('f1', 'en', 0),
      kn('f1', 'en', [[1, 2]]),
      kn('f1', 'zh', [
        [1, 2],
        [2, 3],
      ]),
      dkn('f1', 'en'),
      { type: 'failure', factId: 'f2', language: 'zh', message: 'not in the vocabulary' },
    ];
    const run = datasetRunOf(manifest, records);
    expect(run.model).toBe('local:demo');
    expect([run.layers, run.units]).toEqual([3, 4]);
    expect(run.languages).toEqual(['en', 'zh']);
    expect(run.records.map((r) => [r.factId, r.language])).toEqual([
      ['f1', 'en'],
      ['f1', 'zh'],
    ]);
    expect(run.records[0]).not.toHaveProperty('key');
    expect(run.degenerate).toHaveLength(1);
    expect(run.failures).toEqual([
      { factId: 'f2', language: 'zh', message: 'not in the vocabulary' },
    ]);
    expect(run.aggregates.overall.kn).toEqual({ en: [0, 1, 0], zh: [0, 1, 1] });
    expect(run.aggregates.overall.likn).toEqual([0, 1, 0]);
    expect(run.aggregates.overall.dkn.en).toEqual([0, 1, 1]);
  });
});
