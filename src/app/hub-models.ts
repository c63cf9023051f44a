/**
 * The Hub models the explorer supports, with what each takes before its download: the weight
 * shapes of its published config.json (the fields the engine reads, as the Hub serves them), its
 * checkpoint's dtype, and from those the parameters, the download, the memory and the time per
 * map, all computed by the same code as "Size and time first" (src/attribution/fit.ts).
 */
import { type BackendLimits, type Fit, fitReport } from '../attribution/fit';
import { configDtype } from '../weights/checkpoint-size';
import { parseConfig } from '../weights/config';
import type { WeightDtype } from '../weights/safetensors';

export interface HubModelEntry {
  /** The Hub repository. */
  id: string;
  title: string;
  /** Access must be requested on the model page; downloads need a Hugging Face token. */
  gated: boolean;
  /**
   * config.json as published (the fields of the model's architecture and tokens). The benchmark
   * presets of random-weight models of the same shapes are these (scripts/lib/model-presets.ts).
   */
  config: Record<string, unknown>;
  /**
   * The checkpoint's dtype where config.json names none (the older models' safetensors files
   * are float32).
   */
  dtype?: WeightDtype;
}

export const HUB_MODELS: readonly HubModelEntry[] = [
  {
    id: 'google-bert/bert-base-multilingual-cased',
    title: 'mBERT',
    gated: false,
    dtype: 'F32',
    config: {
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
    },
  },
  {
    id: 'FacebookAI/xlm-roberta-base',
    title: 'XLM-R base',
    gated: false,
    dtype: 'F32',
    config: {
      architectures: ['XLMRobertaForMaskedLM'],
      attention_probs_dropout_prob: 0.1,
      bos_token_id: 0,
      eos_token_id: 2,
      hidden_act: 'gelu',
      hidden_dropout_prob: 0.1,
      hidden_size: 768,
      initializer_range: 0.02,
      intermediate_size: 3072,
      layer_norm_eps: 1e-5,
      max_position_embeddings: 514,
      model_type: 'xlm-roberta',
      num_attention_heads: 12,
      num_hidden_layers: 12,
      pad_token_id: 1,
      position_embedding_type: 'absolute',
      type_vocab_size: 1,
      vocab_size: 250002,
    },
  },
  {
    id: 'ai-forever/mGPT',
    title: 'mGPT',
    gated: false,
    dtype: 'F32',
    config: {
      activation_function: 'gelu_new',
      architectures: ['GPT2LMHeadModel'],
      attn_pdrop: 0.1,
      embd_pdrop: 0.1,
      initializer_range: 0.02,
      layer_norm_epsilon: 1e-5,
      model_type: 'gpt2',
      n_ctx: 2048,
      n_embd: 2048,
      n_head: 16,
      n_inner: null,
      n_layer: 24,
      n_positions: 2048,
      resid_pdrop: 0.1,
      vocab_size: 100000,
    },
  },
  {
    id: 'openai-community/gpt2',
    title: 'GPT-2',
    gated: false,
    dtype: 'F32',
    config: {
      activation_function: 'gelu_new',
      architectures: ['GPT2LMHeadModel'],
      attn_pdrop: 0.1,
      bos_token_id: 50256,
      embd_pdrop: 0.1,
      eos_token_id: 50256,
      initializer_range: 0.02,
      layer_norm_epsilon: 1e-5,
      model_type: 'gpt2',
      n_ctx: 1024,
      n_embd: 768,
      n_head: 12,
      n_layer: 12,
      n_positions: 1024,
      resid_pdrop: 0.1,
      vocab_size: 50257,
    },
  },
  {
    id: 'Qwen/Qwen2.5-0.5B',
    title: 'Qwen2.5-0.5B',
    gated: false,
    config: {
      architectures: ['Qwen2ForCausalLM'],
      attention_dropout: 0,
      bos_token_id: 151643,
      eos_token_id: 151643,
      hidden_act: 'silu',
      hidden_size: 896,
      initializer_range: 0.02,
      intermediate_size: 4864,
      max_position_embeddings: 32768,
      max_window_layers: 24,
      model_type: 'qwen2',
      num_attention_heads: 14,
      num_hidden_layers: 24,
      num_key_value_heads: 2,
      rms_norm_eps: 1e-6,
      rope_theta: 1000000,
      sliding_window: 32768,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
      use_cache: true,
      use_mrope: false,
      use_sliding_window: false,
      vocab_size: 151936,
    },
  },
  {
    id: 'Qwen/Qwen3-0.6B',
    title: 'Qwen3-0.6B',
    gated: false,
    config: {
      architectures: ['Qwen3ForCausalLM'],
      attention_bias: false,
      attention_dropout: 0,
      bos_token_id: 151643,
      eos_token_id: 151645,
      head_dim: 128,
      hidden_act: 'silu',
      hidden_size: 1024,
      initializer_range: 0.02,
      intermediate_size: 3072,
      max_position_embeddings: 40960,
      max_window_layers: 28,
      model_type: 'qwen3',
      num_attention_heads: 16,
      num_hidden_layers: 28,
      num_key_value_heads: 8,
      rms_norm_eps: 1e-6,
      rope_scaling: null,
      rope_theta: 1000000,
      sliding_window: null,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
      use_cache: true,
      use_sliding_window: false,
      vocab_size: 151936,
    },
  },
  {
    id: 'meta-llama/Llama-3.2-1B',
    title: 'Llama-3.2-1B',
    gated: true,
    config: {
      architectures: ['LlamaForCausalLM'],
      attention_bias: false,
      attention_dropout: 0,
      bos_token_id: 128000,
      eos_token_id: 128001,
      head_dim: 64,
      hidden_act: 'silu',
      hidden_size: 2048,
      initializer_range: 0.02,
      intermediate_size: 8192,
      max_position_embeddings: 131072,
      mlp_bias: false,
      model_type: 'llama',
      num_attention_heads: 32,
      num_hidden_layers: 16,
      num_key_value_heads: 8,
      pretraining_tp: 1,
      rms_norm_eps: 1e-5,
      rope_scaling: {
        factor: 32,
        high_freq_factor: 4,
        low_freq_factor: 1,
        original_max_position_embeddings: 8192,
        rope_type: 'llama3',
      },
      rope_theta: 500000,
      tie_word_embeddings: true,
      torch_dtype: 'bfloat16',
      use_cache: true,
      vocab_size: 128256,
    },
  },
];

export interface HubModelFigures {
  parameters: number;
  dtype: WeightDtype;
  /** The safetensors download: every parameter at its dtype's width. */
  downloadBytes: number;
  /** The weights as the engine holds them. */
  weightBytes: number;
  /** Each backend's fit and time per map. */
  fits: Fit[];
}

const WIDTH: Record<WeightDtype, number> = { F32: 4, F16: 2, BF16: 2 };

/** A listed model's figures on `backends`, from its config by the fit code. */
export function hubModelFigures(
  entry: HubModelEntry,
  backends: BackendLimits[],
  opts: { float32As16?: boolean } = {},
): HubModelFigures {
  const config = parseConfig(entry.config);
  const dtype = configDtype(entry.config) ?? entry.dtype ?? 'F32';
  const report = fitReport(config, backends, { dtype, float32As16: opts.float32As16 });
  const f = report.footprint;
  return {
    parameters: f.parameters,
    dtype,
    downloadBytes: f.parameters * WIDTH[dtype],
    weightBytes: f.weightBytes,
    fits: report.fits,
  };
}
