import { describe, expect, it } from 'vitest';
import type { HostTensor, ModelConfig } from '../../src/weights/types';
import { geluNew, referenceForward } from './index';
import { randomModel, tinyConfig } from './random-model';

const t = (dims: number[], values: number[]): HostTensor => ({
  dims,
  data: Float32Array.from(values),
});

/** With hidden size 2, LayerNorm (weight 1, bias 0, eps 1) maps (a, b) to (u, -u): u below. */
const ln2 = (a: number, b: number) => (a - b) / 2 / Math.sqrt(((a - b) / 2) ** 2 + 1);

describe('reference GPT-2', () => {
  // One layer, hidden 2, one head; c_attn gives distinct q, k, v; c_proj is the identity;
  // only FFN unit 0 writes (to dimension 0); eps 1. Names without prefix, as OpenAI's gpt2.
  const config: ModelConfig = {
    family: 'gpt2',
    modelType: 'gpt2',
    vocabSize: 3,
    hiddenSize: 2,
    numLayers: 1,
    numHeads: 1,
    intermediateSize: 2,
    maxPositions: 4,
    layerNormEps: 1,
    activation: 'gelu_new',
    typeVocabSize: 0,
    positionOffset: 0,
    tieWordEmbeddings: true,
  };
  const weights = new Map<string, HostTensor>([
    ['wte.weight', t([3, 2], [1, 0, 0, 1, 1, 1])],
    ['wpe.weight', t([4, 2], [0, 0, 0.5, 0, 0, 0.5, 0, 0])],
    ['h.0.ln_1.weight', t([2], [1, 1])],
    ['h.0.ln_1.bias', t([2], [0, 0])],
    // Conv1D weight [in, out]; output columns are q0 q1 k0 k1 v0 v1: q = 2x + (1, 0),
    // k = x, v = x + (0, 0.5).
    ['h.0.attn.c_attn.weight', t([2, 6], [2, 0, 1, 0, 1, 0, 0, 2, 0, 1, 0, 1])],
    ['h.0.attn.c_attn.bias', t([6], [1, 0, 0, 0, 0, 0.5])],
    ['h.0.attn.c_proj.weight', t([2, 2], [1, 0, 0, 1])],
    ['h.0.attn.c_proj.bias', t([2], [0, 0])],
    ['h.0.ln_2.weight', t([2], [1, 1])],
    ['h.0.ln_2.bias', t([2], [0, 0])],
    ['h.0.mlp.c_fc.weight', t([2, 2], [1, 0, 0, 1])],
    ['h.0.mlp.c_fc.bias', t([2], [0, 0])],
    ['h.0.mlp.c_proj.weight', t([2, 2], [1, 0, 0, 0])],
    ['h.0.mlp.c_proj.bias', t([2], [0, 0])],
    ['ln_f.weight', t([2], [1, 1])],
    ['ln_f.bias', t([2], [0, 0])],
  ]);

  it('computes a hand-worked one-layer example', () => {
    // Embeddings: token 0 at position 0 is (1, 0); token 1 at position 1 is (0.5, 1).
    const x = [
      [1, 0],
      [0.5, 1],
    ];
    const u = x.map(([a, b]) => ln2(a, b));
    // Causal attention on ln_1 = (u, -u): q = (2u + 1, -2u), k = (u, -u), v = (u, -u + 0.5).
    // Position 0 sees itself only; position 1 weighs scores (4 u_1 u_j + u_j) / sqrt(2).
    const s = [0, 1].map((j) => (4 * u[1] * u[j] + u[j]) / Math.SQRT2);
    const z = Math.exp(s[0]) + Math.exp(s[1]);
    const c = [u[0], (Math.exp(s[0]) * u[0] + Math.exp(s[1]) * u[1]) / z];
    const r = x.map(([a, b], i) => [a + c[i], b - c[i] + 0.5]);
    // MLP on ln_2(r) = (w, -w); unit 0 adds gelu_new(w) to dimension 0.
    const w = r.map(([a, b]) => ln2(a, b));
    const h1 = r.map(([a, b], i) => [a + geluNew(w[i]), b]);
    const f = h1.map(([a, b]) => ln2(a, b));

    const out = referenceForward(config, weights, [0, 1], { record: true });
    expectClose(out.hidden[0], x.flat());
    expectClose(out.hidden[1], h1.flat());
    expectClose(
      out.activations!.pre[0],
      w.flatMap((v) => [v, -v]),
    );
    expectClose(
      out.activations!.post[0],
      w.flatMap((v) => [geluNew(v), geluNew(-v)]),
    );
    expectClose(
      out.logits,
      f.flatMap((v) => [v, -v, 0]),
    );
  });

  it('is causal: a later token never changes earlier logits', () => {
    const cfg = tinyConfig('gpt2');
    const w = randomModel(cfg, 1, { std: 0.5 });
    const V = cfg.vocabSize;
    const a = referenceForward(cfg, w, [3, 9, 4, 1]).logits;
    const b = referenceForward(cfg, w, [3, 9, 4, 2]).logits;
    expect(b.subarray(0, 3 * V)).toEqual(a.subarray(0, 3 * V));
    expect(b.subarray(3 * V)).not.toEqual(a.subarray(3 * V));
  });

  it('gives identical outputs with and without the transformer. prefix', () => {
    const cfg = tinyConfig('gpt2');
    const ids = [5, 0, 7];
    const a = referenceForward(cfg, randomModel(cfg, 2, { std: 0.5, prefix: 'transformer.' }), ids);
    const b = referenceForward(cfg, randomModel(cfg, 2, { std: 0.5, prefix: '' }), ids);
    expect(b.logits).toEqual(a.logits);
  });

  it('reads lm_head.weight when embeddings are not tied', () => {
    const tied = tinyConfig('gpt2');
    const w = randomModel(tied, 3, { std: 0.5 });
    const wte = w.get('transformer.wte.weight')!;
    const copy = new Map(w).set('lm_head.weight', { dims: wte.dims, data: wte.data.slice() });
    const untied = { ...tied, tieWordEmbeddings: false };
    expect(referenceForward(untied, copy, [1, 2]).logits).toEqual(
      referenceForward(tied, w, [1, 2]).logits,
    );
  });

  it('adds wte rows for token type ids, as GPT2Model does', () => {
    const cfg = tinyConfig('gpt2');
    const w = randomModel(cfg, 4, { std: 0.5 });
    const plain = referenceForward(cfg, w, [1, 2]).hidden[0];
    const typed = referenceForward(cfg, w, [1, 2], { tokenTypeIds: [3, 0] }).hidden[0];
    const wte = w.get('transformer.wte.weight')!.data;
    const H = cfg.hiddenSize;
    const expected = Array.from(plain, (v, i) => v + wte[(i < H ? 3 : 0) * H + (i % H)]);
    expectClose(typed, expected);
  });
});

function expectClose(actual: ArrayLike<number>, expected: number[]) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    expect(Math.abs(actual[i] - expected[i])).toBeLessThan(1e-14);
}
