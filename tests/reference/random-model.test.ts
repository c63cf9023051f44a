import { describe, expect, it } from 'vitest';
import { probabilities, referenceForward } from './index';
import {
  TINY_LLAMA_VARIANTS,
  randomLlamaModel,
  randomModel,
  randomValues,
  tensorSpecs,
  tinyConfig,
  tinyLlamaConfig,
} from './random-model';

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

  it('streams the same values in chunks of any size', () => {
    const cfg = tinyConfig('gpt2');
    const whole = randomModel(cfg, 21, { std: 0.3 });
    for (const spec of tensorSpecs(cfg)) {
      const next = randomValues(21, spec, 0.3);
      const expected = whole.get(spec.name)!.data;
      const got = new Float32Array(expected.length);
      for (let at = 0, size = 1; at < got.length; at += size, size = size * 2 + 1) {
        const chunk = new Float32Array(Math.min(size, got.length - at));
        next(chunk);
        got.set(chunk, at);
      }
      expect(got).toEqual(expected);
    }
  });
});

describe('randomLlamaModel', () => {
  const names = (variant: (typeof TINY_LLAMA_VARIANTS)[number]) =>
    [...randomLlamaModel(tinyLlamaConfig(variant, { num_hidden_layers: 1 }), 1).keys()].sort();
  const layer = (parts: string[]) => parts.map((p) => `model.layers.0.${p}`);
  const plain = [
    'input_layernorm.weight',
    'self_attn.q_proj.weight',
    'self_attn.k_proj.weight',
    'self_attn.v_proj.weight',
    'self_attn.o_proj.weight',
    'post_attention_layernorm.weight',
    'mlp.gate_proj.weight',
    'mlp.up_proj.weight',
    'mlp.down_proj.weight',
  ];

  it('writes the HF names of each model type', () => {
    const body = ['model.embed_tokens.weight', 'model.norm.weight', ...layer(plain)];
    expect(names('llama')).toEqual([...body, 'lm_head.weight'].sort());
    expect(names('mistral')).toEqual([...body, 'lm_head.weight'].sort());
    expect(names('qwen2')).toEqual(
      [...body, ...layer(['q', 'k', 'v'].map((p) => `self_attn.${p}_proj.bias`))].sort(),
    );
    expect(names('qwen3')).toEqual(
      [...body, ...layer(['self_attn.q_norm.weight', 'self_attn.k_norm.weight'])].sort(),
    );
  });

  it('gives GQA, explicit head_dim and the tied head their shapes', () => {
    const gqa = randomLlamaModel(tinyLlamaConfig('llama'), 1);
    expect(gqa.get('model.layers.1.self_attn.q_proj.weight')!.dims).toEqual([16, 16]);
    expect(gqa.get('model.layers.1.self_attn.k_proj.weight')!.dims).toEqual([8, 16]);
    expect(gqa.get('model.layers.1.mlp.down_proj.weight')!.dims).toEqual([16, 24]);
    expect(gqa.get('lm_head.weight')!.dims).toEqual([23, 16]);
    const qwen3 = randomLlamaModel(tinyLlamaConfig('qwen3'), 1);
    expect(qwen3.get('model.layers.0.self_attn.q_proj.weight')!.dims).toEqual([32, 16]);
    expect(qwen3.get('model.layers.0.self_attn.v_proj.weight')!.dims).toEqual([16, 16]);
    expect(qwen3.get('model.layers.0.self_attn.o_proj.weight')!.dims).toEqual([16, 32]);
    expect(qwen3.get('model.layers.0.self_attn.k_norm.weight')!.dims).toEqual([8]);
    expect(qwen3.has('lm_head.weight')).toBe(false);
  });

  it('is deterministic in the seed, norms around 1', () => {
    const cfg = tinyLlamaConfig('qwen2');
    const a = randomLlamaModel(cfg, 3, { std: 0.1 });
    const b = randomLlamaModel(cfg, 3, { std: 0.1 });
    for (const [name, t] of a) expect(b.get(name)!.data).toEqual(t.data);
    const c = randomLlamaModel(cfg, 4, { std: 0.1 });
    expect(c.get('model.embed_tokens.weight')!.data).not.toEqual(
      a.get('model.embed_tokens.weight')!.data,
    );
    const norm = a.get('model.layers.0.input_layernorm.weight')!.data;
    expect(Math.abs(norm.reduce((x, y) => x + y, 0) / norm.length - 1)).toBeLessThan(0.1);
  });
});
