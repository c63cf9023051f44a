import { describe, expect, it } from 'vitest';
import type { HostTensor } from '../../src/weights/types';
import { normals, rng } from '../util/rng';
import {
  type LlamaConfigJson,
  applyRope,
  llamaForward,
  readLlamaConfig,
  referenceForward,
  ropeInverseFrequencies,
  silu,
  tapEdit,
} from './index';
import { rmsNorm } from './ops';
import {
  TINY_LLAMA_VARIANTS,
  randomLlamaModel,
  randomModel,
  tinyConfig,
  tinyLlamaConfig,
} from './random-model';

const IDS = [3, 1, 4, 1, 5, 9];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function maxAbs(a: ArrayLike<number>): number {
  return Array.from(a).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
}

/** A copy of `weights` with tensor `name` replaced (or added). */
function withTensor(
  weights: Map<string, HostTensor>,
  name: string,
  dims: number[],
  data: Float32Array,
): Map<string, HostTensor> {
  return new Map(weights).set(name, { dims, data });
}

function without(weights: Map<string, HostTensor>, pattern: RegExp): Map<string, HostTensor> {
  return new Map([...weights].filter(([name]) => !pattern.test(name)));
}

describe('LLaMA-family config reader', () => {
  it('reads the variations of the tiny variants', () => {
    const shapes = Object.fromEntries(
      TINY_LLAMA_VARIANTS.map((v) => [v, readLlamaConfig(tinyLlamaConfig(v))]),
    );
    expect(shapes.llama).toMatchObject({
      numHeads: 4,
      numKvHeads: 2,
      headDim: 4,
      tieWordEmbeddings: false,
      qkvBias: false,
      outputBias: false,
      qkNorm: false,
      rope: { type: 'default', theta: 10000 },
    });
    expect(shapes.llama3).toMatchObject({ headDim: 8, tieWordEmbeddings: true, rmsNormEps: 1e-5 });
    expect(shapes.llama3.rope).toEqual({
      type: 'llama3',
      theta: 500000,
      factor: 8,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositions: 512,
    });
    expect(shapes['llama-linear']).toMatchObject({
      numKvHeads: 4,
      rope: { type: 'linear', theta: 10000, factor: 4 },
    });
    expect(shapes.mistral).toMatchObject({ headDim: 4, slidingWindow: [4096, 4096] });
    expect(shapes.qwen2).toMatchObject({
      qkvBias: true,
      outputBias: false,
      slidingWindow: [null, null],
    });
    expect(shapes.qwen3).toMatchObject({ headDim: 8, qkNorm: true, qkvBias: false });
  });

  it("applies each model type's defaults", () => {
    const bare = {
      hidden_size: 16,
      num_attention_heads: 4,
      num_hidden_layers: 1,
      intermediate_size: 8,
      vocab_size: 10,
    };
    const llama = readLlamaConfig({ model_type: 'llama', ...bare });
    expect(llama).toMatchObject({
      numKvHeads: 4,
      headDim: 4,
      tieWordEmbeddings: false,
      rmsNormEps: 1e-6,
    });
    expect(llama.rope).toEqual({ type: 'default', theta: 10000 });
    // Qwen3Config: head_dim 128 and 32 key-value heads unless the config says otherwise.
    expect(() => readLlamaConfig({ model_type: 'qwen3', ...bare })).toThrow(
      /num_attention_heads 4 is not a multiple of num_key_value_heads 32/,
    );
    expect(readLlamaConfig({ model_type: 'qwen3', ...bare, num_key_value_heads: 2 }).headDim).toBe(
      128,
    );
    expect(
      readLlamaConfig({ model_type: 'mistral', ...bare, num_key_value_heads: 2, head_dim: null })
        .headDim,
    ).toBe(4);
    // llama3 scaling without original_max_position_embeddings falls back to the top level.
    const scaling = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4 };
    expect(
      readLlamaConfig({
        model_type: 'llama',
        ...bare,
        rope_scaling: scaling,
        original_max_position_embeddings: 99,
      }).rope,
    ).toMatchObject({ originalMaxPositions: 99 });
    expect(
      readLlamaConfig({
        model_type: 'llama',
        ...bare,
        rope_scaling: scaling,
        max_position_embeddings: 77,
      }).rope,
    ).toMatchObject({ originalMaxPositions: 77 });
  });

  it('windows the layers transformers windows', () => {
    const base = tinyLlamaConfig('qwen2', { num_hidden_layers: 3, sliding_window: 5 });
    expect(readLlamaConfig(base).slidingWindow).toEqual([null, null, null]);
    expect(
      readLlamaConfig({ ...base, use_sliding_window: true, max_window_layers: 1 }).slidingWindow,
    ).toEqual([null, 5, 5]);
    expect(
      readLlamaConfig({
        ...base,
        use_sliding_window: true,
        layer_types: ['sliding_attention', 'full_attention', 'sliding_attention'],
      }).slidingWindow,
    ).toEqual([5, null, 5]);
    expect(
      readLlamaConfig(tinyLlamaConfig('mistral', { sliding_window: null })).slidingWindow,
    ).toEqual([null, null]);
    expect(readLlamaConfig(tinyLlamaConfig('llama', { sliding_window: 3 })).slidingWindow).toEqual([
      null,
      null,
    ]);
  });

  it('refuses what it does not implement, naming it', () => {
    for (const type of ['yarn', 'dynamic', 'longrope']) {
      expect(() =>
        readLlamaConfig(tinyLlamaConfig('llama', { rope_scaling: { rope_type: type, factor: 2 } })),
      ).toThrow(`rope type "${type}" is not implemented`);
    }
    expect(() =>
      readLlamaConfig(tinyLlamaConfig('llama', { rope_parameters: { type: 'yarn', factor: 2 } })),
    ).toThrow('rope type "yarn"');
    expect(() =>
      readLlamaConfig(
        tinyLlamaConfig('llama', { rope_scaling: { rope_type: 'llama3', factor: 8 } }),
      ),
    ).toThrow(/llama3 needs a positive low_freq_factor/);
    expect(() => readLlamaConfig(tinyLlamaConfig('llama', { hidden_act: 'gelu' }))).toThrow(
      /hidden_act "gelu"/,
    );
    expect(() => readLlamaConfig(tinyLlamaConfig('llama', { num_key_value_heads: 3 }))).toThrow(
      /not a multiple/,
    );
    expect(() => readLlamaConfig({ ...tinyLlamaConfig('llama'), model_type: 'gemma' })).toThrow(
      /"gemma" is not of the LLaMA family/,
    );
  });
});

describe('rotary position embedding', () => {
  const spec = readLlamaConfig(tinyLlamaConfig('llama3')).rope;

  it('is the identity at position 0', () => {
    const x = Float64Array.from(normals(rng(1), 3 * 8));
    expect(applyRope(x, 1, 3, 8, ropeInverseFrequencies(spec, 8), [0])).toEqual(x);
  });

  it('rotates element c with element c + d/2 (rotate-half), by position * invFreq[c]', () => {
    // d = 4, invFreq = [1, 0.5] (theta 4: 4^(-0/4) = 1, 4^(-2/4) = 0.5); x = e0, e1, e2.
    // (x + 0 turns -0 into 0.)
    const inv = ropeInverseFrequencies({ type: 'default', theta: 4 }, 4);
    expect(Array.from(inv)).toEqual([1, 0.5]);
    const y0 = applyRope(Float64Array.of(1, 0, 0, 0), 1, 1, 4, inv, [3]);
    expect(Array.from(y0, (x) => x + 0)).toEqual([Math.cos(3), 0, Math.sin(3), 0]);
    const y1 = applyRope(Float64Array.of(0, 1, 0, 0), 1, 1, 4, inv, [3]);
    expect(Array.from(y1, (x) => x + 0)).toEqual([0, Math.cos(1.5), 0, Math.sin(1.5)]);
    const y2 = applyRope(Float64Array.of(0, 0, 1, 0), 1, 1, 4, inv, [3]);
    expect(Array.from(y2, (x) => x + 0)).toEqual([-Math.sin(3), 0, Math.cos(3), 0]);
  });

  it('makes q.k depend on the offset only', () => {
    const inv = ropeInverseFrequencies(spec, 8);
    const q = Float64Array.from(normals(rng(2), 8));
    const k = Float64Array.from(normals(rng(3), 8));
    const score = (m: number, n: number) => {
      const qm = applyRope(q, 1, 1, 8, inv, [m]);
      const kn = applyRope(k, 1, 1, 8, inv, [n]);
      return qm.reduce((s, v, i) => s + v * kn[i], 0);
    };
    expect(score(7, 2)).toBeCloseTo(score(5, 0), 12);
    expect(score(40, 35)).toBeCloseTo(score(5, 0), 12);
    expect(Math.abs(score(6, 0) - score(5, 0))).toBeGreaterThan(1e-3);
  });

  it('has the inverse frequencies transformers computes (default and linear)', () => {
    // default: invFreq[i] = theta^(-2i/d); d = 8, theta = 10000: 1, 0.1, 0.01, 0.001.
    const plain = ropeInverseFrequencies({ type: 'default', theta: 10000 }, 8);
    [1, 0.1, 0.01, 0.001].forEach((f, i) => expect(plain[i]).toBeCloseTo(f, 15));
    // linear: every frequency divided by factor (4): 0.25, 0.025, 0.0025, 0.00025.
    const linear = ropeInverseFrequencies({ type: 'linear', theta: 10000, factor: 4 }, 8);
    [0.25, 0.025, 0.0025, 0.00025].forEach((f, i) => expect(linear[i]).toBeCloseTo(f, 15));
  });

  it('has the inverse frequencies transformers computes (llama3)', () => {
    // _compute_llama3_parameters: wavelength w = 2 pi / f. w < orig / high: f. w > orig / low:
    // f / factor. Otherwise s = (orig / w - low) / (high - low), f' = (1 - s) f / factor + s f.
    //
    // Tiny llama3 variant: theta 500000, d 8, factor 8, low 1, high 4, orig 512 (bands 128, 512).
    //   i = 0: f = 1, w = 6.283 < 128: kept, 1.
    //   i = 1: f = 500000^(-1/4) = 0.0376060309, w = 167.0792: s = (512 / 167.0792 - 1) / 3
    //          = 0.6881383616, f' = f ((1 - s) / 8 + s) = 0.0273441373.
    //   i = 2: f = 500000^(-1/2) = 0.0014142136, w = 4442.88 > 512: f / 8 = 0.000176776695.
    //   i = 3: f = 500000^(-3/4) = 5.3182959e-5, w = 118142.8 > 512: f / 8 = 6.64786987e-6.
    const tiny = ropeInverseFrequencies(spec, 8);
    expect(tiny[0]).toBe(1);
    expect(tiny[1]).toBeCloseTo(0.0273441373147, 12);
    expect(tiny[2]).toBeCloseTo(0.000176776695297, 14);
    expect(tiny[3]).toBeCloseTo(6.64786987118e-6, 16);
    //
    // Llama-3.2-1B: theta 500000, d 64, factor 32, low 1, high 4, orig 8192 (bands 2048, 8192).
    //   i = 10: f = 500000^(-20/64) = 0.0165604401, w = 379.41: kept.
    //   i = 15: f = 500000^(-30/64) = 0.00213111954, w = 2948.30: s = (8192 / 2948.30 - 1) / 3
    //           = 0.592849295, f' = f ((1 - s) / 32 + s) = 0.00129054793.
    //   i = 17: f = 500000^(-34/64) = 0.00093847387, w = 6695.11: s = 0.0745265642,
    //           f' = 9.70828780e-5.
    //   i = 31: f = 500000^(-62/64) = 3.01385815e-6, w = 2084764.8 > 8192: f / 32 = 9.41830673e-8.
    const llama32 = ropeInverseFrequencies(
      {
        type: 'llama3',
        theta: 500000,
        factor: 32,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxPositions: 8192,
      },
      64,
    );
    expect(llama32).toHaveLength(32);
    expect(llama32[10]).toBeCloseTo(0.0165604400809944, 14);
    expect(llama32[15]).toBeCloseTo(0.00129054792820926, 14);
    expect(llama32[17]).toBeCloseTo(9.70828780262767e-5, 15);
    expect(llama32[31]).toBeCloseTo(9.41830672543491e-8, 18);
  });
});

describe('LLaMA-family reference forward', () => {
  it('gives finite, distinct predictions for every tiny variant', () => {
    for (const variant of TINY_LLAMA_VARIANTS) {
      const config = tinyLlamaConfig(variant);
      const r = llamaForward(config, randomLlamaModel(config, 1, { std: 0.5 }), IDS, {
        record: true,
      });
      expect(r.logits).toHaveLength(IDS.length * 23);
      expect(r.logits.every(Number.isFinite)).toBe(true);
      expect(r.hidden).toHaveLength(3);
      expect(r.activations!.post).toHaveLength(2);
      expect(maxAbs(r.logits)).toBeGreaterThan(0.5);
    }
  });

  it('computes logits as RMSNorm(last hidden) times the (tied or separate) head', () => {
    for (const variant of ['llama', 'qwen2'] as const) {
      const config = tinyLlamaConfig(variant);
      const w = randomLlamaModel(config, 2, { std: 0.5 });
      const r = llamaForward(config, w, IDS);
      const final = rmsNorm(
        r.hidden[2],
        IDS.length,
        16,
        w.get('model.norm.weight')!.data,
        config.rms_norm_eps!,
      );
      const head = w.get(
        config.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight',
      )!.data;
      const t = 4;
      const v = 7;
      let expected = 0;
      for (let i = 0; i < 16; i++) expected += final[t * 16 + i] * head[v * 16 + i];
      expect(r.logits[t * 23 + v]).toBeCloseTo(expected, 12);
    }
  });

  it('ties the head to the embeddings, or reads lm_head.weight', () => {
    const tied = tinyLlamaConfig('qwen3');
    const w = randomLlamaModel(tied, 3, { std: 0.5 });
    expect(w.has('lm_head.weight')).toBe(false);
    const embed = w.get('model.embed_tokens.weight')!;
    const untied = { ...tied, tie_word_embeddings: false };
    const copy = withTensor(w, 'lm_head.weight', embed.dims, embed.data.slice());
    expect(llamaForward(untied, copy, IDS).logits).toEqual(llamaForward(tied, w, IDS).logits);
    const other = withTensor(
      w,
      'lm_head.weight',
      embed.dims,
      normals(rng(4), embed.data.length, 0.5),
    );
    expect(
      maxAbsDiff(llamaForward(untied, other, IDS).logits, llamaForward(tied, w, IDS).logits),
    ).toBeGreaterThan(0.1);
    // A tied model ignores a stray lm_head.weight, as transformers does when it re-ties.
    expect(llamaForward(tied, other, IDS).logits).toEqual(llamaForward(tied, w, IDS).logits);
    expect(() => llamaForward(untied, w, IDS)).toThrow('missing tensor lm_head.weight');
  });

  it('is causal: later tokens do not change earlier logits', () => {
    for (const variant of TINY_LLAMA_VARIANTS) {
      const config = tinyLlamaConfig(variant);
      const w = randomLlamaModel(config, 5, { std: 0.5 });
      const a = llamaForward(config, w, [3, 1, 4, 1, 5]).logits;
      const b = llamaForward(config, w, [3, 1, 4, 9, 2]).logits;
      expect(a.subarray(0, 3 * 23)).toEqual(b.subarray(0, 3 * 23));
      expect(maxAbsDiff(a.subarray(3 * 23), b.subarray(3 * 23))).toBeGreaterThan(1e-3);
    }
  });

  it('GQA with n key-value heads equals MHA with each key-value head repeated', () => {
    const gqa = tinyLlamaConfig('llama');
    const w = randomLlamaModel(gqa, 6, { std: 0.5 });
    const mha = { ...gqa, num_key_value_heads: 4 };
    let repeated = w;
    for (let l = 0; l < 2; l++) {
      for (const proj of ['k_proj', 'v_proj']) {
        const name = `model.layers.${l}.self_attn.${proj}.weight`;
        const src = w.get(name)!.data; // [2 heads * 4, 16]
        const data = new Float32Array(4 * 4 * 16);
        // MHA head j reads GQA head floor(j / 2): rows of head j are rows of head floor(j / 2).
        for (let j = 0; j < 4; j++)
          data.set(src.subarray(Math.floor(j / 2) * 64, (Math.floor(j / 2) + 1) * 64), j * 64);
        repeated = withTensor(repeated, name, [16, 16], data);
      }
    }
    const grouped = llamaForward(gqa, w, IDS).logits;
    expect(maxAbsDiff(llamaForward(mha, repeated, IDS).logits, grouped)).toBeLessThan(1e-12);
    // Repeating the heads the other way round (j % 2) is a different model.
    let interleaved = w;
    for (let l = 0; l < 2; l++) {
      for (const proj of ['k_proj', 'v_proj']) {
        const name = `model.layers.${l}.self_attn.${proj}.weight`;
        const src = w.get(name)!.data;
        const data = new Float32Array(4 * 4 * 16);
        for (let j = 0; j < 4; j++)
          data.set(src.subarray((j % 2) * 64, ((j % 2) + 1) * 64), j * 64);
        interleaved = withTensor(interleaved, name, [16, 16], data);
      }
    }
    expect(maxAbsDiff(llamaForward(mha, interleaved, IDS).logits, grouped)).toBeGreaterThan(1e-3);
  });

  it('Qwen2 biases change the output; zero biases equal no biases', () => {
    const qwen2 = tinyLlamaConfig('qwen2');
    const w = randomLlamaModel(qwen2, 7, { std: 0.5 });
    const biases = [...w.keys()].filter((n) => n.endsWith('.bias'));
    expect(biases.sort()).toEqual(
      [0, 1]
        .flatMap((l) => ['q', 'k', 'v'].map((p) => `model.layers.${l}.self_attn.${p}_proj.bias`))
        .sort(),
    );
    let zeroed = w;
    for (const name of biases)
      zeroed = withTensor(
        zeroed,
        name,
        w.get(name)!.dims,
        new Float32Array(w.get(name)!.data.length),
      );
    // The same weights read as a bias-free llama model.
    const llama = { ...qwen2, model_type: 'llama', attention_bias: false };
    const unbiased = llamaForward(llama, without(w, /\.bias$/), IDS).logits;
    expect(llamaForward(qwen2, zeroed, IDS).logits).toEqual(unbiased);
    expect(maxAbsDiff(llamaForward(qwen2, w, IDS).logits, unbiased)).toBeGreaterThan(1e-2);
    for (const name of biases) {
      const one = withTensor(zeroed, name, w.get(name)!.dims, w.get(name)!.data);
      expect(maxAbsDiff(llamaForward(qwen2, one, IDS).logits, unbiased), name).toBeGreaterThan(
        1e-4,
      );
    }
  });

  it('Llama attention_bias and mlp_bias add biases to all seven projections', () => {
    const config = tinyLlamaConfig('llama', { attention_bias: true, mlp_bias: true });
    const w = randomLlamaModel(config, 8, { std: 0.5 });
    const biases = [...w.keys()].filter((n) => n.endsWith('.bias'));
    expect(biases).toHaveLength(2 * 7);
    const plain = llamaForward(tinyLlamaConfig('llama'), without(w, /\.bias$/), IDS).logits;
    let zeroed = w;
    for (const name of biases)
      zeroed = withTensor(
        zeroed,
        name,
        w.get(name)!.dims,
        new Float32Array(w.get(name)!.data.length),
      );
    expect(llamaForward(config, zeroed, IDS).logits).toEqual(plain);
    for (const name of biases) {
      const one = withTensor(zeroed, name, w.get(name)!.dims, w.get(name)!.data);
      expect(maxAbsDiff(llamaForward(config, one, IDS).logits, plain), name).toBeGreaterThan(1e-4);
    }
  });

  it('Qwen3 q/k norm changes the output and makes it blind to the scale of q and k', () => {
    const qwen3 = tinyLlamaConfig('qwen3');
    const w = randomLlamaModel(qwen3, 9, { std: 0.5 });
    const normless = { ...qwen3, model_type: 'llama' };
    const withoutNorm = llamaForward(normless, without(w, /_norm\.weight$/), IDS).logits;
    const normed = llamaForward(qwen3, w, IDS).logits;
    expect(maxAbsDiff(normed, withoutNorm)).toBeGreaterThan(1e-2);
    for (const proj of ['q_proj', 'k_proj']) {
      let scaled = w;
      for (let l = 0; l < 2; l++) {
        const name = `model.layers.${l}.self_attn.${proj}.weight`;
        scaled = withTensor(
          scaled,
          name,
          w.get(name)!.dims,
          w.get(name)!.data.map((x) => 3 * x),
        );
      }
      // RMSNorm undoes the scale up to eps: x / sqrt(ms + eps) vs 3x / sqrt(9 ms + eps).
      expect(maxAbsDiff(llamaForward(qwen3, scaled, IDS).logits, normed), proj).toBeLessThan(1e-4);
      const scaledNormless = llamaForward(normless, without(scaled, /_norm\.weight$/), IDS).logits;
      expect(maxAbsDiff(scaledNormless, withoutNorm), proj).toBeGreaterThan(1e-2);
    }
    // The norm weights matter: one norm weight per head dimension, shared by all heads.
    const name = 'model.layers.0.self_attn.k_norm.weight';
    expect(w.get(name)!.dims).toEqual([8]);
    const ones = withTensor(w, name, [8], new Float32Array(8).fill(1));
    expect(maxAbsDiff(llamaForward(qwen3, ones, IDS).logits, normed)).toBeGreaterThan(1e-3);
  });

  it('reads rope_parameters (transformers 5) and top-level rope_theta + rope_scaling alike', () => {
    const legacy = tinyLlamaConfig('llama3');
    const w = randomLlamaModel(legacy, 10, { std: 0.5 });
    const { rope_theta: theta, rope_scaling: scaling, ...rest } = legacy;
    const v5: LlamaConfigJson = { ...rest, rope_parameters: { ...scaling, rope_theta: theta } };
    const expected = llamaForward(legacy, w, IDS).logits;
    expect(llamaForward(v5, w, IDS).logits).toEqual(expected);
    // The parameters are read, not ignored: another theta or factor is another model.
    const otherTheta = { ...v5, rope_parameters: { ...v5.rope_parameters, rope_theta: 1000 } };
    expect(maxAbsDiff(llamaForward(otherTheta, w, IDS).logits, expected)).toBeGreaterThan(1e-3);
    const otherFactor = { ...legacy, rope_scaling: { ...scaling, factor: 2 } };
    expect(maxAbsDiff(llamaForward(otherFactor, w, IDS).logits, expected)).toBeGreaterThan(1e-4);

    const linear = tinyLlamaConfig('llama-linear');
    const lw = randomLlamaModel(linear, 11, { std: 0.5 });
    const oldLinear: LlamaConfigJson = {
      ...linear,
      rope_parameters: undefined,
      rope_theta: 10000,
      rope_scaling: { type: 'linear', factor: 4 },
    };
    expect(llamaForward(oldLinear, lw, IDS).logits).toEqual(llamaForward(linear, lw, IDS).logits);
    const unscaled = { ...oldLinear, rope_scaling: null };
    expect(
      maxAbsDiff(llamaForward(unscaled, lw, IDS).logits, llamaForward(linear, lw, IDS).logits),
    ).toBeGreaterThan(1e-3);
  });

  it('masks keys beyond the sliding window', () => {
    const full = tinyLlamaConfig('mistral');
    const w = randomLlamaModel(full, 12, { std: 0.5 });
    const expected = llamaForward(full, w, IDS).logits;
    expect(llamaForward({ ...full, sliding_window: IDS.length }, w, IDS).logits).toEqual(expected);
    expect(llamaForward({ ...full, sliding_window: null }, w, IDS).logits).toEqual(expected);
    // Window 2: position t sees t - 1 and t only, so positions 0 and 1 are unchanged.
    const narrow = llamaForward({ ...full, sliding_window: 2 }, w, IDS).logits;
    expect(narrow.subarray(0, 2 * 23)).toEqual(expected.subarray(0, 2 * 23));
    expect(maxAbsDiff(narrow.subarray(2 * 23), expected.subarray(2 * 23))).toBeGreaterThan(1e-3);
  });
});

describe('LLaMA-family taps', () => {
  it('records pre = gate_proj x, gate = silu(pre), c = gate * up', () => {
    const config = tinyLlamaConfig('qwen2');
    const w = randomLlamaModel(config, 13, { std: 0.5 });
    const { pre, gate, up, post } = llamaForward(config, w, IDS, { record: true }).activations!;
    for (let l = 0; l < 2; l++) {
      expect(pre[l]).toHaveLength(IDS.length * 24);
      expect(gate![l]).toEqual(pre[l].map(silu));
      expect(post[l]).toEqual(gate![l].map((g, i) => g * up![l][i]));
    }
    expect(silu(0)).toBe(0);
    expect(silu(2)).toBeCloseTo(2 / (1 + Math.exp(-2)), 15);
  });

  it('changes nothing with mul = 1, add = 0 at either stage', () => {
    for (const variant of TINY_LLAMA_VARIANTS) {
      const config = tinyLlamaConfig(variant);
      const w = randomLlamaModel(config, 14, { std: 0.5 });
      const clean = llamaForward(config, w, IDS).logits;
      for (const tapStage of ['post', 'gate'] as const) {
        expect(
          llamaForward(config, w, IDS, { edit: tapEdit(1, 3, 1, 0), tapStage }).logits,
        ).toEqual(clean);
      }
    }
  });

  it('scaling the gate scales the coefficient: gate * 2 gives the logits of c * 2', () => {
    const config = tinyLlamaConfig('llama3');
    const w = randomLlamaModel(config, 15, { std: 0.5 });
    const viaGate = llamaForward(config, w, IDS, {
      edit: tapEdit(0, 2, 2, 0),
      tapStage: 'gate',
      record: true,
    });
    const viaPost = llamaForward(config, w, IDS, { edit: tapEdit(0, 2, 2, 0), tapStage: 'post' });
    const clean = llamaForward(config, w, IDS, { record: true });
    expect(maxAbsDiff(viaGate.logits, viaPost.logits)).toBeLessThan(1e-12);
    expect(maxAbsDiff(viaGate.logits, clean.logits)).toBeGreaterThan(1e-3);
    // Earlier positions are untouched; the edited one and later ones move.
    expect(viaGate.logits.subarray(0, 2 * 23)).toEqual(clean.logits.subarray(0, 2 * 23));
    // A shifted gate is multiplied by up_proj x afterwards: c = (gate + a) * up.
    const F = 24;
    const shift = Array.from({ length: F }, (_, i) => (i - 12) / 10);
    const shifted = llamaForward(config, w, IDS, {
      edit: tapEdit(1, 4, 1, shift),
      tapStage: 'gate',
      record: true,
    });
    const acts = shifted.activations!;
    for (let f = 0; f < F; f++) {
      const i = 4 * F + f;
      expect(acts.gate![1][i]).toBeCloseTo(clean.activations!.gate![1][i] + shift[f], 14);
      expect(acts.post[1][i]).toBeCloseTo(acts.gate![1][i] * acts.up![1][i], 14);
    }
  });

  it('zeroing c at one position equals zeroing down_proj (T = 1)', () => {
    const config = tinyLlamaConfig('qwen3');
    const w = randomLlamaModel(config, 16, { std: 0.5 });
    const name = 'model.layers.1.mlp.down_proj.weight';
    const zeroed = withTensor(
      w,
      name,
      w.get(name)!.dims,
      new Float32Array(w.get(name)!.data.length),
    );
    const expected = llamaForward(config, zeroed, [5]).logits;
    for (const tapStage of ['post', 'gate'] as const) {
      const edited = llamaForward(config, w, [5], { edit: tapEdit(1, 0, 0, 0), tapStage }).logits;
      expect(maxAbsDiff(edited, expected)).toBeLessThan(1e-12);
    }
  });

  it('refuses a stage the FFN does not have', () => {
    const config = tinyLlamaConfig('llama');
    expect(() =>
      llamaForward(config, randomLlamaModel(config, 17), IDS, {
        edit: tapEdit(0, 0, 1, 0),
        tapStage: 'pre',
      }),
    ).toThrow("tap stage 'pre' is not defined for a gated FFN");
    const gpt2 = tinyConfig('gpt2');
    expect(() =>
      referenceForward(gpt2, randomModel(gpt2, 1), [1, 2], { tapStage: 'gate' }),
    ).toThrow("tap stage 'gate' needs a gated FFN");
    expect(() =>
      llamaForward(config, randomLlamaModel(config, 17), IDS, { tokenTypeIds: [0, 0, 0, 0, 0, 0] }),
    ).toThrow(/token type ids/);
  });
});
