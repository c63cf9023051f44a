/**
 * Puts a model's weights on the runtime's device: from a Hugging Face model folder (config.json,
 * tokenizer.json, safetensors) or from tensors already in memory.
 */
import type { Tensor } from 'onnxruntime-common';
import { type Architecture, type WeightSpec, type WeightStorage, architectures } from '../arch';
import { type InputStorage, scaleName } from '../graph/storage';
import {
  canonicalName,
  checkCheckpoint,
  missingWeights,
  missingWeightsError,
  toInputLayout,
  weightIndex,
} from '../arch/weights';
import type { Runtime } from '../runtime/runtime';
import { type CheckpointPlan, loadCheckpoint } from '../weights/checkpoint';
import { CheckpointError } from '../weights/errors';
import { decodeHalf } from '../weights/half';
import { configEosTokenId, parseConfig } from '../weights/config';
import { readJsonFile } from '../weights/files';
import { type ModelTokenizer, loadTokenizer } from '../weights/tokenizer';
import {
  type HostTensor,
  type LoadProgress,
  type ModelConfig,
  type ModelSource,
  type StoredTensor,
  isHalf,
} from '../weights/types';
import {
  type LoadedWeights,
  Model,
  type ModelWeights,
  type WeightPrecision,
  type WeightSummary,
} from './model';

/**
 * Decoded float32 bytes of one block of a 16-bit table: what a head run decodes at once (the
 * table is split by rows into blocks of at most this size, so no float32 copy of a whole
 * vocabulary-sized matrix is ever made).
 */
export const DECODE_BLOCK_BYTES = 128 * 2 ** 20;

/** Row counts of a table's blocks, or undefined when it fits one tensor (or block). */
export function rowBlocks(
  rows: number,
  rowValues: number,
  bytesPerValue: 2 | 4,
  maxTensorBytes: number,
  decodeBlockBytes = DECODE_BLOCK_BYTES,
): number[] | undefined {
  // Each block is decoded to float32 where it is read: that copy must fit a tensor too.
  let limit = maxTensorBytes;
  if (bytesPerValue === 2) limit = Math.min(limit, decodeBlockBytes);
  const rowBytes = 4 * rowValues;
  if (rows * rowBytes <= limit) return undefined;
  const perBlock = Math.floor(limit / rowBytes);
  if (perBlock < 1)
    throw new CheckpointError(
      `one row of ${rowValues} values (${rowBytes} bytes as float32) is larger than the largest ` +
        `tensor this device holds (${maxTensorBytes} bytes): the model cannot run here.`,
    );
  const count = Math.ceil(rows / perBlock);
  const base = Math.floor(rows / count);
  return Array.from({ length: count }, (_, k) => base + (k < rows % count ? 1 : 0));
}

interface Placed {
  dtype: 'float16' | 'float32';
  scale: number;
  rowBlocks?: number[];
}
import { checkWeightsFit } from './memory';

/**
 * Collects checkpoint tensors into device weights: each tensor is converted to its input's
 * layout and uploaded as soon as it arrives, so the host never holds the whole checkpoint.
 * 16-bit tensors stay 16-bit where the runtime decodes float16 (else they widen to float32);
 * a table larger than a device tensor may be (or than DECODE_BLOCK_BYTES once decoded) is
 * uploaded in row blocks. The inputs are named as the graphs' stored inputs expect
 * (src/graph/storage.ts): `word_emb.0`, `word_emb.1`, ..., `q_w.scale`.
 */
export class WeightCollector {
  private readonly index;
  readonly weights: ModelWeights;
  private readonly seen: string[] = [];
  /** Per slot (global: index 0, layer l: l + 1), how each input was placed. */
  private readonly placed: Map<string, Placed>[];
  /** Checkpoint dtype of each tensor, once the plan is known. */
  private dtypes = new Map<string, string>();
  private widenedBf16 = 0;

  constructor(
    private readonly arch: Architecture,
    private readonly cfg: ModelConfig,
    private readonly runtime: Runtime,
    private readonly precision: WeightPrecision = {},
  ) {
    this.index = weightIndex(arch, cfg);
    this.weights = { global: {}, layers: Array.from({ length: cfg.numLayers }, () => ({})) };
    this.placed = Array.from({ length: cfg.numLayers + 1 }, () => new Map());
  }

  /** Whether a checkpoint tensor is used at all (pooler, NSP head and mask buffers are not). */
  wants(name: string): boolean {
    return this.index.has(canonicalName(name));
  }

  /** Whether a checkpoint tensor becomes a table that is split by rows past the tensor limit. */
  isRowTable(name: string): boolean {
    return !!this.index.get(canonicalName(name))?.some(({ spec }) => spec.rowTable);
  }

  /** Notes the checkpoint's dtypes (from its headers), to report what could not stay 16-bit. */
  expect(plan: CheckpointPlan): void {
    this.dtypes = new Map(plan.tensors.map((t) => [t.name, t.dtype]));
  }

  /** Converts and uploads one checkpoint tensor; `file` is where it came from. */
  add(name: string, tensor: StoredTensor, file: string): void {
    const targets = this.index.get(canonicalName(name));
    if (!targets) return;
    this.seen.push(name);
    if (!isHalf(tensor) && this.dtypes.get(name) === 'BF16') this.widenedBf16++;
    for (const { spec, layer } of targets) {
      const placed = this.placed[layer === null ? 0 : layer + 1];
      if (placed.has(spec.input)) continue;
      const slot = layer === null ? this.weights.global : this.weights.layers[layer];
      placed.set(spec.input, this.place(slot, spec, toInputLayout(spec, name, tensor, file)));
    }
  }

  private place(slot: Record<string, Tensor>, spec: WeightSpec, t: StoredTensor): Placed {
    const keep16 = isHalf(t) && this.runtime.limits.float16;
    const data = isHalf(t)
      ? keep16
        ? t.half
        : decodeHalf({ bits: t.half, scale: t.scale })
      : t.data;
    const scale = keep16 && isHalf(t) ? t.scale : 1;
    const dtype = keep16 ? 'float16' : 'float32';
    const bytesPerValue = keep16 ? 2 : 4;
    const [rows, ...rest] = t.dims;
    const rowValues = rest.reduce((a, b) => a * b, 1);
    const { maxTensorBytes } = this.runtime.limits;
    const blocks = spec.rowTable
      ? rowBlocks(
          rows,
          rowValues,
          bytesPerValue,
          maxTensorBytes,
          this.runtime.limits.decodeBlockBytes,
        )
      : undefined;
    if (!blocks && 4 * data.length > maxTensorBytes)
      throw new CheckpointError(
        `weight ${spec.input} [${t.dims.join(', ')}] takes ${4 * data.length} bytes as float32, ` +
          `more than the largest tensor this device holds (${maxTensorBytes} bytes): the model ` +
          `cannot run on this backend; try WASM.`,
      );
    if (blocks) {
      let start = 0;
      blocks.forEach((n, k) => {
        const part = data.subarray(start * rowValues, (start + n) * rowValues);
        slot[`${spec.input}.${k}`] = this.runtime.upload(part, [n, ...rest]);
        start += n;
      });
    } else slot[spec.input] = this.runtime.upload(data, t.dims);
    if (scale !== 1) slot[scaleName(spec.input)] = this.runtime.upload(Float32Array.of(scale), []);
    return blocks ? { dtype, scale, rowBlocks: blocks } : { dtype, scale };
  }

  /** Frees every tensor uploaded so far. */
  dispose(): void {
    for (const slot of [this.weights.global, ...this.weights.layers])
      for (const t of Object.values(slot)) this.runtime.dispose(t);
  }

  /**
   * The weights, their storage (one per input: the block graphs serve every layer, so a block
   * input is stored alike in all layers) and a summary; an error naming what is missing when
   * some input has no tensor. A block input held at 16 bits in some layers and float32 in
   * others (a bfloat16 tensor float16 cannot hold) is widened to float32 in all, exactly.
   */
  async finish(fileName: string): Promise<LoadedWeights> {
    this.checkComplete(fileName);
    const notes: string[] = [];
    for (const spec of this.arch.blockWeights(this.cfg)) {
      const perLayer = this.placed.slice(1);
      if (new Set(perLayer.map((m) => m.get(spec.input)!.dtype)).size === 1) continue;
      for (const [l, m] of perLayer.entries())
        if (m.get(spec.input)!.dtype === 'float16')
          m.set(
            spec.input,
            await this.widen(this.weights.layers[l], spec.input, m.get(spec.input)!),
          );
      notes.push(
        `${spec.input} is float32 in every layer: float16 cannot hold some layer's values`,
      );
    }
    return this.result(notes);
  }

  /** finish() for float32 tensors only (nothing to widen), synchronously. */
  finishNow(fileName: string): LoadedWeights {
    this.checkComplete(fileName);
    for (const m of this.placed)
      for (const p of m.values())
        if (p.dtype === 'float16') throw new Error('finishNow: 16-bit weights need finish()');
    return this.result([]);
  }

  private checkComplete(fileName: string): void {
    const missing = missingWeights(this.arch, this.cfg, this.seen);
    if (missing.length) throw missingWeightsError(this.cfg, missing, fileName);
  }

  private result(notes: string[]): LoadedWeights {
    const storage: WeightStorage = {};
    for (const [input, p] of this.placed[0]) storage[input] = storageOf([p]);
    for (const spec of this.arch.blockWeights(this.cfg)) {
      const perLayer = this.placed.slice(1).map((m) => m.get(spec.input)!);
      // Scales are per layer: every layer gets one once any layer's differs from 1.
      if (perLayer.some((p) => p.scale !== 1))
        for (const [l, p] of perLayer.entries())
          if (p.scale === 1 && !this.weights.layers[l][scaleName(spec.input)])
            this.weights.layers[l][scaleName(spec.input)] = this.runtime.upload(
              Float32Array.of(1),
              [],
            );
      storage[spec.input] = storageOf(perLayer);
    }
    if (this.widenedBf16)
      notes.unshift(
        `${this.widenedBf16} bfloat16 tensor(s) kept as float32: no float16 scale holds their values exactly`,
      );
    const sixteen = [...this.dtypes.values()].some((d) => d === 'F16' || d === 'BF16');
    if (!this.runtime.limits.float16 && (sixteen || this.precision.float32As16))
      notes.unshift('weights widened to float32: this GPU has no float16 shaders (shader-f16)');
    let deviceBytes = 0;
    let float16Bytes = 0;
    for (const slot of [this.weights.global, ...this.weights.layers])
      for (const [name, t] of Object.entries(slot)) {
        if (name.endsWith('.scale')) continue;
        const bytes = t.dims.reduce((a, b) => a * b, 1) * (t.type === 'float16' ? 2 : 4);
        deviceBytes += bytes;
        if (t.type === 'float16') float16Bytes += bytes;
      }
    // Rounding changes only float32 tensors: a 16-bit checkpoint is the same with the setting on.
    const rounded = !!this.precision.float32As16 && [...this.dtypes.values()].includes('F32');
    return {
      weights: this.weights,
      storage,
      summary: { deviceBytes, float16Bytes, rounded, notes },
    };
  }

  /** Replaces a 16-bit block input of one layer by its exact float32 values. */
  private async widen(slot: Record<string, Tensor>, input: string, p: Placed): Promise<Placed> {
    const t = slot[input];
    const bits = (await this.runtime.read(t)) as Uint16Array;
    slot[input] = this.runtime.upload(decodeHalf({ bits, scale: p.scale }), t.dims);
    this.runtime.dispose(t);
    const scale = slot[scaleName(input)];
    if (scale) {
      this.runtime.dispose(scale);
      delete slot[scaleName(input)];
    }
    return { dtype: 'float32', scale: 1 };
  }
}

/** One input's storage from how it was placed in each slot holding it. */
function storageOf(placed: Placed[]): InputStorage {
  const p = placed[0];
  const s: InputStorage = { dtype: p.dtype, scaled: placed.some((q) => q.scale !== 1) };
  if (p.rowBlocks) s.rowBlocks = p.rowBlocks;
  return s;
}

export interface LoadOptions extends WeightPrecision {
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
}

/**
 * The name results and exports give a model: its source's id, marked when its float32 weights
 * were rounded to 16 bits (the numbers are not the checkpoint's, and every caption says so).
 */
export const weightsLabel = (id: string, summary: WeightSummary): string =>
  summary.rounded ? `${id} (float32 weights as 16-bit)` : id;

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
  const collector = new WeightCollector(arch, config, runtime, opts);
  try {
    await loadCheckpoint(source, (name, t: StoredTensor, file) => collector.add(name, t, file), {
      signal: opts.signal,
      onProgress: opts.onProgress,
      precision: { keep16: true, round32: !!opts.float32As16 },
      include: (name) => collector.wants(name),
      check: (plan) => {
        checkCheckpoint(arch, config, plan);
        collector.expect(plan);
        checkWeightsFit(plan, runtime, source.id, (name) => collector.isRowTable(name));
      },
    });
    const loaded = await collector.finish('the checkpoint');
    return new Model(weightsLabel(source.id, loaded.summary), config, tokenizer, runtime, loaded);
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
  const loaded = collector.finishNow(id);
  return new Model(id, config, tokenizer, runtime, loaded);
}
