/**
 * Puts a model's weights on the runtime's device: from a Hugging Face model folder (config.json,
 * tokenizer.json, safetensors) or from tensors already in memory.
 */
import { type Architecture, architectures } from '../arch';
import {
  canonicalName,
  checkCheckpoint,
  missingWeights,
  missingWeightsError,
  toInputLayout,
  weightIndex,
} from '../arch/weights';
import type { Runtime } from '../runtime/runtime';
import { loadCheckpoint } from '../weights/checkpoint';
import { configEosTokenId, parseConfig } from '../weights/config';
import { readJsonFile } from '../weights/files';
import { type ModelTokenizer, loadTokenizer } from '../weights/tokenizer';
import type { HostTensor, LoadProgress, ModelConfig, ModelSource } from '../weights/types';
import { Model, type ModelWeights } from './model';

/**
 * Collects checkpoint tensors into device weights: each tensor is converted to its input's
 * layout and uploaded as soon as it arrives, so the host never holds the whole checkpoint.
 */
export class WeightCollector {
  private readonly index;
  readonly weights: ModelWeights;
  private readonly seen: string[] = [];

  constructor(
    private readonly arch: Architecture,
    private readonly cfg: ModelConfig,
    private readonly runtime: Runtime,
  ) {
    this.index = weightIndex(arch, cfg);
    this.weights = { global: {}, layers: Array.from({ length: cfg.numLayers }, () => ({})) };
  }

  /** Whether a checkpoint tensor is used at all (pooler, NSP head and mask buffers are not). */
  wants(name: string): boolean {
    return this.index.has(canonicalName(name));
  }

  /** Converts and uploads one checkpoint tensor; `file` is where it came from. */
  add(name: string, tensor: HostTensor, file: string): void {
    const targets = this.index.get(canonicalName(name));
    if (!targets) return;
    this.seen.push(name);
    for (const { spec, layer } of targets) {
      const t = toInputLayout(spec, name, tensor, file);
      const slot = layer === null ? this.weights.global : this.weights.layers[layer];
      if (!slot[spec.input]) slot[spec.input] = this.runtime.upload(t.data, t.dims);
    }
  }

  /** Frees every tensor uploaded so far. */
  dispose(): void {
    for (const slot of [this.weights.global, ...this.weights.layers])
      for (const t of Object.values(slot)) this.runtime.dispose(t);
  }

  /** The weights, once every input has a tensor; otherwise an error naming what is missing. */
  finish(fileName: string): ModelWeights {
    const missing = missingWeights(this.arch, this.cfg, this.seen);
    if (missing.length) throw missingWeightsError(this.cfg, missing, fileName);
    return this.weights;
  }
}

export interface LoadOptions {
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
}

/** Loads a Hugging Face model folder (config.json, tokenizer.json, safetensors) onto a runtime. */
export async function loadModel(
  source: ModelSource,
  runtime: Runtime,
  opts: LoadOptions = {},
): Promise<Model> {
  const configJson = await readJsonFile(source, 'config.json');
  const config = parseConfig(configJson);
  const tokenizerConfig = (await source.has('tokenizer_config.json'))
    ? await readJsonFile(source, 'tokenizer_config.json')
    : undefined;
  const tokenizer = loadTokenizer(await readJsonFile(source, 'tokenizer.json'), tokenizerConfig, {
    eosTokenId: configEosTokenId(configJson),
  });
  const arch = architectures[config.family];
  const collector = new WeightCollector(arch, config, runtime);
  try {
    await loadCheckpoint(source, (name, t, file) => collector.add(name, t, file), {
      ...opts,
      include: (name) => collector.wants(name),
      check: (plan) => checkCheckpoint(arch, config, plan),
    });
    return new Model(source.id, config, tokenizer, runtime, collector.finish('the checkpoint'));
  } catch (e) {
    collector.dispose(); // a failed or cancelled load must not keep device memory
    throw e;
  }
}

/** A model from tensors already in memory (generated models and tests). */
export function modelFromTensors(
  id: string,
  config: ModelConfig,
  tokenizer: ModelTokenizer,
  runtime: Runtime,
  tensors: Iterable<[string, HostTensor]>,
): Model {
  const collector = new WeightCollector(architectures[config.family], config, runtime);
  for (const [name, t] of tensors) collector.add(name, t, id);
  return new Model(id, config, tokenizer, runtime, collector.finish(id));
}
