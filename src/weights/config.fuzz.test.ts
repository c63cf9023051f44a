/**
 * Fuzzing config.json reading (readJsonFile + parseConfig): valid configs of every supported
 * model type give the numbers they hold; mutated configs, configs of hostile values, random
 * JSON and random bytes fail only with the weights layer's errors, and whatever is accepted is
 * within CONFIG_BOUNDS. 10,000 inputs in all (tests/util/fuzz.ts: FUZZ_SEED, FUZZ_SCALE).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PROTO_KEYS,
  expectNoPollution,
  expectOwnError,
  fuzz,
  fuzzAsync,
  mutatedBytes,
  mutatedJson,
  nastyJson,
} from '../../tests/util/fuzz';
import { CONFIG_BOUNDS as B, SUPPORTED_MODEL_TYPES, parseConfig } from './config';
import { ConfigError, ModelLoadError, UnsupportedModelError } from './errors';
import { readJsonFile } from './files';
import { MemorySource } from './memory-source';
import type { ModelConfig } from './types';

const int = (min: number, max: number) => fc.integer({ min, max });
/** A field that may be missing or null (both take transformers' default). */
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });
const eps = fc.double({ min: Number.MIN_VALUE, max: B.layerNormEps, noNaN: true });

const heads = int(1, 64).chain((h) => int(1, 128).map((d) => ({ heads: h, hidden: h * d })));

const bertConfig = fc
  .tuple(
    heads,
    fc.record(
      {
        model_type: fc.constantFrom('bert', 'roberta', 'xlm-roberta', 'camembert'),
        vocab_size: opt(int(1, B.vocabSize)),
        num_hidden_layers: opt(int(1, B.numLayers)),
        intermediate_size: opt(int(1, B.intermediateSize)),
        max_position_embeddings: opt(int(1, B.maxPositions)),
        layer_norm_eps: opt(eps),
        hidden_act: opt(fc.constantFrom('gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu')),
        type_vocab_size: opt(int(0, B.typeVocabSize)),
        pad_token_id: opt(int(0, B.padTokenId)),
        tie_word_embeddings: opt(fc.boolean()),
        position_embedding_type: opt(fc.constant('absolute')),
      },
      { requiredKeys: ['model_type'] },
    ),
  )
  .map(([h, c]) => ({ ...c, hidden_size: h.hidden, num_attention_heads: h.heads }));

const gpt2Config = fc
  .tuple(
    heads,
    fc.record(
      {
        model_type: fc.constant('gpt2'),
        vocab_size: opt(int(1, B.vocabSize)),
        n_layer: opt(int(1, B.numLayers)),
        n_inner: opt(int(1, B.intermediateSize)),
        n_positions: opt(int(1, B.maxPositions)),
        layer_norm_epsilon: opt(eps),
        activation_function: opt(fc.constantFrom('gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu')),
        tie_word_embeddings: opt(fc.boolean()),
        scale_attn_weights: opt(fc.constant(true)),
        scale_attn_by_inverse_layer_idx: opt(fc.constant(false)),
        add_cross_attention: opt(fc.constant(false)),
      },
      { requiredKeys: ['model_type'] },
    ),
  )
  .map(([h, c]) => ({ ...c, n_embd: h.hidden, n_head: h.heads }));

const ropeScaling = fc.oneof(
  fc.constant(null),
  fc.record({
    rope_type: fc.constant('linear'),
    factor: fc.double({ min: 1, max: 64, noNaN: true }),
  }),
  fc.record({
    rope_type: fc.constant('llama3'),
    factor: fc.double({ min: 1, max: 64, noNaN: true }),
    low_freq_factor: fc.constant(1),
    high_freq_factor: fc.constant(4),
    original_max_position_embeddings: int(1, B.maxPositions),
  }),
);

const llamaConfig = fc
  .tuple(
    int(1, 16).chain((kv) => int(1, 8).map((group) => ({ kv, heads: kv * group }))),
    int(1, 64).map((d) => 2 * d),
    fc.record(
      {
        model_type: fc.constantFrom('llama', 'mistral', 'qwen2', 'qwen3'),
        vocab_size: opt(int(1, B.vocabSize)),
        num_hidden_layers: opt(int(1, B.numLayers)),
        intermediate_size: opt(int(1, B.intermediateSize)),
        max_position_embeddings: opt(int(1, B.maxPositions)),
        rms_norm_eps: opt(eps),
        hidden_act: opt(fc.constant('silu')),
        tie_word_embeddings: opt(fc.boolean()),
        attention_bias: opt(fc.boolean()),
        rope_theta: opt(fc.double({ min: 1, max: B.ropeTheta, noNaN: true })),
        rope_scaling: ropeScaling,
        sliding_window: opt(int(1, B.slidingWindow)),
        use_sliding_window: opt(fc.boolean()),
      },
      { requiredKeys: ['model_type'] },
    ),
  )
  .map(([h, d, c]) => ({
    ...c,
    num_attention_heads: h.heads,
    num_key_value_heads: h.kv,
    head_dim: d,
    hidden_size: h.heads * d,
  }));

const validConfig: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  bertConfig,
  gpt2Config,
  llamaConfig,
);

/** Throws unless `c` is a config the engine can size things from. */
function checkAccepted(c: ModelConfig): void {
  const within = (v: number, min: number, max: number) =>
    Number.isSafeInteger(v) && v >= min && v <= max;
  const p = c.llama;
  const llamaOk =
    c.family !== 'llama' ||
    (!!p &&
      within(p.numKvHeads, 1, c.numHeads) &&
      c.numHeads % p.numKvHeads === 0 &&
      within(p.headDim, 2, B.headDim) &&
      p.headDim % 2 === 0 &&
      p.rope.theta > 0 &&
      p.rope.theta <= B.ropeTheta &&
      (p.rope.type === 'default' || (p.rope.factor > 0 && p.rope.factor <= B.ropeFactor)) &&
      (p.slidingWindow === null || within(p.slidingWindow, 1, B.slidingWindow)));
  const ok =
    llamaOk &&
    within(c.vocabSize, 1, B.vocabSize) &&
    within(c.hiddenSize, 1, B.hiddenSize) &&
    within(c.numLayers, 1, B.numLayers) &&
    within(c.numHeads, 1, B.numHeads) &&
    (c.family === 'llama' || c.hiddenSize % c.numHeads === 0) &&
    within(c.intermediateSize, 1, B.intermediateSize) &&
    within(c.maxPositions, 1, B.maxPositions) &&
    within(c.typeVocabSize, 0, B.typeVocabSize) &&
    within(c.positionOffset, 0, B.padTokenId + 1) &&
    c.layerNormEps > 0 &&
    c.layerNormEps <= B.layerNormEps &&
    (c.family === 'llama'
      ? c.activation === 'silu'
      : ['gelu', 'gelu_new', 'relu'].includes(c.activation)) &&
    typeof c.tieWordEmbeddings === 'boolean' &&
    SUPPORTED_MODEL_TYPES[c.modelType] === c.family;
  if (!ok) throw new Error(`accepted an unusable config: ${JSON.stringify(c)}`);
}

/** parseConfig on anything: a usable config, or one of the weights layer's errors. */
function parseOrReject(json: unknown): void {
  try {
    checkAccepted(parseConfig(json));
  } catch (e) {
    expectOwnError(e, [ConfigError, UnsupportedModelError]);
  }
  expectNoPollution();
}

const KEYS = [
  'model_type',
  'vocab_size',
  'hidden_size',
  'num_hidden_layers',
  'num_attention_heads',
  'intermediate_size',
  'max_position_embeddings',
  'layer_norm_eps',
  'hidden_act',
  'type_vocab_size',
  'pad_token_id',
  'tie_word_embeddings',
  'position_embedding_type',
  'n_embd',
  'n_head',
  'n_layer',
  'n_inner',
  'n_positions',
  'layer_norm_epsilon',
  'activation_function',
  'num_key_value_heads',
  'head_dim',
  'rms_norm_eps',
  'rope_theta',
  'rope_scaling',
  'rope_parameters',
  'sliding_window',
  'use_sliding_window',
  'layer_types',
  'partial_rotary_factor',
  ...PROTO_KEYS,
];

/** Configs whose every field holds a hostile value. */
const hostileConfig = fc
  .tuple(
    fc.constantFrom(...Object.keys(SUPPORTED_MODEL_TYPES), 'gemma', ''),
    fc.dictionary(fc.constantFrom(...KEYS), nastyJson, { maxKeys: 8 }),
  )
  .map(([type, fields]) => ({ model_type: type, ...fields }));

const encode = (text: string, encoding: number): Uint8Array => {
  if (encoding === 0) return new TextEncoder().encode(text);
  const out = new Uint8Array(2 + 2 * text.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0xfeff, encoding === 1);
  for (let i = 0; i < text.length; i++)
    view.setUint16(2 + 2 * i, text.charCodeAt(i), encoding === 1);
  return out;
};

describe('config.json reading under fuzzing', () => {
  it('gives the numbers a valid config holds, with defaults for the rest', () => {
    fuzz(
      fc.property(validConfig, (json) => {
        const c = parseConfig(json);
        checkAccepted(c);
        const given = (...keys: string[]) => keys.map((k) => json[k]).find((v) => v != null);
        expect(c.modelType).toBe(json.model_type);
        expect(c.hiddenSize).toBe(given('hidden_size', 'n_embd'));
        if (c.family === 'llama') {
          expect(c.llama?.numKvHeads).toBe(json.num_key_value_heads);
          expect(c.llama?.headDim).toBe(json.head_dim);
        }
        expect(c.numHeads).toBe(given('num_attention_heads', 'n_head'));
        for (const [field, keys] of [
          ['vocabSize', ['vocab_size']],
          ['numLayers', ['num_hidden_layers', 'n_layer']],
          ['intermediateSize', ['intermediate_size', 'n_inner']],
          ['maxPositions', ['max_position_embeddings', 'n_positions']],
          ['layerNormEps', ['layer_norm_eps', 'layer_norm_epsilon', 'rms_norm_eps']],
          ['tieWordEmbeddings', ['tie_word_embeddings']],
        ] as const) {
          const v = given(...keys);
          if (v !== undefined) expect(c[field]).toBe(v);
        }
        expectNoPollution();
      }),
      2000,
    );
  });

  it('reject mutated configs only with ConfigError or UnsupportedModelError', () => {
    fuzz(fc.property(mutatedJson(validConfig), parseOrReject), 3000);
  });

  it('reject hostile values and random JSON only with their own errors', () => {
    fuzz(fc.property(hostileConfig, parseOrReject), 2000);
    fuzz(fc.property(fc.jsonValue({ maxDepth: 4 }), parseOrReject), 1000);
  });

  it('read config.json files of any bytes only with ModelLoadError', async () => {
    const file = fc.oneof(
      fc.tuple(validConfig, int(0, 2)).map(([c, enc]) => encode(JSON.stringify(c), enc)),
      fc.uint8Array({ maxLength: 200 }),
    );
    await fuzzAsync(
      fc.asyncProperty(mutatedBytes(file), async (bytes) => {
        try {
          const json = await readJsonFile(
            new MemorySource('m', { 'config.json': bytes }),
            'config.json',
          );
          checkAccepted(parseConfig(json));
        } catch (e) {
          expectOwnError(e, [ModelLoadError]);
        }
        expectNoPollution();
      }),
      2000,
    );
  });
});
