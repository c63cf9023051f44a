import { describe, expect, it } from 'vitest';
import { CONFIG_BOUNDS, parseConfig } from './config';
import { ConfigError, ModelLoadError, UnsupportedModelError } from './errors';

// Abridged from the published config.json files.
const MBERT = {
  architectures: ['BertForMaskedLM'],
  attention_probs_dropout_prob: 0.1,
  directionality: 'bidi',
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 512,
  model_type: 'bert',
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 0,
  type_vocab_size: 2,
  vocab_size: 119547,
};

const XLMR = {
  architectures: ['XLMRobertaForMaskedLM'],
  bos_token_id: 0,
  eos_token_id: 2,
  hidden_act: 'gelu',
  hidden_size: 768,
  intermediate_size: 3072,
  layer_norm_eps: 1e-5,
  max_position_embeddings: 514,
  model_type: 'xlm-roberta',
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 1,
  type_vocab_size: 1,
  vocab_size: 250002,
};

const MGPT = {
  activation_function: 'gelu_new',
  architectures: ['GPT2LMHeadModel'],
  bos_token_id: 50256,
  eos_token_id: 50256,
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_ctx: 2048,
  n_embd: 2048,
  n_head: 16,
  n_inner: null,
  n_layer: 24,
  n_positions: 2048,
  vocab_size: 100000,
};

describe('parseConfig', () => {
  it('reads a BERT config', () => {
    expect(parseConfig(MBERT)).toEqual({
      family: 'bert',
      modelType: 'bert',
      vocabSize: 119547,
      hiddenSize: 768,
      numLayers: 12,
      numHeads: 12,
      intermediateSize: 3072,
      maxPositions: 512,
      layerNormEps: 1e-12,
      activation: 'gelu',
      typeVocabSize: 2,
      positionOffset: 0,
      tieWordEmbeddings: true,
    });
  });

  it('gives XLM-R and RoBERTa the padding_idx + 1 position offset', () => {
    const c = parseConfig(XLMR);
    expect(c).toMatchObject({
      family: 'bert',
      modelType: 'xlm-roberta',
      positionOffset: 2,
      typeVocabSize: 1,
    });
    expect(c.maxPositions).toBe(514);
    expect(c.layerNormEps).toBe(1e-5);
    expect(parseConfig({ ...XLMR, model_type: 'roberta', pad_token_id: 0 }).positionOffset).toBe(1);
    expect(parseConfig({ model_type: 'roberta' }).positionOffset).toBe(2); // RobertaConfig pads with 1
    expect(parseConfig({ ...XLMR, model_type: 'camembert' }).family).toBe('bert');
  });

  it('reads a GPT-2 (mGPT) config, n_inner null meaning 4 * n_embd', () => {
    expect(parseConfig(MGPT)).toEqual({
      family: 'gpt2',
      modelType: 'gpt2',
      vocabSize: 100000,
      hiddenSize: 2048,
      numLayers: 24,
      numHeads: 16,
      intermediateSize: 8192,
      maxPositions: 2048,
      layerNormEps: 1e-5,
      activation: 'gelu_new',
      typeVocabSize: 0,
      positionOffset: 0,
      tieWordEmbeddings: true,
    });
    expect(parseConfig({ ...MGPT, n_inner: 1000, tie_word_embeddings: false })).toMatchObject({
      intermediateSize: 1000,
      tieWordEmbeddings: false,
    });
  });

  it('fills omitted fields with the transformers defaults', () => {
    expect(parseConfig({ model_type: 'gpt2' })).toMatchObject({
      vocabSize: 50257,
      hiddenSize: 768,
      numLayers: 12,
      intermediateSize: 3072,
      maxPositions: 1024,
      activation: 'gelu_new',
    });
    expect(parseConfig({ model_type: 'bert' })).toMatchObject({
      vocabSize: 30522,
      layerNormEps: 1e-12,
    });
  });

  it('maps gelu_pytorch_tanh to the gelu_new formula', () => {
    expect(parseConfig({ ...MBERT, hidden_act: 'gelu_pytorch_tanh' }).activation).toBe('gelu_new');
    expect(parseConfig({ ...MBERT, hidden_act: 'relu' }).activation).toBe('relu');
  });

  it('rejects unsupported model types, listing the supported ones', () => {
    for (const config of [{ ...MBERT, model_type: 'gemma' }, { hidden_size: 8 }]) {
      expect(() => parseConfig(config)).toThrow(UnsupportedModelError);
    }
    expect(() => parseConfig({ model_type: 'gemma' })).toThrow(
      'config.json: model_type "gemma" is not supported; supported model types: bert, roberta, ' +
        'xlm-roberta, camembert, gpt2, llama, mistral, qwen2, qwen3 (BERT/mBERT, ' +
        'RoBERTa/XLM-R/CamemBERT, GPT-2/mGPT, Llama/Mistral/Qwen2/Qwen3). Pick a model of one ' +
        'of these types.',
    );
    expect(() => parseConfig({})).toThrow(/config without model_type is not supported/);
  });

  it('rejects unsupported activations, listing the supported ones', () => {
    expect(() => parseConfig({ ...MBERT, hidden_act: 'silu' }, 'models/x/config.json')).toThrow(
      'models/x/config.json: activation hidden_act "silu" is not supported; supported activations: ' +
        'gelu, gelu_new, gelu_pytorch_tanh, relu. Pick a model that uses one of these.',
    );
    const error = (() => {
      try {
        parseConfig({ ...MGPT, activation_function: 'swish' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnsupportedModelError);
    expect((error as Error).name).toBe('UnsupportedModelError');
    expect((error as UnsupportedModelError).file).toBe('config.json');
  });

  it('rejects architecture options the engine does not implement', () => {
    expect(() => parseConfig({ ...MBERT, position_embedding_type: 'relative_key' })).toThrow(
      /bert models with position_embedding_type "relative_key" are not supported/,
    );
    expect(() => parseConfig({ ...MGPT, scale_attn_by_inverse_layer_idx: true })).toThrow(
      UnsupportedModelError,
    );
    expect(() => parseConfig({ ...MGPT, scale_attn_weights: false })).toThrow(
      UnsupportedModelError,
    );
  });

  it('rejects invalid values, naming the field', () => {
    expect(() => parseConfig({ ...MBERT, hidden_size: '768' })).toThrow(
      'config.json: "hidden_size" is "768", but it must be a positive integer; the config is ' +
        'damaged or not from a Hugging Face bert model, download it again.',
    );
    expect(() => parseConfig({ ...MBERT, layer_norm_eps: -1 })).toThrow(ConfigError);
    expect(() => parseConfig({ ...MBERT, hidden_size: 100 })).toThrow(
      /hidden_size 100 is not divisible by num_attention_heads 12/,
    );
    expect(() => parseConfig([1])).toThrow(/config\.json is not a JSON object/);
  });

  it('quotes hostile values briefly, however long or deeply nested (found by fuzzing)', () => {
    const deep = JSON.parse('['.repeat(20000) + ']'.repeat(20000)) as unknown;
    expect(() => parseConfig({ ...MBERT, hidden_size: deep })).toThrow(
      'config.json: "hidden_size" is [a deeply nested list], but it must be a positive integer',
    );
    const long = (e: unknown) => (e as Error).message.length;
    for (const config of [
      { ...MBERT, model_type: 'x'.repeat(1_000_000) },
      { ...MBERT, hidden_act: 'x'.repeat(1_000_000) },
      { ...MBERT, position_embedding_type: 'x'.repeat(1_000_000) },
      { ...MBERT, vocab_size: 'x'.repeat(1_000_000) },
    ]) {
      const error = (() => {
        try {
          parseConfig(config);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ModelLoadError);
      expect(long(error)).toBeLessThan(500);
    }
  });

  it('accepts the numbers of the largest real models', () => {
    // XLM-R XXL, and a GPT-2-shaped model of Llama-3-70B's sizes.
    const xxl = {
      ...XLMR,
      hidden_size: 4096,
      num_hidden_layers: 48,
      num_attention_heads: 32,
      intermediate_size: 16384,
      vocab_size: 250880,
    };
    expect(parseConfig(xxl)).toMatchObject({ hiddenSize: 4096, numLayers: 48, vocabSize: 250880 });
    const big = { ...MGPT, n_embd: 8192, n_layer: 80, n_head: 64, n_inner: 28672 };
    expect(parseConfig({ ...big, vocab_size: 128256, n_positions: 8192 })).toMatchObject({
      hiddenSize: 8192,
      numLayers: 80,
      intermediateSize: 28672,
    });
    const atBounds = {
      ...MGPT,
      n_embd: CONFIG_BOUNDS.hiddenSize,
      n_head: CONFIG_BOUNDS.numHeads,
      n_layer: CONFIG_BOUNDS.numLayers,
      n_inner: null, // 4 * n_embd, exactly the bound
      vocab_size: CONFIG_BOUNDS.vocabSize,
      n_positions: CONFIG_BOUNDS.maxPositions,
      layer_norm_epsilon: CONFIG_BOUNDS.layerNormEps,
    };
    expect(parseConfig(atBounds).intermediateSize).toBe(CONFIG_BOUNDS.intermediateSize);
  });

  it('rejects absurd sizes before anything is sized from them, naming field, value and bound', () => {
    expect(() => parseConfig({ ...MBERT, num_hidden_layers: 1_000_000_000 })).toThrow(
      'config.json: "num_hidden_layers" is 1000000000, but this app accepts at most 256 (real ' +
        'models stay far below it); the config is damaged or not of a model this app can run: ' +
        'download it again, or pick another model.',
    );
    const over: [Record<string, unknown>, string, number][] = [
      [MBERT, 'vocab_size', CONFIG_BOUNDS.vocabSize],
      [MBERT, 'hidden_size', CONFIG_BOUNDS.hiddenSize],
      [MBERT, 'num_attention_heads', CONFIG_BOUNDS.numHeads],
      [MBERT, 'intermediate_size', CONFIG_BOUNDS.intermediateSize],
      [MBERT, 'max_position_embeddings', CONFIG_BOUNDS.maxPositions],
      [MBERT, 'type_vocab_size', CONFIG_BOUNDS.typeVocabSize],
      [XLMR, 'pad_token_id', CONFIG_BOUNDS.padTokenId],
      [MGPT, 'n_embd', CONFIG_BOUNDS.hiddenSize],
      [MGPT, 'n_head', CONFIG_BOUNDS.numHeads],
      [MGPT, 'n_layer', CONFIG_BOUNDS.numLayers],
      [MGPT, 'n_inner', CONFIG_BOUNDS.intermediateSize],
      [MGPT, 'n_positions', CONFIG_BOUNDS.maxPositions],
      [MGPT, 'vocab_size', CONFIG_BOUNDS.vocabSize],
    ];
    for (const [base, key, bound] of over) {
      const value = bound + 1;
      expect(() => parseConfig({ ...base, [key]: value })).toThrow(
        `"${key}" is ${value}, but this app accepts at most ${bound} (`,
      );
    }
    expect(() => parseConfig({ ...MBERT, layer_norm_eps: 5 })).toThrow(
      '"layer_norm_eps" is 5, but this app accepts at most 1 (a larger variance floor would ' +
        'flatten every normalisation)',
    );
    expect(() => parseConfig({ ...MBERT, intermediate_size: 1e9 })).toThrow(ConfigError);
  });
});
