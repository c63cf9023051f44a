import { describe, expect, it } from 'vitest';
import { probabilities, referenceForward } from './index';
import { randomModel, tinyConfig } from './random-model';

describe('randomModel', () => {
  it('is deterministic in the seed', () => {
    const cfg = tinyConfig('bert');
    const a = randomModel(cfg, 11);
    const b = randomModel(cfg, 11);
    const c = randomModel(cfg, 12);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, t] of a) expect(b.get(name)!.data).toEqual(t.data);
    expect(c.get('bert.embeddings.word_embeddings.weight')!.data).not.toEqual(
      a.get('bert.embeddings.word_embeddings.weight')!.data,
    );
  });

  it('writes the HF names and shapes of each model class', () => {
    const bert = randomModel(tinyConfig('bert', { numLayers: 1 }), 1);
    expect([...bert.keys()].sort()).toEqual(
      [
        'bert.embeddings.word_embeddings.weight',
        'bert.embeddings.position_embeddings.weight',
        'bert.embeddings.token_type_embeddings.weight',
        'bert.embeddings.LayerNorm.weight',
        'bert.embeddings.LayerNorm.bias',
        ...[
          'attention.self.query',
          'attention.self.key',
          'attention.self.value',
          'attention.output.dense',
          'intermediate.dense',
          'output.dense',
        ].flatMap((n) => [`bert.encoder.layer.0.${n}.weight`, `bert.encoder.layer.0.${n}.bias`]),
        ...['attention.output.LayerNorm', 'output.LayerNorm'].flatMap((n) => [
          `bert.encoder.layer.0.${n}.weight`,
          `bert.encoder.layer.0.${n}.bias`,
        ]),
        'cls.predictions.transform.dense.weight',
        'cls.predictions.transform.dense.bias',
        'cls.predictions.transform.LayerNorm.weight',
        'cls.predictions.transform.LayerNorm.bias',
        'cls.predictions.bias',
      ].sort(),
    );
    expect(bert.get('bert.encoder.layer.0.intermediate.dense.weight')!.dims).toEqual([12, 8]);

    const xlmr = randomModel(tinyConfig('xlm-roberta', { tieWordEmbeddings: false }), 1);
    expect(xlmr.get('roberta.embeddings.token_type_embeddings.weight')!.dims).toEqual([1, 8]);
    expect(xlmr.has('lm_head.layer_norm.weight')).toBe(true);
    expect(xlmr.get('lm_head.decoder.weight')!.dims).toEqual([23, 8]);

    const gpt2 = randomModel(tinyConfig('gpt2', { tieWordEmbeddings: false }), 1);
    expect(gpt2.get('transformer.h.1.attn.c_attn.weight')!.dims).toEqual([8, 24]);
    expect(gpt2.get('transformer.h.1.mlp.c_fc.weight')!.dims).toEqual([8, 12]);
    expect(gpt2.get('transformer.h.1.mlp.c_proj.weight')!.dims).toEqual([12, 8]);
    expect(gpt2.get('lm_head.weight')!.dims).toEqual([23, 8]);
  });

  it('draws N(0, std) weights and 1 + N(0, std) LayerNorm weights', () => {
    const cfg = tinyConfig('gpt2', { vocabSize: 1000, hiddenSize: 64 });
    const w = randomModel(cfg, 5, { std: 0.3 });
    const stats = (data: Float32Array) => {
      const mean = data.reduce((a, b) => a + b, 0) / data.length;
      const sd = Math.sqrt(data.reduce((a, b) => a + (b - mean) ** 2, 0) / data.length);
      return { mean, sd };
    };
    const wte = stats(w.get('transformer.wte.weight')!.data);
    expect(Math.abs(wte.mean)).toBeLessThan(0.01);
    expect(wte.sd).toBeCloseTo(0.3, 2);
    const ln = stats(w.get('transformer.h.0.ln_1.weight')!.data);
    expect(Math.abs(ln.mean - 1)).toBeLessThan(0.15);
  });

  it('gives tiny models confident, finite predictions at a larger scale', () => {
    for (const type of ['bert', 'roberta', 'gpt2'] as const) {
      const cfg = tinyConfig(type);
      const r = referenceForward(cfg, randomModel(cfg, 9, { std: 1 }), [1, 2, 3]);
      expect(r.logits.every(Number.isFinite)).toBe(true);
      expect(Math.max(...probabilities(r.logits, cfg.vocabSize, 2))).toBeGreaterThan(
        3 / cfg.vocabSize,
      );
    }
  });
});
