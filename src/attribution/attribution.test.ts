import { describe, expect, it } from 'vitest';
import { probabilities, referenceForward } from '../../tests/reference';
import {
  type ReferenceAttributionOptions,
  referenceAttribution as sharedReferenceAttribution,
} from '../../tests/reference/attribution';
import type { TinyModelType, randomModel } from '../../tests/reference/random-model';
import { tinyModel as sharedTinyModel, tinyLlamaModel } from '../../tests/reference/tiny-model';
import type { TapStage } from '../../tests/reference';
import type { ModelConfig } from '../weights/types';
import {
  type PromptInput,
  attribute,
  attributeMany,
  defaultMaxRows,
  estimateCounts,
  layoutOf,
} from './attribute';
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
    ['gpt2', 'ig', 'post'],
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

function worstRelative(actual: Float32Array, expected: Float32Array): number {
  const scale = Math.max(...Array.from(expected, Math.abs));
  let worst = 0;
  actual.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected[i]))));
  return worst / scale;
}

describe('schedules', () => {
  const cases: [TinyModelType, string, string, number][] = [
    ['bert', fixtures.bert.prompt, 'Paris', 1],
    ['gpt2', fixtures.gpt2.prompt, 'Paris', 1],
    // Teacher-forced: several object tokens, each attributed at the position that predicts it.
    ['gpt2', 'The capital of France is [MASK]', ' Parisian', 4],
  ];
  for (const [type, prompt, object, slots] of cases) {
    it(`${type}, ${JSON.stringify(object)}: staggered, chunked and per-layer give the same scores; counts are the plan's`, async () => {
      const { model } = tinyModel(type, { numLayers: 3 });
      const steps = 5;
      const enc = encodePrompt(model.config, model.tokenizer, prompt, object);
      const layout = layoutOf(enc);
      expect(layout.slots.length).toBe(slots);
      const staggered = await attribute(model, prompt, object, { steps });
      const chunked = await attribute(model, prompt, object, { steps }, { maxRows: 3 * 2 });
      const perLayer = await attribute(model, prompt, object, { steps }, { schedule: 'per-layer' });
      for (const other of [chunked, perLayer])
        expect(worstRelative(other.scores, staggered.scores)).toBeLessThan(1e-4);
      expect(staggered.probability).toBeCloseTo(perLayer.probability, 6);
      const causal = model.arch.causal;
      const shape = model.config;
      expect(staggered.counts).toEqual(estimateCounts(shape, causal, layout, { steps }));
      expect(chunked.counts).toEqual(
        estimateCounts(shape, causal, layout, { steps }, { maxRows: 6 }),
      );
      expect(perLayer.counts).toEqual(
        estimateCounts(shape, causal, layout, { steps }, { schedule: 'per-layer' }),
      );
      expect(staggered.counts.forwardTokens).toBeLessThan(perLayer.counts.forwardTokens);
      expect(staggered.counts.backwardTokens).toBeLessThan(perLayer.counts.backwardTokens);
    });
  }

  it('LLaMA family (GQA, rotary, both taps): staggered, chunked and per-layer give the same scores', async () => {
    // qwen3: 4 query heads over 2 key/value heads, q/k norm; the object is several tokens, so
    // path rows of different slots sit at different rotary positions in one pass.
    const { model } = tinyLlamaModel('qwen3', { overrides: { num_hidden_layers: 3 } });
    const prompt = 'The capital of France is [MASK]';
    const object = ' Parisian';
    const enc = encodePrompt(model.config, model.tokenizer, prompt, object);
    expect(enc.slots.length).toBeGreaterThan(1);
    for (const tapMode of ['post-activation', 'gate'] as const) {
      const settings = { steps: 3, tapMode };
      const staggered = await attribute(model, prompt, object, settings);
      const chunked = await attribute(model, prompt, object, settings, { maxRows: 3 });
      const perLayer = await attribute(model, prompt, object, settings, { schedule: 'per-layer' });
      for (const other of [chunked, perLayer])
        expect(worstRelative(other.scores, staggered.scores)).toBeLessThan(1e-4);
      expect(staggered.counts).toEqual(estimateCounts(model.config, true, layoutOf(enc), settings));
      expect(staggered.counts.backwardTokens).toBe(staggered.counts.backward);
    }
  });

  it('prompts run together score as each alone, and count the same work', async () => {
    const cases = {
      gpt2: [
        { prompt: 'The capital of France is [MASK]', object: ' Parisian' },
        { prompt: 'Paris is the capital of [MASK]', object: 'France' },
      ],
      bert: [
        { prompt: fixtures.bert.prompt, object: 'Paris' },
        { prompt: '法国的首都是[MASK]', object: '巴黎' },
      ],
    };
    for (const [type, inputs] of Object.entries(cases) as [TinyModelType, PromptInput[]][]) {
      const { model } = tinyModel(type, { numLayers: 2 });
      const together = await attributeMany(model, inputs, { steps: 3 }, { maxRows: 2 * 5 });
      for (const [i, { prompt, object }] of inputs.entries()) {
        const alone = await attribute(model, prompt, object, { steps: 3 });
        expect(worstRelative(together[i].scores, alone.scores)).toBeLessThan(1e-4);
        expect(together[i].probability).toBeCloseTo(alone.probability, 6);
        expect(together[i].counts).toEqual(alone.counts);
      }
    }
  });

  it('a causal path row carries one position through each block after its spawn', async () => {
    const { model } = tinyModel('gpt2', { numLayers: 3 });
    const steps = 4;
    const L = 3;
    const { prompt, object } = fixtures.gpt2;
    const enc = encodePrompt(model.config, model.tokenizer, prompt, object);
    const T = enc.ids.length;
    const r = await attribute(model, prompt, object, { steps });
    // Path: m rows spawn in each block l and ride through blocks l..L-1, one position each.
    const path = (steps * L * (L + 1)) / 2;
    // Setup: the clean prompt (T positions) and the variant replacing token j (T - j positions).
    const setup = L * (T + (T * (T + 1)) / 2);
    expect(r.counts.forwardTokens).toBe(setup + path);
    expect(r.counts.backwardTokens).toBe(path);
    expect(r.counts.forward).toBe(L * (1 + T) + path);
    expect(r.counts.backward).toBe(path);
  });

  it("a masked LM's path row leaves the last block as its target position only", async () => {
    const { model } = tinyModel('bert', { numLayers: 3 });
    const steps = 4;
    const L = 3;
    const { prompt, object } = fixtures.bert;
    const enc = encodePrompt(model.config, model.tokenizer, prompt, object);
    const T = enc.ids.length;
    const r = await attribute(model, prompt, object, { steps });
    // Path: m rows spawn in each block l (one position) and carry all T positions through
    // blocks l + 1 .. L - 2, then one position through the last block.
    const rows = (steps * L * (L + 1)) / 2;
    const tokens = steps * (L + (L - 1) + (T * (L - 1) * (L - 2)) / 2);
    // Setup: the clean prompt and its T baseline variants, all positions, every block.
    const setup = L * (1 + T) * T;
    expect(r.counts.forwardTokens).toBe(setup + tokens);
    expect(r.counts.backwardTokens).toBe(tokens);
    expect(r.counts.forward).toBe(L * (1 + T) + rows);
    expect(r.counts.backward).toBe(rows);
  });

  it('GPT-2-small shape, 14 tokens: at least 8x fewer token-block evaluations than the full-row staggered schedule', () => {
    const gpt2Small = {
      numLayers: 12,
      hiddenSize: 768,
      intermediateSize: 3072,
      vocabSize: 50257,
      numHeads: 12,
    };
    const T = 14;
    const L = 12;
    const m = 20;
    const causal = estimateCounts(gpt2Small, true, { tokens: T, slots: [T - 1] }, { steps: m });
    // The staggered schedule with full rows (every row carries all T positions through every
    // block), in one pass, its fewest: the setup's 1 + T rows, the anchor row, and m rows
    // spawned in each block, forward; the anchor and the path rows backward.
    const fullRows =
      T * ((1 + T) * L + L + (m * L * (L + 1)) / 2) + T * (L + (m * L * (L + 1)) / 2);
    const tokens = causal.forwardTokens + causal.backwardTokens;
    expect(fullRows / tokens).toBeGreaterThanOrEqual(8);
    const perLayer = estimateCounts(
      gpt2Small,
      true,
      { tokens: T, slots: [T - 1] },
      { steps: m },
      { schedule: 'per-layer' },
    );
    expect((perLayer.forwardTokens + perLayer.backwardTokens) / tokens).toBeGreaterThanOrEqual(10);
  });

  it('12 layers: the staggered schedule needs at most 0.56x the per-layer forward evaluations', () => {
    // mBERT-base: the default memory budget splits the path into several passes.
    const mbert = {
      numLayers: 12,
      hiddenSize: 768,
      intermediateSize: 3072,
      vocabSize: 119547,
      numHeads: 12,
    };
    expect(defaultMaxRows(mbert, 12, 20)).toBeLessThan(12 * 20);
    const prompt = { tokens: 12, slots: [6] };
    const staggered = estimateCounts(mbert, false, prompt, { steps: 20 });
    const perLayer = estimateCounts(mbert, false, prompt, { steps: 20 }, { schedule: 'per-layer' });
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

  it('causal LM: each token attributed at the position that predicts it, maps averaged', async () => {
    const { model, weights, config } = tinyModel('gpt2');
    const prompt = 'The capital of France is [MASK]';
    const result = await attribute(model, prompt, ' Parisian', { steps: 3 });
    const enc = encodePrompt(config, model.tokenizer, prompt, ' Parisian');
    expect(enc.slots.length).toBeGreaterThan(1);
    const expected = new Float64Array(config.numLayers * config.intermediateSize);
    for (const slot of enc.slots) {
      const one = referenceAttribution(
        config,
        weights,
        enc.ids,
        slot.position,
        slot.tokenId,
        enc.baselineToken,
        { method: 'amig', steps: 3, stage: 'post', causal: true },
      );
      one.forEach((v, i) => (expected[i] += v / enc.slots.length));
    }
    expectClose(result.scores, expected);
    const logits = referenceForward(config, weights, enc.ids).logits;
    const p = enc.slots.reduce(
      (x, s) => x * probabilities(logits, config.vocabSize, s.position)[s.tokenId],
      1,
    );
    expect(result.probability).toBeCloseTo(p, 8);
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
