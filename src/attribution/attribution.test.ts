import { describe, expect, it } from 'vitest';
import { probabilities, referenceForward } from '../../tests/reference';
import {
  type ReferenceAttributionOptions,
  referenceAttribution as sharedReferenceAttribution,
} from '../../tests/reference/attribution';
import type { TinyModelType, randomModel } from '../../tests/reference/random-model';
import { tinyModel as sharedTinyModel } from '../../tests/reference/tiny-model';
import type { TapStage } from '../../tests/reference';
import type { ModelConfig } from '../weights/types';
import { attribute, defaultMaxRows, estimateCounts } from './attribute';
import type { AttributionMethod } from './settings';
import { predict } from './predict';
import { encodePrompt } from './prompt';

const fixtures: Record<TinyModelType, { prompt: string; object: string }> = {
  bert: { prompt: 'The capital of France is [MASK] .', object: 'Paris' },
  roberta: { prompt: 'the capital is [MASK].', object: 'Paris' },
  'xlm-roberta': { prompt: 'Paris is the capital [MASK]', object: '.' },
  gpt2: { prompt: 'The capital of France is [MASK] .', object: 'Paris' },
};

function tinyModel(type: TinyModelType, overrides: Partial<ModelConfig> = {}) {
  return sharedTinyModel(type, { overrides });
}

/** The reference attribution of a BERT- or GPT-2-family tiny model. */
function referenceAttribution(
  config: ModelConfig,
  weights: ReturnType<typeof randomModel>,
  ids: number[],
  position: number,
  token: number,
  baselineToken: number,
  opts: ReferenceAttributionOptions,
): Float64Array {
  return sharedReferenceAttribution(
    (tokens, options) => referenceForward(config, weights, tokens, options),
    config,
    ids,
    position,
    token,
    baselineToken,
    opts,
  );
}

function expectClose(actual: Float32Array, expected: Float64Array, rel = 2e-3) {
  const scale = Math.max(...Array.from(expected, Math.abs));
  expect(scale).toBeGreaterThan(1e-6); // a vanishing map would make the comparison empty
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst / scale).toBeLessThan(rel);
}

describe('engine logits agree with the independent reference forward', () => {
  for (const type of ['bert', 'roberta', 'gpt2'] as TinyModelType[]) {
    it(type, async () => {
      const { model, weights, config } = tinyModel(type);
      const { prompt, object } = fixtures[type];
      const enc = encodePrompt(config, model.tokenizer, prompt, object);
      const [pred] = await predict(model, enc, [[]], { topK: config.vocabSize });
      const ref = referenceForward(config, weights, enc.ids).logits;
      for (const slot of pred.slots) {
        const p = probabilities(ref, config.vocabSize, slot.position);
        for (const t of slot.top) expect(t.probability).toBeCloseTo(p[t.id], 5);
        expect(slot.top[0].id).toBe(p.indexOf(Math.max(...p)));
      }
    });
  }
});

describe('attribution matches finite differences of the reference model', () => {
  const cases: [TinyModelType, AttributionMethod, TapStage][] = [
    ['bert', 'amig', 'post'],
    ['bert', 'ig', 'post'],
    ['bert', 'grad-x-act', 'post'],
    ['roberta', 'amig', 'post'],
    ['gpt2', 'amig', 'post'],
    ['gpt2', 'amig', 'pre'],
    ['gpt2', 'grad-x-act', 'post'],
  ];
  for (const [type, method, stage] of cases) {
    it(`${type} ${method} (${stage}-activation tap)`, async () => {
      const { model, weights, config } = tinyModel(type);
      const { prompt, object } = fixtures[type];
      const steps = 4;
      const tapMode = stage === 'pre' ? 'pre-activation' : 'post-activation';
      const result = await attribute(model, prompt, object, { method, steps, tapMode });
      const enc = encodePrompt(config, model.tokenizer, prompt, object);
      expect(result.slots.length).toBe(1);
      const slot = enc.slots[0];
      const expected = referenceAttribution(
        config,
        weights,
        enc.ids,
        slot.position,
        slot.tokenId,
        enc.baselineToken,
        {
          method: method!,
          steps,
          stage,
          causal: config.family === 'gpt2',
        },
      );
      expectClose(result.scores, expected);
      const p = probabilities(
        referenceForward(config, weights, enc.ids).logits,
        config.vocabSize,
        slot.position,
      );
      expect(result.probability).toBeCloseTo(p[slot.tokenId], 5);
    });
  }
});

describe('schedules', () => {
  it('staggered, chunked and per-layer schedules give the same scores; counts follow the formulas', async () => {
    const { model } = tinyModel('bert', { numLayers: 3 });
    const { prompt, object } = fixtures.bert;
    const steps = 5;
    const staggered = await attribute(model, prompt, object, { steps });
    const chunked = await attribute(model, prompt, object, { steps }, { maxRows: 1 + 3 * 2 });
    const perLayer = await attribute(model, prompt, object, { steps }, { schedule: 'per-layer' });
    for (const other of [chunked, perLayer]) {
      let worst = 0;
      const scale = Math.max(...Array.from(staggered.scores, Math.abs));
      other.scores.forEach((s, i) => (worst = Math.max(worst, Math.abs(s - staggered.scores[i]))));
      expect(worst / scale).toBeLessThan(1e-4);
    }
    const T = encodePrompt(model.config, model.tokenizer, prompt, object).ids.length;
    const L = 3;
    // Setup pass (prompt + T baseline rows), then L anchors + m rows spawned at each layer.
    expect(staggered.counts.forward).toBe((1 + T) * L + L + (steps * L * (L + 1)) / 2);
    expect(staggered.counts.backward).toBe(L + (steps * L * (L + 1)) / 2);
    const shape = model.config;
    expect(staggered.counts).toEqual(estimateCounts(shape, T, 1, { steps }));
    expect(chunked.counts).toEqual(estimateCounts(shape, T, 1, { steps }, { maxRows: 7 }));
    expect(perLayer.counts).toEqual(
      estimateCounts(shape, T, 1, { steps }, { schedule: 'per-layer' }),
    );
    expect(staggered.counts.forward).toBeLessThan(perLayer.counts.forward);
  });

  it('12 layers: the staggered schedule needs at most 0.56x the per-layer forward evaluations', () => {
    // mBERT-base: the default memory budget splits the path into several passes.
    const mbert = { numLayers: 12, hiddenSize: 768, intermediateSize: 3072, vocabSize: 119547 };
    expect(defaultMaxRows(mbert, 12, 20)).toBeLessThan(1 + 12 * 20);
    const staggered = estimateCounts(mbert, 12, 1, { steps: 20 });
    const perLayer = estimateCounts(mbert, 12, 1, { steps: 20 }, { schedule: 'per-layer' });
    expect(staggered.forward / perLayer.forward).toBeLessThanOrEqual(0.56);
  });
});

describe('multi-token objects', () => {
  it('masked LM: one mask per token, maps averaged, P(object) the product', async () => {
    const { model, weights, config } = tinyModel('bert');
    const prompt = '法国的首都是[MASK]';
    const result = await attribute(model, prompt, '巴黎', { steps: 3 });
    expect(result.slots.map((s) => s.token)).toEqual(['巴', '黎']);
    const enc = encodePrompt(config, model.tokenizer, prompt, '巴黎');
    expect(enc.slots[1].position).toBe(enc.slots[0].position + 1);
    const expected = new Float64Array(config.numLayers * config.intermediateSize);
    for (const slot of enc.slots) {
      const one = referenceAttribution(
        config,
        weights,
        enc.ids,
        slot.position,
        slot.tokenId,
        enc.baselineToken,
        {
          method: 'amig',
          steps: 3,
          stage: 'post',
          causal: false,
        },
      );
      one.forEach((v, i) => (expected[i] += v / enc.slots.length));
    }
    expectClose(result.scores, expected);
    expect(result.probability).toBeCloseTo(
      result.slots[0].probability * result.slots[1].probability,
      8,
    );
  });

  it('causal LM: teacher forcing predicts each token at the position before it', () => {
    const { model, config } = tinyModel('gpt2');
    const enc = encodePrompt(config, model.tokenizer, 'The capital is [MASK] .', 'Paris');
    const prompt = model.tokenizer.encode('The capital is', { addSpecialTokens: false }).ids;
    const object = model.tokenizer.encode(' Paris', { addSpecialTokens: false }).ids;
    expect(enc.ids).toEqual([...prompt, ...object.slice(0, -1)]);
    expect(enc.slots.map((s) => s.tokenId)).toEqual(object);
    expect(enc.slots.map((s) => s.position)).toEqual(object.map((_, j) => prompt.length - 1 + j));
  });

  it('reference mode scores every token at the single slot and sums', async () => {
    const { model, config } = tinyModel('bert');
    const enc = encodePrompt(config, model.tokenizer, '法国的首都是[MASK]', '巴黎', 'reference');
    // The authors' code encodes the answer with special tokens: [CLS] 巴 黎 [SEP].
    expect(enc.slots.map((s) => s.token)).toEqual(['[CLS]', '巴', '黎', '[SEP]']);
    expect(new Set(enc.slots.map((s) => s.position)).size).toBe(1);
    const summed = await attribute(model, '法国的首都是[MASK]', '巴黎', {
      steps: 2,
      multiToken: 'reference',
    });
    const perToken = await Promise.all(
      enc.slots.map(async (s) => {
        const one = await attribute(model, '法国的首都是[MASK]', s.token, {
          steps: 2,
          multiToken: 'per-token',
        });
        return one.scores;
      }),
    );
    // Each single-token run attributes the same slot, so the reference map is their sum.
    const sum = new Float64Array(summed.scores.length);
    for (const s of perToken) s.forEach((v, i) => (sum[i] += v));
    expectClose(summed.scores, sum, 1e-4);
  });
});

describe('prompts', () => {
  it('explains prompts and objects the model cannot use', () => {
    const { model, config } = tinyModel('bert');
    expect(() =>
      encodePrompt(config, model.tokenizer, 'The capital of France is', 'Paris'),
    ).toThrow(/no \[MASK\].*Write \[MASK\] where the object goes/);
    expect(() => encodePrompt(config, model.tokenizer, '[MASK] is [MASK]', 'Paris')).toThrow(
      /exactly one/,
    );
    expect(() => encodePrompt(config, model.tokenizer, 'The capital is [MASK]', 'Лондон')).toThrow(
      /vocabulary does not have/,
    );
    expect(() => encodePrompt(config, model.tokenizer, 'The capital is [MASK]', ' ')).toThrow(
      /empty/,
    );
    const gpt = tinyModel('gpt2');
    expect(() =>
      encodePrompt(gpt.config, gpt.model.tokenizer, '[MASK] is a city', 'Paris'),
    ).toThrow(/needs text before/);
  });

  it('cancels between blocks', async () => {
    const { model } = tinyModel('bert');
    const controller = new AbortController();
    controller.abort(new Error('stopped by the user'));
    await expect(
      attribute(model, fixtures.bert.prompt, 'Paris', {}, { signal: controller.signal }),
    ).rejects.toThrow('stopped by the user');
  });
});
