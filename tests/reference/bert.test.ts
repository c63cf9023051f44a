import { describe, expect, it } from 'vitest';
import type { HostTensor, ModelConfig } from '../../src/weights/types';
import { gelu, positionIds, referenceForward } from './index';
import { randomModel, tinyConfig } from './random-model';

const t = (dims: number[], values: number[]): HostTensor => ({
  dims,
  data: Float32Array.from(values),
});
const I2 = [1, 0, 0, 1];

/** With hidden size 2, LayerNorm (weight 1, bias 0, eps 1) maps (a, b) to (u, -u): u below. */
const ln2 = (a: number, b: number) => (a - b) / 2 / Math.sqrt(((a - b) / 2) ** 2 + 1);

describe('reference BERT', () => {
  // One layer, hidden 2, one head, distinct q/k/v maps, identity FFN-in weights, an FFN-out weight
  // that lets only unit 0 write (so the activation's value is visible), eps 1 (so LayerNorm
  // outputs are not just signs).
  const config: ModelConfig = {
    family: 'bert',
    modelType: 'bert',
    vocabSize: 3,
    hiddenSize: 2,
    numLayers: 1,
    numHeads: 1,
    intermediateSize: 2,
    maxPositions: 4,
    layerNormEps: 1,
    activation: 'gelu',
    typeVocabSize: 2,
    positionOffset: 0,
    tieWordEmbeddings: true,
  };
  const ln = { weight: [1, 1], bias: [0, 0] };
  const weights = new Map<string, HostTensor>();
  const put = (name: string, dims: number[], values: number[]) =>
    weights.set(name, t(dims, values));
  put('bert.embeddings.word_embeddings.weight', [3, 2], [1, 0, 0, 1, 1, 1]);
  put('bert.embeddings.position_embeddings.weight', [4, 2], [0, 0, 0.5, 0, 0, 0.5, 0, 0]);
  put('bert.embeddings.token_type_embeddings.weight', [2, 2], [0, 0, 0.25, 0]);
  const norm = (base: string) => {
    put(`${base}.weight`, [2], ln.weight);
    put(`${base}.bias`, [2], ln.bias);
  };
  const dense = (base: string, w: number[], bias = [0, 0]) => {
    put(`${base}.weight`, [2, 2], w);
    put(`${base}.bias`, [2], bias);
  };
  norm('bert.embeddings.LayerNorm');
  dense('bert.encoder.layer.0.attention.self.query', [2, 0, 0, 2], [1, 0]);
  dense('bert.encoder.layer.0.attention.self.key', I2);
  dense('bert.encoder.layer.0.attention.self.value', I2, [0, 0.5]);
  dense('bert.encoder.layer.0.attention.output.dense', I2);
  norm('bert.encoder.layer.0.attention.output.LayerNorm');
  dense('bert.encoder.layer.0.intermediate.dense', I2);
  dense('bert.encoder.layer.0.output.dense', [1, 0, 0, 0]);
  norm('bert.encoder.layer.0.output.LayerNorm');
  dense('cls.predictions.transform.dense', I2);
  norm('cls.predictions.transform.LayerNorm');
  put('cls.predictions.bias', [3], [0, 0.125, -0.125]);

  it('computes a hand-worked one-layer example', () => {
    for (const types of [
      [0, 0],
      [0, 1],
    ]) {
      // Embeddings: token 0 at position 0 is (1, 0); token 1 at position 1 is (0, 1) + (0.5, 0),
      // plus (0.25, 0) when its type is 1.
      const u = [ln2(1, 0), ln2(0.5 + 0.25 * types[1], 1)];
      // Attention on h = (u, -u): q = (2u + 1, -2u), k = (u, -u), v = (u, -u + 0.5), so
      // score_ij = (4 u_i u_j + u_j) / sqrt(2) and the context is (c, -c + 0.5).
      const a = u.map((ui) => {
        const s = u.map((uj) => (4 * ui * uj + uj) / Math.SQRT2);
        const z = s.map((x) => Math.exp(x)).reduce((p, q) => p + q);
        const c = s.reduce((acc, x, j) => acc + (Math.exp(x) / z) * u[j], 0);
        return ln2(c + ui, -c + 0.5 - ui);
      });
      // FFN: pre = (a, -a); only unit 0 writes, to dimension 0; residual; LayerNorm.
      const o = a.map((ai) => ln2(gelu(ai) + ai, -ai));
      // Head: dense identity, gelu, LayerNorm: (gelu(o) - gelu(-o)) / 2 = o / 2.
      const z = o.map((oi) => ln2(gelu(oi), gelu(-oi)));
      const expected = z.flatMap((zi) => [zi, -zi + 0.125, -0.125]);

      const r = referenceForward(config, weights, [0, 1], { tokenTypeIds: types, record: true });
      expectClose(r.logits, expected);
      expectClose(
        r.hidden[0],
        u.flatMap((x) => [x, -x]),
      );
      expectClose(
        r.hidden[1],
        o.flatMap((x) => [x, -x]),
      );
      expectClose(
        r.activations!.pre[0],
        a.flatMap((x) => [x, -x]),
      );
      expectClose(
        r.activations!.post[0],
        a.flatMap((x) => [gelu(x), gelu(-x)]),
      );
    }
  });

  it('attends in both directions and ignores masked keys', () => {
    const cfg = tinyConfig('bert');
    const w = randomModel(cfg, 1, { std: 0.5 });
    const V = cfg.vocabSize;
    const a = referenceForward(cfg, w, [2, 5, 7]).logits;
    const b = referenceForward(cfg, w, [2, 5, 8]).logits;
    expect(maxDiff(a.subarray(0, V), b.subarray(0, V))).toBeGreaterThan(1e-6);

    const padded = referenceForward(cfg, w, [2, 5, 0], { attentionMask: [1, 1, 0] }).logits;
    const short = referenceForward(cfg, w, [2, 5]).logits;
    expect(maxDiff(padded.subarray(0, 2 * V), short)).toBeLessThan(1e-12);
  });

  it('numbers RoBERTa positions from padding_idx + 1 and gives padding padding_idx', () => {
    expect(positionIds([0, 5, 1, 7, 1], 2)).toEqual([2, 3, 1, 4, 1]);
    expect(positionIds([0, 5, 1], 0)).toEqual([0, 1, 2]);

    // A RoBERTa model equals a BERT-numbered model whose position table is shifted by 2.
    const cfg = tinyConfig('xlm-roberta');
    const w = randomModel(cfg, 2, { std: 0.5 });
    const name = 'roberta.embeddings.position_embeddings.weight';
    const H = cfg.hiddenSize;
    const shifted = new Map(w);
    shifted.set(name, { dims: [cfg.maxPositions - 2, H], data: w.get(name)!.data.slice(2 * H) });
    const asBert = { ...cfg, positionOffset: 0, maxPositions: cfg.maxPositions - 2 };
    const ids = [0, 4, 9, 3];
    expect(referenceForward(cfg, w, ids).logits).toEqual(
      referenceForward(asBert, shifted, ids).logits,
    );
  });

  it('uses erf gelu in the RoBERTa head whatever the FFN activation, config activation in BERT', () => {
    const run = (type: 'bert' | 'roberta', activation: 'gelu' | 'relu') => {
      const cfg = tinyConfig(type, { numLayers: 0, activation });
      return referenceForward(cfg, randomModel(cfg, 3, { std: 0.8 }), [1, 2, 3]).logits;
    };
    expect(run('roberta', 'relu')).toEqual(run('roberta', 'gelu'));
    expect(maxDiff(run('bert', 'relu'), run('bert', 'gelu'))).toBeGreaterThan(1e-6);
  });

  it('gives identical outputs for every name-prefix variant and legacy names', () => {
    for (const [type, prefixes] of [
      ['bert', ['bert.', '']],
      ['roberta', ['roberta.', '']],
    ] as const) {
      const cfg = tinyConfig(type);
      const ids = [1, 4, 2, 8];
      const [first, ...rest] = prefixes.map(
        (prefix) => referenceForward(cfg, randomModel(cfg, 4, { std: 0.5, prefix }), ids).logits,
      );
      for (const other of rest) expect(other).toEqual(first);
    }

    // TF-converted BERT checkpoints: LayerNorm.gamma/beta, and the bias saved as decoder.bias.
    const cfg = tinyConfig('bert');
    const w = randomModel(cfg, 5, { std: 0.5 });
    const legacy = new Map(
      [...w].map(([k, v]) => [
        k
          .replace(/LayerNorm\.weight$/, 'LayerNorm.gamma')
          .replace(/LayerNorm\.bias$/, 'LayerNorm.beta')
          .replace(/^cls\.predictions\.bias$/, 'cls.predictions.decoder.bias'),
        v,
      ]),
    );
    expect(legacy.has('bert.embeddings.LayerNorm.gamma')).toBe(true);
    expect(referenceForward(cfg, legacy, [3, 1]).logits).toEqual(
      referenceForward(cfg, w, [3, 1]).logits,
    );
  });

  it('reads an untied decoder when tieWordEmbeddings is false', () => {
    for (const type of ['bert', 'roberta'] as const) {
      const tied = tinyConfig(type);
      const w = randomModel(tied, 6, { std: 0.5 });
      const untied = { ...tied, tieWordEmbeddings: false };
      const head = type === 'bert' ? 'cls.predictions' : 'lm_head';
      const word = w.get(`${type}.embeddings.word_embeddings.weight`)!;
      const copy = new Map(w).set(`${head}.decoder.weight`, {
        dims: word.dims,
        data: word.data.slice(),
      });
      expect(referenceForward(untied, copy, [2, 3]).logits).toEqual(
        referenceForward(tied, w, [2, 3]).logits,
      );
      copy.get(`${head}.decoder.weight`)!.data[0] += 1;
      expect(referenceForward(untied, copy, [2, 3]).logits).not.toEqual(
        referenceForward(tied, w, [2, 3]).logits,
      );
    }
  });

  it('rejects missing tensors and wrong shapes with the tensor name', () => {
    const cfg = tinyConfig('bert');
    const w = randomModel(cfg, 7);
    w.delete('bert.encoder.layer.1.output.dense.bias');
    expect(() => referenceForward(cfg, w, [1])).toThrow(/layer\.1\.output\.dense\.bias/);
    expect(() => referenceForward({ ...cfg, hiddenSize: 4 }, randomModel(cfg, 7), [1])).toThrow(
      /shape/,
    );
  });
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function expectClose(actual: ArrayLike<number>, expected: number[]) {
  expect(actual.length).toBe(expected.length);
  expect(maxDiff(actual, expected)).toBeLessThan(1e-14);
}
