import { fixtureTokenizer, tinyModel } from '../../tests/reference/tiny-model';
import { describe, expect, it } from 'vitest';
import { tokenText } from '../weights/token-text';
import type { HostTensor } from '../weights/types';
import { ValueProjector } from './projection';

const tokenizer = fixtureTokenizer('gpt2');

function setup(tied: boolean) {
  return tinyModel('gpt2', {
    seed: 11,
    std: 0.5,
    overrides: { tieWordEmbeddings: tied, intermediateSize: 16, maxPositions: 16 },
  });
}

/** v E^T in float64, straight from the checkpoint tensors (HF layout: c_proj is [F, H]). */
function directScores(
  weights: Map<string, HostTensor>,
  tied: boolean,
  layer: number,
  unit: number,
) {
  const proj = weights.get(`transformer.h.${layer}.mlp.c_proj.weight`)!;
  const emb = weights.get(tied ? 'transformer.wte.weight' : 'lm_head.weight')!;
  const [, H] = proj.dims;
  const [V] = emb.dims;
  const v = proj.data.subarray(unit * H, (unit + 1) * H);
  return Array.from({ length: V }, (_, t) => {
    let s = 0;
    for (let j = 0; j < H; j++) s += v[j] * emb.data[t * H + j];
    return s;
  });
}

function ranked(scores: number[], sign: 1 | -1): number[] {
  return scores.map((_, i) => i).sort((a, b) => sign * (scores[b] - scores[a]));
}

describe('value vector projection', () => {
  for (const tied of [true, false])
    it(`matches a direct computation (${tied ? 'tied' : 'separate'} output embedding)`, async () => {
      const { config, weights, model } = setup(tied);
      const projector = new ValueProjector(model);
      try {
        for (const [layer, unit] of [
          [0, 0],
          [1, 7],
          [config.numLayers - 1, config.intermediateSize - 1],
        ]) {
          const want = directScores(weights, tied, layer, unit);
          for (const direction of ['promoted', 'suppressed'] as const) {
            const got = await projector.tokens(layer, unit, 5, direction);
            const order = ranked(want, direction === 'promoted' ? 1 : -1).slice(0, 5);
            expect(got.map((t) => t.id)).toEqual(order);
            got.forEach((t) => {
              expect(t.score).toBeCloseTo(want[t.id], 4);
              expect(t.token).toBe(tokenizer.idToToken(t.id));
              expect(t.text).toBe(tokenText(tokenizer, t.id));
            });
          }
        }
      } finally {
        await projector.release();
        await model.release();
      }
    });

  it('caps k at the vocabulary and rejects neurons outside the model', async () => {
    const { config, model } = setup(true);
    const projector = new ValueProjector(model);
    try {
      const all = await projector.tokens(0, 0, config.vocabSize + 10);
      expect(all).toHaveLength(config.vocabSize);
      expect(new Set(all.map((t) => t.id)).size).toBe(config.vocabSize);
      for (let i = 1; i < all.length; i++)
        expect(all[i - 1].score).toBeGreaterThanOrEqual(all[i].score);
      await expect(projector.tokens(config.numLayers, 0, 3)).rejects.toThrow(/layer/);
      await expect(projector.tokens(0, config.intermediateSize, 3)).rejects.toThrow(/unit/);
      await expect(projector.tokens(0, 0, 0)).rejects.toThrow(/k must/);
    } finally {
      await projector.release();
      await model.release();
    }
  });
});
