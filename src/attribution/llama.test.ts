/**
 * The LLaMA family through the engine against the independent float64 reference
 * (tests/reference/llama.ts), for every tiny variant (GQA, explicit head_dim, Qwen2 biases,
 * Qwen3 q/k norm, tied and untied heads, rope llama3 and linear, the rope_parameters layout)
 * and both taps: logits, and attribution maps by finite differences along the same path.
 */
import { describe, expect, it } from 'vitest';
import { llamaForward, probabilities, type TapStage } from '../../tests/reference';
import { referenceAttribution } from '../../tests/reference/attribution';
import { TINY_LLAMA_VARIANTS, type TinyLlamaVariant } from '../../tests/reference/random-model';
import { tinyLlamaModel } from '../../tests/reference/tiny-model';
import type { TapMode } from '../model';
import { attribute } from './attribute';
import { predict } from './predict';
import { encodePrompt } from './prompt';
import type { AttributionMethod } from './settings';

const PROMPT = 'The capital of France is [MASK] .';
const OBJECT = 'Paris';

/** Pearson correlation and the largest difference relative to the largest |reference| score. */
function agreement(actual: Float32Array, expected: Float64Array) {
  const n = expected.length;
  const mean = (x: ArrayLike<number>) => Array.from(x).reduce((a, v) => a + v, 0) / n;
  const ma = mean(actual);
  const me = mean(expected);
  let cov = 0;
  let va = 0;
  let ve = 0;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    cov += (actual[i] - ma) * (expected[i] - me);
    va += (actual[i] - ma) ** 2;
    ve += (expected[i] - me) ** 2;
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  const scale = Math.max(...Array.from(expected, Math.abs));
  return { correlation: cov / Math.sqrt(va * ve), maxRelError: worst / scale, scale };
}

describe('LLaMA family: engine logits agree with the independent reference forward', () => {
  for (const variant of TINY_LLAMA_VARIANTS) {
    it(variant, async () => {
      const { model, weights, config, configJson } = tinyLlamaModel(variant);
      const enc = encodePrompt(config, model.tokenizer, PROMPT, OBJECT);
      const [pred] = await predict(model, enc, [[]], { topK: config.vocabSize });
      const ref = llamaForward(configJson, weights, enc.ids).logits;
      for (const slot of pred.slots) {
        const p = probabilities(ref, config.vocabSize, slot.position);
        for (const t of slot.top) expect(t.probability).toBeCloseTo(p[t.id], 5);
        expect(slot.top[0].id).toBe(p.indexOf(Math.max(...p)));
      }
    });
  }
});

describe('LLaMA family: attribution maps agree with the reference', () => {
  const cases: [TinyLlamaVariant, AttributionMethod, TapStage][] = [
    ...TINY_LLAMA_VARIANTS.map((v): [TinyLlamaVariant, AttributionMethod, TapStage] => [
      v,
      'amig',
      'post',
    ]),
    ...TINY_LLAMA_VARIANTS.map((v): [TinyLlamaVariant, AttributionMethod, TapStage] => [
      v,
      'amig',
      'gate',
    ]),
    ['llama', 'ig', 'post'],
    ['qwen3', 'grad-x-act', 'gate'],
  ];
  for (const [variant, method, stage] of cases) {
    it(`${variant} ${method} (${stage} tap)`, async () => {
      const { model, weights, config, configJson } = tinyLlamaModel(variant);
      const steps = 3;
      const tapMode: TapMode = stage === 'gate' ? 'gate' : 'post-activation';
      const result = await attribute(model, PROMPT, OBJECT, { method, steps, tapMode });
      const enc = encodePrompt(config, model.tokenizer, PROMPT, OBJECT);
      // The last object token, at its teacher-forced slot, as the engine attributes it.
      expect(result.slots.length).toBe(enc.slots.length);
      const expected = new Float64Array(config.numLayers * config.intermediateSize);
      for (const slot of enc.slots) {
        const one = referenceAttribution(
          (ids, options) => llamaForward(configJson, weights, ids, options),
          config,
          enc.ids,
          slot.position,
          slot.tokenId,
          enc.baselineToken,
          { method, steps, stage, causal: true },
        );
        one.forEach((v, i) => (expected[i] += v / enc.slots.length));
      }
      const { correlation, maxRelError, scale } = agreement(result.scores, expected);
      expect(scale).toBeGreaterThan(1e-6);
      expect(correlation).toBeGreaterThan(0.999);
      expect(maxRelError).toBeLessThan(1e-3);
      console.log(
        `${variant} ${method} ${stage}: correlation ${correlation.toFixed(6)}, max relative error ${maxRelError.toExponential(2)}`,
      );
    });
  }
});
