/**
 * config.json of the LLaMA family: what parseConfig reads (checked against the independent
 * reader of tests/reference on the tiny variants and the real presets), both RoPE layouts,
 * the defaults of each model type, and what it refuses, naming the field and the fix.
 */
import { describe, expect, it } from 'vitest';
import { MODEL_PRESETS } from '../../scripts/lib/model-presets';
import { readLlamaConfig } from '../../tests/reference/llama-config';
import { TINY_LLAMA_VARIANTS, tinyLlamaConfig } from '../../tests/reference/random-model';
import { CONFIG_BOUNDS, configEosTokenId, parseConfig } from './config';
import { ConfigError, UnsupportedModelError } from './errors';

const LLAMA32 = MODEL_PRESETS['llama-3.2-1b'];
const QWEN25 = MODEL_PRESETS['qwen2.5-0.5b'];
const QWEN3 = MODEL_PRESETS['qwen3-0.6b'];

/** What the reference reader and parseConfig must agree on. */
function agrees(json: Record<string, unknown>) {
  const ref = readLlamaConfig(json);
  const cfg = parseConfig(json);
  expect(cfg).toMatchObject({
    family: 'llama',
    modelType: ref.modelType,
    vocabSize: ref.vocabSize,
    hiddenSize: ref.hiddenSize,
    numLayers: ref.numLayers,
    numHeads: ref.numHeads,
    intermediateSize: ref.intermediateSize,
    maxPositions: ref.maxPositions,
    layerNormEps: ref.rmsNormEps,
    activation: 'silu',
    tieWordEmbeddings: ref.tieWordEmbeddings,
  });
  const windows = ref.slidingWindow.filter((w): w is number => w !== null);
  expect(cfg.llama).toEqual({
    numKvHeads: ref.numKvHeads,
    headDim: ref.headDim,
    rope: ref.rope,
    qkvBias: ref.qkvBias,
    outputBias: ref.outputBias,
    mlpBias: ref.mlpBias,
    qkNorm: ref.qkNorm,
    slidingWindow: windows.length ? Math.min(...windows) : null,
  });
}

describe('parseConfig: LLaMA family', () => {
  it('agrees with the reference reader on every tiny variant and the real presets', () => {
    for (const v of TINY_LLAMA_VARIANTS) agrees(tinyLlamaConfig(v));
    for (const preset of [LLAMA32, QWEN25, QWEN3]) agrees(preset);
    agrees(tinyLlamaConfig('llama', { attention_bias: true, mlp_bias: true }));
    agrees(tinyLlamaConfig('qwen3', { attention_bias: true }));
    agrees(tinyLlamaConfig('qwen2', { use_sliding_window: true, sliding_window: 16 }));
  });

  it('reads Llama 3.2: GQA, explicit head_dim, llama3 RoPE, tied head', () => {
    expect(parseConfig(LLAMA32).llama).toEqual({
      numKvHeads: 8,
      headDim: 64,
      rope: {
        type: 'llama3',
        theta: 500000,
        factor: 32,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxPositions: 8192,
      },
      qkvBias: false,
      outputBias: false,
      mlpBias: false,
      qkNorm: false,
      slidingWindow: null,
    });
    expect(parseConfig(LLAMA32)).toMatchObject({ tieWordEmbeddings: true, layerNormEps: 1e-5 });
  });

  it('reads Qwen2 biases and Qwen3 q/k norm', () => {
    expect(parseConfig(QWEN25).llama).toMatchObject({ qkvBias: true, outputBias: false });
    // Qwen2 has no attention_bias switch: q, k, v always biased, o never.
    expect(parseConfig({ ...QWEN25, attention_bias: false }).llama?.qkvBias).toBe(true);
    expect(parseConfig(QWEN3).llama).toMatchObject({ qkNorm: true, qkvBias: false, headDim: 128 });
    expect(parseConfig({ ...QWEN3, attention_bias: true }).llama).toMatchObject({
      qkvBias: true,
      outputBias: true,
    });
  });

  it('reads the rotary embedding from either layout', () => {
    const old = {
      ...LLAMA32,
      rope_theta: 500000,
      rope_scaling: { rope_type: 'linear', factor: 4 },
    };
    const v5 = {
      ...LLAMA32,
      rope_theta: undefined,
      rope_scaling: undefined,
      rope_parameters: { rope_type: 'linear', factor: 4, rope_theta: 500000 },
    };
    const want = { type: 'linear', theta: 500000, factor: 4 };
    expect(parseConfig(old).llama?.rope).toEqual(want);
    expect(parseConfig(v5).llama?.rope).toEqual(want);
    // transformers < 4.43 called rope_type "type".
    expect(
      parseConfig({ ...old, rope_scaling: { type: 'linear', factor: 4 } }).llama?.rope,
    ).toEqual(want);
    // Plain RoPE: rope_scaling null, or rope_parameters of type default.
    expect(parseConfig({ ...QWEN25, rope_scaling: null }).llama?.rope).toEqual({
      type: 'default',
      theta: 1e6,
    });
    expect(
      parseConfig({
        ...QWEN3,
        rope_theta: undefined,
        rope_parameters: { rope_type: 'default', rope_theta: 5e6 },
      }).llama?.rope,
    ).toEqual({ type: 'default', theta: 5e6 });
    // llama3 scaling without its own original_max_position_embeddings takes the top level's.
    const { original_max_position_embeddings: _, ...scaling } = LLAMA32.rope_scaling as Record<
      string,
      unknown
    >;
    const lifted = { ...LLAMA32, rope_scaling: scaling, original_max_position_embeddings: 4096 };
    expect(parseConfig(lifted).llama?.rope).toMatchObject({ originalMaxPositions: 4096 });
  });

  it("applies each model type's defaults", () => {
    const minimal = (model_type: string) => parseConfig({ model_type });
    expect(minimal('llama')).toMatchObject({ numHeads: 32, maxPositions: 2048 });
    expect(minimal('llama').llama).toMatchObject({
      numKvHeads: 32,
      headDim: 128,
      slidingWindow: null,
    });
    expect(minimal('mistral').llama).toMatchObject({ numKvHeads: 8, slidingWindow: 4096 });
    expect(parseConfig({ model_type: 'mistral', sliding_window: null }).llama?.slidingWindow).toBe(
      null,
    );
    expect(minimal('qwen2').llama).toMatchObject({ qkvBias: true, slidingWindow: null });
    expect(minimal('qwen3').llama).toMatchObject({ headDim: 128, qkNorm: true });
  });

  it('reads the sliding window transformers applies', () => {
    const windowed = { ...QWEN25, use_sliding_window: true, sliding_window: 512 };
    // max_window_layers 24 of 24 layers: no layer is windowed.
    expect(parseConfig(windowed).llama?.slidingWindow).toBe(null);
    expect(parseConfig({ ...windowed, max_window_layers: 20 }).llama?.slidingWindow).toBe(512);
    const types = Array.from({ length: 24 }, (_, l) =>
      l === 3 ? 'sliding_attention' : 'full_attention',
    );
    expect(parseConfig({ ...windowed, layer_types: types }).llama?.slidingWindow).toBe(512);
    expect(parseConfig({ ...windowed, use_sliding_window: false }).llama?.slidingWindow).toBe(null);
  });

  it('refuses what it does not implement, naming the field and what to do', () => {
    expect(() =>
      parseConfig({ ...LLAMA32, rope_scaling: { rope_type: 'yarn', factor: 4 } }),
    ).toThrow(
      'config.json: llama models with rope_scaling of type "yarn" are not supported (the ' +
        'rotary scalings implemented are linear and llama3, or none); pick a model with the ' +
        'standard llama architecture.',
    );
    expect(() =>
      parseConfig({ ...QWEN3, rope_parameters: { rope_type: 'dynamic', factor: 2 } }),
    ).toThrow(/qwen3 models with rope_parameters of type "dynamic" are not supported/);
    expect(() => parseConfig({ ...LLAMA32, rope_scaling: { rope_type: 'yarn' } })).toThrow(
      UnsupportedModelError,
    );
    expect(() => parseConfig({ ...LLAMA32, hidden_act: 'gelu' })).toThrow(UnsupportedModelError);
    expect(() => parseConfig({ ...LLAMA32, partial_rotary_factor: 0.5 })).toThrow(
      /partial_rotary_factor 0.5 are not supported/,
    );
  });

  it('refuses contradictions and damage before anything is sized, naming the field', () => {
    expect(() => parseConfig({ ...LLAMA32, num_key_value_heads: 7 })).toThrow(
      'config.json: num_attention_heads 32 is not a multiple of num_key_value_heads 7 (each ' +
        'key/value head serves a whole group of query heads); the config is damaged, download ' +
        'it again.',
    );
    expect(() => parseConfig({ ...LLAMA32, num_key_value_heads: 7 })).toThrow(ConfigError);
    expect(() => parseConfig({ ...LLAMA32, head_dim: 63 })).toThrow(/head_dim 63 is odd/);
    expect(() => parseConfig({ ...LLAMA32, head_dim: CONFIG_BOUNDS.headDim + 2 })).toThrow(
      `"head_dim" is ${CONFIG_BOUNDS.headDim + 2}, but this app accepts at most`,
    );
    // Without head_dim, hidden_size must split evenly into the heads.
    expect(() => parseConfig({ ...QWEN25, hidden_size: 900 })).toThrow(
      /hidden_size 900 is not divisible by num_attention_heads 14/,
    );
    expect(() =>
      parseConfig({
        ...LLAMA32,
        rope_scaling: { ...(LLAMA32.rope_scaling as object), factor: -1 },
      }),
    ).toThrow('config.json: "rope_scaling.factor" is -1, but it must be a positive number');
    expect(() =>
      parseConfig({
        ...LLAMA32,
        rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1 },
      }),
    ).toThrow('config.json: "rope_scaling.high_freq_factor" is missing, but it must be a positive');
    expect(() =>
      parseConfig({
        ...LLAMA32,
        rope_scaling: { ...(LLAMA32.rope_scaling as object), high_freq_factor: 1 },
      }),
    ).toThrow(/rope_scaling: high_freq_factor 1 is not greater than low_freq_factor 1/);
    expect(() => parseConfig({ ...LLAMA32, rope_theta: 1e20 })).toThrow(
      /"rope_theta" is 100000000000000000000, but this app accepts at most/,
    );
    expect(() => parseConfig({ ...LLAMA32, rope_scaling: 'llama3' })).toThrow(
      /"rope_scaling" is "llama3", but it must be an object/,
    );
    expect(() => parseConfig({ ...QWEN25, use_sliding_window: true, layer_types: 'all' })).toThrow(
      /"layer_types" is "all", but it must be a list of strings/,
    );
  });

  it('reads eos_token_id, the first of a list', () => {
    expect(configEosTokenId(LLAMA32)).toBe(128001);
    expect(configEosTokenId({ eos_token_id: [128001, 128008, 128009] })).toBe(128001);
    expect(configEosTokenId({ eos_token_id: null })).toBeUndefined();
    expect(configEosTokenId({ eos_token_id: -1 })).toBeUndefined();
    expect(configEosTokenId('x')).toBeUndefined();
  });
});
