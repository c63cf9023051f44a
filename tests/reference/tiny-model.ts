/**
 * A tiny random model with a real tokenizer (src/weights/fixtures), loaded into the engine: the
 * shared setup of the engine and analysis tests.
 */
import { readFileSync } from 'node:fs';
import { type Model, modelFromTensors } from '../../src/model';
import { createNodeRuntime } from '../../src/runtime/node';
import type { Runtime } from '../../src/runtime/runtime';
import { type ModelTokenizer, loadTokenizer } from '../../src/weights/tokenizer';
import type { HostTensor, ModelConfig } from '../../src/weights/types';
import { type TinyModelType, randomModel, tinyConfig } from './random-model';

const TOKENIZER_FIXTURE: Record<TinyModelType, string> = {
  bert: 'bert',
  roberta: 'xlmr',
  'xlm-roberta': 'xlmr',
  gpt2: 'gpt2',
};

export function fixtureTokenizer(type: TinyModelType): ModelTokenizer {
  const url = new URL(
    `../../src/weights/fixtures/${TOKENIZER_FIXTURE[type]}-tokenizer.json`,
    import.meta.url,
  );
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
