import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ShareLinkError, decodeState, encodeState, shareUrl, stateParam } from './share';
import { DEFAULT_SETTINGS, type ExplorerState } from './state';

const state: ExplorerState = {
  model: { kind: 'hub', id: 'google-bert/bert-base-multilingual-cased', revision: 'v1.0' },
  settings: { method: 'grad-x-act', steps: 7, tapMode: 'pre-activation', multiToken: 'reference' },
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
        ...(model ? { model } : {}),
      };
      expect(await decodeState(await encodeState(s))).toEqual(s);
    }
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

  it('find the state in a fragment among other parameters', () => {
    expect(stateParam('#s=zabc')).toBe('zabc');
    expect(stateParam('#x=1&s=zabc')).toBe('zabc');
    expect(stateParam('')).toBeUndefined();
  });
});
