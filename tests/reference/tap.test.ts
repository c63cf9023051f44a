import { describe, expect, it } from 'vitest';
import { activationFn } from './activations';
import { probabilities, referenceForward, tapEdit } from './index';
import { randomModel, tinyConfig } from './random-model';

const types = ['bert', 'xlm-roberta', 'gpt2'] as const;
const stages = ['pre', 'post'] as const;

/** The FFN output projection of layer l, by model type (HF names, default prefixes). */
const ffnOut = (type: (typeof types)[number], l: number) =>
  ({
    bert: `bert.encoder.layer.${l}.output.dense.weight`,
    'xlm-roberta': `roberta.encoder.layer.${l}.output.dense.weight`,
    gpt2: `transformer.h.${l}.mlp.c_proj.weight`,
  })[type];

describe('reference FFN tap', () => {
  it('changes nothing with mul = 1, add = 0, at either stage', () => {
    for (const type of types) {
      const cfg = tinyConfig(type);
      const w = randomModel(cfg, 1, { std: 0.5 });
      const ids = [2, 6, 3];
      const clean = referenceForward(cfg, w, ids).logits;
      for (const tapStage of stages) {
        for (let l = 0; l < cfg.numLayers; l++) {
          for (let p = 0; p < ids.length; p++) {
            expect(
              referenceForward(cfg, w, ids, { edit: tapEdit(l, p, 1, 0), tapStage }).logits,
            ).toEqual(clean);
          }
        }
      }
    }
  });

  it('records pre and post activations with post = act(pre)', () => {
    for (const type of types) {
      const cfg = tinyConfig(type, { activation: type === 'gpt2' ? 'gelu_new' : 'relu' });
      const r = referenceForward(cfg, randomModel(cfg, 2, { std: 0.5 }), [1, 2, 3, 4], {
        record: true,
      });
      const { pre, post } = r.activations!;
      expect(pre).toHaveLength(cfg.numLayers);
      expect(post).toHaveLength(cfg.numLayers);
      const act = activationFn(cfg.activation);
      for (let l = 0; l < cfg.numLayers; l++) {
        expect(pre[l]).toHaveLength(4 * cfg.intermediateSize);
        expect(post[l]).toEqual(pre[l].map(act));
      }
      expect(referenceForward(cfg, randomModel(cfg, 2), [1]).activations).toBeUndefined();
    }
  });

  it('zeroing every unit at one position equals zeroing the FFN output weights (T = 1)', () => {
    for (const type of types) {
      const cfg = tinyConfig(type);
      const w = randomModel(cfg, 3, { std: 0.5 });
      const name = ffnOut(type, 1);
      const zeroed = new Map(w).set(name, {
        dims: w.get(name)!.dims,
        data: new Float32Array(w.get(name)!.data.length),
      });
      const expected = referenceForward(cfg, zeroed, [5]).logits;
      // gelu(0) = gelu_new(0) = 0, so a zero pre-activation is a zero coefficient too.
      for (const tapStage of stages) {
        const edited = referenceForward(cfg, w, [5], {
          edit: tapEdit(1, 0, 0, 0),
          tapStage,
        }).logits;
        for (let i = 0; i < expected.length; i++) expect(edited[i]).toBeCloseTo(expected[i], 12);
      }
    }
  });

  it('applies act * mul + add at one (layer, position) only and records the edited value', () => {
    const cfg = tinyConfig('gpt2');
    const w = randomModel(cfg, 4, { std: 0.5 });
    const F = cfg.intermediateSize;
    const ids = [1, 2, 3, 4];
    const clean = referenceForward(cfg, w, ids, { record: true });
    const add = Array.from({ length: F }, (_, i) => i / F);
    const edited = referenceForward(cfg, w, ids, { edit: tapEdit(0, 2, 2, add), record: true });
    const cleanPost = clean.activations!.post[0];
    const editedPost = edited.activations!.post[0];
    for (let f = 0; f < F; f++)
      expect(editedPost[2 * F + f]).toBeCloseTo(2 * cleanPost[2 * F + f] + add[f], 14);
    expect(editedPost.subarray(0, 2 * F)).toEqual(cleanPost.subarray(0, 2 * F));
    // Causal: positions before the edit are untouched, the edited one and later ones move.
    const V = cfg.vocabSize;
    expect(edited.logits.subarray(0, 2 * V)).toEqual(clean.logits.subarray(0, 2 * V));
    expect(edited.logits.subarray(2 * V)).not.toEqual(clean.logits.subarray(2 * V));
  });

  it('edits the pre-activation before the activation function in pre mode', () => {
    const cfg = tinyConfig('gpt2');
    const w = randomModel(cfg, 5, { std: 0.5 });
    const F = cfg.intermediateSize;
    const r = referenceForward(cfg, w, [7, 8], {
      edit: tapEdit(1, 1, 0, 1.5),
      tapStage: 'pre',
      record: true,
    });
    const post = r.activations!.post[1];
    for (let f = 0; f < F; f++) expect(post[F + f]).toBe(activationFn('gelu_new')(1.5));
    const probs = probabilities(r.logits, cfg.vocabSize, 1);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('rejects an edit of the wrong length', () => {
    const cfg = tinyConfig('bert');
    expect(() =>
      referenceForward(cfg, randomModel(cfg, 6), [1, 2], { edit: () => new Float64Array(3) }),
    ).toThrow(/expected 12/);
  });
});
