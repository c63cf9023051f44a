import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ShareLinkError, decodeState, encodeState, shareUrl, stateParam } from './share';
import { type AnalysisState, DEFAULT_ANALYSIS, parseAnalysisState } from './analysis-state';
import { DEFAULT_SETTINGS } from '../attribution/settings';
import type { ExplorerState } from './state';

const state: ExplorerState = {
  model: { kind: 'hub', id: 'google-bert/bert-base-multilingual-cased', revision: 'v1.0' },
  settings: {
    method: 'grad-x-act',
    steps: 7,
    score: 'activation',
    tapMode: 'pre-activation',
    multiToken: 'reference',
  },
  tau: { en: 0.25, zh: 0.2 },
  facts: [
    {
      id: 'capital-fr',
      relation: 'P36',
      subject: 'France',
      prompts: [
        { language: 'en', text: 'The capital of France is [MASK] .', object: 'Paris' },
        { language: 'zh', text: '法国的首都是[MASK]。', object: '巴黎' },
      ],
    },
    {
      id: 'x',
      prompts: [
        { language: 'en', text: '<img src=x onerror=alert(1)> [MASK]', object: '"</script>' },
      ],
    },
  ],
  view: { factId: 'x' },
  analysis: DEFAULT_ANALYSIS,
};

/** A fragment value for raw JSON, as a hand-made (hostile) link would carry it. */
function packed(json: unknown): string {
  return `z${deflateRawSync(Buffer.from(JSON.stringify(json))).toString('base64url')}`;
}

describe('share links', () => {
  it('round-trip the state: model, facts in several languages, settings, tau, shown fact', async () => {
    const url = await shareUrl(state, 'http://localhost:4317/?backend=wasm#old');
    expect(url).toMatch(/^http:\/\/localhost:4317\/\?backend=wasm#s=z[\w-]+$/);
    const value = stateParam(new URL(url).hash)!;
    expect(await decodeState(value)).toEqual(state);
  });

  it('are compact: a fact in two languages takes a few hundred characters', async () => {
    const value = await encodeState({ ...state, facts: state.facts.slice(0, 1) });
    expect(value.length).toBeLessThan(300);
  });

  it('keep bundled and local-folder models and an empty state', async () => {
    for (const model of [
      { kind: 'bundled', name: 'demo-gpt2' },
      { kind: 'files', label: 'my model' },
      undefined,
    ] as const) {
      const s: ExplorerState = {
        facts: [],
        settings: DEFAULT_SETTINGS,
        tau: {},
        view: {},
        analysis: DEFAULT_ANALYSIS,
        ...(model ? { model } : {}),
      };
      expect(await decodeState(await encodeState(s))).toEqual(s);
    }
  });

  it('keep the "float32 weights as 16-bit" setting, with and without analysis state', async () => {
    const on: ExplorerState = { ...state, float32As16: true };
    expect(await decodeState(await encodeState(on))).toEqual(on);
    const plain: ExplorerState = { ...on, analysis: { ...DEFAULT_ANALYSIS, tab: 'overlap' } };
    expect(await decodeState(await encodeState(plain))).toEqual(plain);
    // Off is the default: a link without it is the link it was before the setting existed.
    expect(await encodeState({ ...state, float32As16: undefined })).toBe(await encodeState(state));
    await expect(
      decodeState(packed([1, 0, ['amig', 20, 'post', 'tok'], {}, [], [], 0, 'yes'])),
    ).rejects.toThrow(/weight precision is not readable/);
  });

  it('reject damaged and hostile links with a reason', async () => {
    const good = await encodeState(state);
    const cases: [string, RegExp][] = [
      [good.slice(0, 20), /cut short or damaged/],
      ['q' + good.slice(1), /does not start/],
      ['z$$$', /characters/],
      [packed({ not: 'a state' }), /not a state of this app/],
      [packed([2, 0, ['amig', 20, 'post', 'tok'], {}, [], []]), /another version/],
      [
        packed([1, ['b', '../../etc'], ['amig', 20, 'post', 'tok'], {}, [], []]),
        /not a bundled model name/,
      ],
      [
        packed([1, ['h', 'https://evil.example/x'], ['amig', 20, 'post', 'tok'], {}, [], []]),
        /not a Hugging Face model id/,
      ],
      [packed([1, 0, ['amig', 1e9, 'post', 'tok'], {}, [], []]), /steps/],
      [packed([1, 0, ['eval', 20, 'post', 'tok'], {}, [], []]), /method "eval" is unknown/],
      [
        packed([1, 0, ['amig', 20, 'post', 'tok'], { __proto__x: 2 }, [], []]),
        /not a language code/,
      ],
      [packed([1, 0, ['amig', 20, 'post', 'tok'], { en: 3 }, [], []]), /between 0 and 1/],
      [
        packed([
          1,
          0,
          ['amig', 20, 'post', 'tok'],
          {},
          [['a', 0, 0, [['en', 'no mask', 'x']]]],
          [],
        ]),
        /no \[MASK\]/,
      ],
      [
        packed([
          1,
          0,
          ['amig', 20, 'post', 'tok'],
          {},
          [['a', 0, 0, [['en', 'x'.repeat(5000) + '[MASK]', 'x']]]],
          [],
        ]),
        /longer than/,
      ],
      [
        packed([
          1,
          0,
          ['amig', 20, 'post', 'tok'],
          {},
          [['a', 0, 0, [['en', '[MASK]', 'x']]]],
          [3],
        ]),
        /shows a fact it does not have/,
      ],
      // A tiny link that inflates to megabytes.
      [
        `z${deflateRawSync(Buffer.alloc(5_000_000, 32)).toString('base64url')}`,
        /unpacks to more data/,
      ],
    ];
    for (const [value, reason] of cases) {
      const err = await decodeState(value).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, value.slice(0, 40)).toBeInstanceOf(ShareLinkError);
      expect((err as Error).message).toMatch(reason);
    }
  });

  it('round-trip every analysis view, and keep links of the neuron map alone as short', async () => {
    const analysis: AnalysisState = {
      tab: 'lab',
      paraphrases: { refined: true, p: 0.25 },
      overlap: { region: ['en'], layout: 'upset' },
      degenerate: { language: 'zh', view: { edges: 'pairs', group: 1 } },
      lab: {
        target: 'dataset',
        view: { choice: { kind: 'dkn', group: 'all' }, kind: 'enhance', aggregation: 'reference' },
      },
      edit: {
        choice: { kind: 'custom', neurons: [{ layer: 1, unit: 3 }] },
        kind: 'update',
        newObjects: { en: 'Lyon', zh: '里昂' },
        lambda: 3,
      },
      dataset: {
        source: { kind: 'factset', relations: ['P36', 'P30'], perRelation: 3 },
        degenerate: false,
        layers: { scope: { relation: 'P36' }, measure: 'share' },
        frequency: { language: 'zh', scope: null, transform: 'sqrt', range: { start: 8, end: 64 } },
      },
      factcheck: { language: 'en', relation: 'P30', view: { scope: { relation: 'P30' } } },
      compare: { model: { kind: 'hub', id: 'FacebookAI/xlm-roberta-base', revision: 'v1' } },
      ran: { degenerate: true, lab: true, dataset: true, factcheck: false },
    };
    const withViews = { ...state, analysis };
    expect(await decodeState(await encodeState(withViews))).toEqual(withViews);
    const upload = {
      ...analysis,
      dataset: {
        ...analysis.dataset,
        source: { kind: 'upload', name: 'my facts.jsonl', digest: '0af3' },
      },
    } as AnalysisState;
    expect(await decodeState(await encodeState({ ...state, analysis: upload }))).toEqual({
      ...state,
      analysis: upload,
    });
    // The default analysis state is left out of a link.
    expect((await encodeState(state)).length).toBeLessThan(
      (await encodeState({ ...state, analysis: { ...DEFAULT_ANALYSIS, tab: 'overlap' } })).length,
    );
    // Links made before the analysis views (six members) read with the default.
    const old = packed([1, 0, ['amig', 20, 'post', 'tok'], {}, [], []]);
    expect((await decodeState(old)).analysis).toEqual(DEFAULT_ANALYSIS);
  });

  it('read hostile analysis states field by field, keeping only what is valid', () => {
    const read = parseAnalysisState({
      tab: 'javascript:alert(1)',
      overlap: { region: ['<b>en</b>'], layout: 'venn' },
      degenerate: { language: '<img src=x>', view: { edges: 'both', group: -1 } },
      lab: {
        target: 'everything',
        view: { choice: { kind: 'custom', neurons: [{ layer: 'x' }] } },
      },
      edit: { kind: 'update', lambda: 1e9, newObjects: { '<x>': 'y' }, choice: { kind: 'kn' } },
      dataset: {
        source: { kind: 'factset', relations: [], perRelation: 5 },
        degenerate: 'yes',
        frequency: { range: { start: 5, end: 2 } },
      },
      factcheck: { language: 42, relation: 'x'.repeat(1000) },
      ran: { dataset: 'true', lab: true },
      paraphrases: { refined: 'yes', p: 1 },
      __proto__: { tab: 'edits' },
    });
    expect(read).toEqual({
      ...DEFAULT_ANALYSIS,
      // The region is text: the view falls back to LIKN when the fact lacks the languages.
      overlap: { region: ['<b>en</b>'], layout: 'auto' },
      edit: { ...DEFAULT_ANALYSIS.edit, kind: 'update' },
      ran: { ...DEFAULT_ANALYSIS.ran, lab: true },
    });
    expect(parseAnalysisState('nonsense')).toEqual(DEFAULT_ANALYSIS);
    expect(parseAnalysisState({ paraphrases: { p: -0.1, refined: true } }).paraphrases).toEqual({
      refined: true,
      p: DEFAULT_ANALYSIS.paraphrases.p,
    });
    expect(
      parseAnalysisState({ dataset: { source: { kind: 'upload', name: 'a', digest: '../x' } } })
        .dataset.source,
    ).toEqual(DEFAULT_ANALYSIS.dataset.source);
    // The compared model follows the link's model rules; "main" is left out.
    const compared = (model: unknown) => parseAnalysisState({ compare: { model } }).compare.model;
    expect(compared({ kind: 'bundled', name: '../etc' })).toBeNull();
    expect(compared({ kind: 'hub', id: 'https://evil.example/x' })).toBeNull();
    expect(compared({ kind: 'hub', id: 'a/b', revision: '' })).toBeNull();
    expect(compared({ kind: 'files', label: 'x'.repeat(1000) })).toBeNull();
    expect(compared({ kind: 'hub', id: 'a/b', revision: 'main' })).toEqual({
      kind: 'hub',
      id: 'a/b',
    });
    expect(compared({ kind: 'bundled', name: 'demo-gpt2' })).toEqual({
      kind: 'bundled',
      name: 'demo-gpt2',
    });
    expect(compared({ kind: 'files', label: 'my model' })).toEqual({
      kind: 'files',
      label: 'my model',
    });
  });

  it('quote hostile values briefly, however long or deeply nested (found by fuzzing)', async () => {
    const deep = '['.repeat(20000) + ']'.repeat(20000);
    const long = `"${'x'.repeat(100_000)}"`;
    const settings = '["amig", 20, "post", "tok"]';
    for (const [json, message] of [
      [
        `[1, 0, [${deep}, 20, "post", "tok"], {}, [], []]`,
        /^its method \[a deeply nested list\] is unknown$/,
      ],
      [`[1, 0, [${long}, 20, "post", "tok"], {}, [], []]`, /^its method "x{39}… is unknown$/],
      [
        `[${deep}, 0, ${settings}, {}, [], []]`,
        /format \[a deeply nested list\], this one reads 1/,
      ],
      [`[1, 0, ${settings}, {${long}: 0.3}, [], []]`, /^its threshold names "x{39}…, /],
    ] as const) {
      const value = `j${Buffer.from(json).toString('base64url')}`;
      const error = (await decodeState(value).catch((e: Error) => e)) as Error;
      expect(error).toBeInstanceOf(ShareLinkError);
      expect(error.message).toMatch(message);
    }
  });

  it('refuse an empty Hub revision and read "main" as the default (found by fuzzing)', async () => {
    const settings = ['amig', 20, 'post', 'tok'];
    await expect(decodeState(packed([1, ['h', 'a/b', ''], settings, {}, [], []]))).rejects.toThrow(
      new ShareLinkError('its model revision is empty'),
    );
    const main = await decodeState(packed([1, ['h', 'a/b', 'main'], settings, {}, [], []]));
    expect(main.model).toEqual({ kind: 'hub', id: 'a/b' });
    expect(await decodeState(await encodeState(main))).toEqual(main);
  });

  it('find the state in a fragment among other parameters', () => {
    expect(stateParam('#s=zabc')).toBe('zabc');
    expect(stateParam('#x=1&s=zabc')).toBe('zabc');
    expect(stateParam('')).toBeUndefined();
  });
});
