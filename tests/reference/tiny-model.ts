/**
 * A tiny random model with a real tokenizer (src/weights/fixtures), loaded into the engine: the
 * shared setup of the engine and analysis tests.
 */
import { readFileSync } from 'node:fs';
import { type Model, modelFromTensors } from '../../src/model';
import { createNodeRuntime } from '../../src/runtime/node';
import type { Runtime } from '../../src/runtime/runtime';
import { parseConfig } from '../../src/weights/config';
import { type ModelTokenizer, loadTokenizer } from '../../src/weights/tokenizer';
import type { HostTensor, ModelConfig } from '../../src/weights/types';
import type { LlamaConfigJson } from './llama-config';
import {
  type TinyLlamaVariant,
  type TinyModelType,
  randomLlamaModel,
  randomModel,
  tinyConfig,
  tinyLlamaConfig,
} from './random-model';

const TOKENIZER_FIXTURE: Record<TinyModelType, string> = {
  bert: 'bert',
  roberta: 'xlmr',
  'xlm-roberta': 'xlmr',
  gpt2: 'gpt2',
};

export function fixtureTokenizer(type: TinyModelType | 'llama3' | 'qwen2'): ModelTokenizer {
  const name = type === 'llama3' || type === 'qwen2' ? type : TOKENIZER_FIXTURE[type];
  const url = new URL(`../../src/weights/fixtures/${name}-tokenizer.json`, import.meta.url);
  return loadTokenizer(JSON.parse(readFileSync(url, 'utf8')));
}

export interface TinyModelOptions {
  seed?: number;
  /** Weight scale; tiny models want ~0.5 so predictions are far from uniform. */
  std?: number;
  overrides?: Partial<ModelConfig>;
  runtime?: Runtime;
  /** Changes the HF tensors before they are loaded (e.g. to plant a known edit). */
  editWeights?: (weights: Map<string, HostTensor>) => void;
}

export interface TinyModel {
  model: Model;
  weights: Map<string, HostTensor>;
  config: ModelConfig;
  tokenizer: ModelTokenizer;
}

let defaultRuntime: Runtime | undefined;

export function tinyModel(type: TinyModelType, opts: TinyModelOptions = {}): TinyModel {
  const tokenizer = fixtureTokenizer(type);
  const config = tinyConfig(type, {
    vocabSize: tokenizer.vocabSize,
    maxPositions: 32,
    ...opts.overrides,
  });
  const weights = randomModel(config, opts.seed ?? 7, { std: opts.std ?? 0.6 });
  opts.editWeights?.(weights);
  const runtime = opts.runtime ?? (defaultRuntime ??= createNodeRuntime({ threads: 1 }));
  const model = modelFromTensors(`tiny-${type}`, config, tokenizer, runtime, weights);
  return { model, weights, config, tokenizer };
}

export interface TinyLlamaModel extends TinyModel {
  /** The raw config.json the reference (llamaForward) reads. */
  configJson: LlamaConfigJson;
}

/**
 * A tiny LLaMA-family model of one variant (tests/reference/random-model.ts), with the Llama 3
 * tokenizer fixture (which adds a beginning-of-sequence token) for llama and mistral variants
 * and the Qwen one (which adds none) for qwen2 and qwen3. `overrides` change config.json.
 */
export function tinyLlamaModel(
  variant: TinyLlamaVariant,
  opts: Omit<TinyModelOptions, 'overrides'> & { overrides?: Partial<LlamaConfigJson> } = {},
): TinyLlamaModel {
  const tokenizer = fixtureTokenizer(variant.startsWith('qwen') ? 'qwen2' : 'llama3');
  const configJson = tinyLlamaConfig(variant, {
    vocab_size: tokenizer.vocabSize,
    ...opts.overrides,
  });
  const config = parseConfig(configJson);
  const weights = randomLlamaModel(configJson, opts.seed ?? 7, { std: opts.std ?? 0.5 });
  opts.editWeights?.(weights);
  const runtime = opts.runtime ?? (defaultRuntime ??= createNodeRuntime({ threads: 1 }));
  const model = modelFromTensors(`tiny-${variant}`, config, tokenizer, runtime, weights);
  return { model, weights, config, tokenizer, configJson };
}
