import { describe, expect, it } from 'vitest';
import { referenceAttribution } from './attribution';
import { llamaForward, probabilities, tapEdit } from './index';
import { randomLlamaModel, tinyLlamaConfig } from './random-model';

describe('reference attribution', () => {
  // Integrated gradients from a zero baseline satisfy completeness: the scores of a layer add up
  // to P(tap = a) - P(tap = 0), up to the Riemann sum's error. A wrong gradient, stage or path
  // breaks the sum.
  for (const stage of ['post', 'gate'] as const) {
    it(`LLaMA family, ${stage} tap: IG scores of a layer sum to the change in probability`, () => {
      const config = tinyLlamaConfig('qwen2', { intermediate_size: 8 });
      const weights = randomLlamaModel(config, 3, { std: 0.6 });
      const forward = (ids: number[], options = {}) => llamaForward(config, weights, ids, options);
      const ids = [3, 1, 4, 1, 5];
      const position = 4;
      const logits = forward(ids).logits;
      const probs = probabilities(logits, 23, position);
      const token = probs.indexOf(Math.max(...probs));
      const dims = { numLayers: 2, intermediateSize: 8, vocabSize: 23 };
      const scores = referenceAttribution(forward, dims, ids, position, token, 0, {
        method: 'ig',
        steps: 40,
        stage,
        causal: true,
      });
      for (let l = 0; l < 2; l++) {
        const zeroed = forward(ids, { edit: tapEdit(l, position, 0, 0), tapStage: stage }).logits;
        const change = probs[token] - probabilities(zeroed, 23, position)[token];
        expect(Math.abs(change)).toBeGreaterThan(1e-3);
        const sum = scores.subarray(l * 8, (l + 1) * 8).reduce((a, b) => a + b, 0);
        expect(Math.abs(sum - change) / Math.abs(change)).toBeLessThan(0.05);
      }
    });
  }
});
