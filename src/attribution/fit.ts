/**
 * Whether a model fits, and about how long one map takes, before its checkpoint is downloaded:
 * from its config (the architecture's weight shapes), the checkpoint's dtype and size, and what
 * a backend allows (WASM: its 4 GiB heap; WebGPU: the adapter's buffer limits and a
 * device-memory budget). The memory counted is what the engine holds: the weights as
 * src/model/load.ts stores them (16-bit checkpoints stay 16-bit, tables past the buffer limit
 * split by rows) and a run's working memory as the schedule sizes it (defaultMaxRows).
 */
import { architectures } from '../arch';
import type { WeightSpec } from '../arch/common';
import type { WeightDtype } from '../weights/safetensors';
import type { ModelConfig } from '../weights/types';
import { defaultMaxRows, estimateCounts, pathRowBytes } from './attribute';
import { type AttributionSettings, resolveSettings } from './settings';

/** Tokens of the prompt the estimates assume (a fact's prompt is usually 8 to 20). */
export const TYPICAL_PROMPT_TOKENS = 16;

/** A 16-bit table is decoded to float32 in blocks of at most this size (as src/model/load.ts). */
const DECODE_BLOCK_BYTES = 128 * 2 ** 20;

/** One weight: its graph input name, its values, and whether it may be split by rows. */
interface WeightShape {
  name: string;
  values: number;
  rowValues: number;
  rowTable: boolean;
}

/** What the engine would hold for a model, before any backend's limits. */
export interface Footprint {
  parameters: number;
  /** The checkpoint is stored at 16 bits (bf16 or fp16). */
  stored16: boolean;
  /** Bytes per weight value on the device: 2 when kept or rounded to 16 bits, else 4. */
  bytesPerValue: 2 | 4;
  /** The weights as the engine stores them. */
  weightBytes: number;
  /** The largest weight that cannot be split (it must fit one buffer as float32, as decoded). */
  largestWhole: { name: string; bytes: number };
  /** The largest table (split by rows where a buffer is smaller), as float32. */
  largestTable: { name: string; bytes: number; rowBytes: number };
  /** Activations of one pass of the default schedule, and its largest single tensor. */
  workingBytes: number;
  largestWorkingTensor: number;
  /** One block's weights as stored: what a block run reads. */
  blockWeightBytes: number;
  /** The largest table as stored: what a head run reads. */
  tableWeightBytes: number;
  /** float32 copies of one block's 16-bit weights and one table block, made while a run reads them. */
  decodeBytes: number;
  /** Block evaluations of one map (forward + backward) and their arithmetic, in FLOP. */
  blockEvaluations: number;
  flop: number;
}

export interface FootprintOptions {
  /** The checkpoint's dtype (config.json's torch_dtype); else told by checkpointBytes. */
  dtype?: WeightDtype;
  /** The checkpoint's size (Hub listing or index): 16-bit when under 3 bytes a parameter. */
  checkpointBytes?: number;
  /** The "load float32 weights as 16-bit" setting. */
  float32As16?: boolean;
  promptTokens?: number;
  settings?: Partial<AttributionSettings>;
}

function weightShapes(config: ModelConfig): { global: WeightShape[]; block: WeightShape[] } {
  const arch = architectures[config.family];
  const shape = (spec: WeightSpec): WeightShape => {
    const dims = spec.shape.map(Number);
    const values = dims.reduce((a, b) => a * b, 1);
    return {
      name: spec.input,
      values,
      rowValues: values / (dims[0] || 1),
      rowTable: !!spec.rowTable,
    };
  };
  return {
    global: arch.globalWeights(config).map(shape),
    block: arch.blockWeights(config).map(shape),
  };
}

/** The engine's memory and work for `config`, before any backend's limits. */
export function footprint(config: ModelConfig, opts: FootprintOptions = {}): Footprint {
  const { global, block } = weightShapes(config);
  const blockValues = block.reduce((s, w) => s + w.values, 0);
  const parameters = global.reduce((s, w) => s + w.values, 0) + config.numLayers * blockValues;
  const stored16 = opts.dtype
    ? opts.dtype !== 'F32'
    : opts.checkpointBytes !== undefined && opts.checkpointBytes < 3 * parameters;
  const sixteen = stored16 || !!opts.float32As16;
  const bytesPerValue = sixteen ? 2 : 4;
  const all = [...global, ...block];
  const by = (ws: WeightShape[]) => ws.reduce((a, b) => (b.values > a.values ? b : a), ws[0]);
  const whole = by(all.filter((w) => !w.rowTable));
  const table = by(all.filter((w) => w.rowTable));

  const settings = resolveSettings(opts.settings ?? {});
  const T = opts.promptTokens ?? TYPICAL_PROMPT_TOKENS;
  // A causal model's path rows carry one position; a masked LM's all of them.
  const causal = architectures[config.family].causal;
  const rowPositions = causal ? 1 : T;
  const rows = defaultMaxRows(config, rowPositions, settings.steps);
  const { hiddenSize: H, intermediateSize: F, vocabSize: V } = config;
  const counts = estimateCounts(config, causal, { tokens: T, slots: [T - 1] }, settings);
  // Per position through one block: the matrix products (2 FLOP per multiply-add) and attention
  // over up to T keys; a backward evaluation costs about twice its forward one.
  const tokenBlockFlop = 2 * blockValues + 4 * T * H;
  return {
    parameters,
    stored16,
    bytesPerValue,
    weightBytes: parameters * bytesPerValue,
    largestWhole: { name: whole.name, bytes: 4 * whole.values },
    largestTable: { name: table.name, bytes: 4 * table.values, rowBytes: 4 * table.rowValues },
    blockWeightBytes: blockValues * bytesPerValue,
    tableWeightBytes: table.values * bytesPerValue,
    workingBytes: rows * pathRowBytes(config, rowPositions),
    largestWorkingTensor: 4 * rows * Math.max(rowPositions * F, rowPositions * 3 * H, V),
    decodeBytes: sixteen ? 4 * blockValues + Math.min(4 * table.values, DECODE_BLOCK_BYTES) : 0,
    blockEvaluations: counts.forward + counts.backward,
    flop: tokenBlockFlop * (counts.forwardTokens + 2 * counts.backwardTokens),
  };
}

/**
 * Arithmetic per second for the estimate before a download, from npm run bench figures on a
 * 2-core machine (docs/benchmarks.md): onnxruntime-node about 70 GFLOP/s, Chromium's WASM 1.33x
 * slower (about 50 GFLOP/s with 2 threads: the mGPT-shaped map of issue 11 took 594 s); WebGPU an assumed 1 TFLOP/s (not measured here). Once
 * a model is loaded, the app's estimates come from a benchmark of this device instead.
 */
export const flopPerSecond = {
  wasm: (threads: number) => 25e9 * Math.max(1, threads),
  webgpu: 1e12,
};

/** What a backend allows. */
export type BackendLimits =
  | {
      backend: 'wasm';
      /**
       * The WASM heap (4 GiB for onnxruntime-web's wasm32 build). Weights are CPU tensors in the
       * tab's memory; each run copies its inputs (one block's weights, or the head's table) in.
       */
      heapBytes: number;
      /** The tab's memory the model may take (see memoryBudget). */
      memoryBudget: number;
      /** Arithmetic per second, for the time estimate. */
      flopPerSecond: number;
    }
  | {
      backend: 'webgpu';
      maxBufferSize: number;
      maxStorageBufferBindingSize: number;
      /** GPU memory the model may take (no browser API tells it; see memoryBudget). */
      memoryBudget: number;
      /** The adapter offers shader-f16 (else 16-bit weights are widened to float32). */
      shaderF16: boolean;
      flopPerSecond: number;
    };

/** Whether a model fits one backend, what it takes there, and why not when it does not. */
export interface Fit {
  backend: BackendLimits['backend'];
  fits: boolean;
  /** Weights + working memory (+ 16-bit decoding) on this backend. */
  totalBytes: number;
  /** The memory it must fit in. */
  limitBytes: number;
  /** Tables split by rows to fit a buffer (WebGPU), e.g. "word_emb in 3 blocks". */
  splitTables: string[];
  /** What does not fit, each with what to do. */
  problems: string[];
  /** About how long one map takes here. */
  mapSeconds: number;
}

const gib = (b: number) => `${(b / 2 ** 30).toFixed(b < 2 ** 30 ? 2 : 1)} GiB`;
const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;

/** How `print` fares on `limits`. */
export function fitOn(print: Footprint, limits: BackendLimits): Fit {
  const problems: string[] = [];
  const splitTables: string[] = [];
  // Without shader-f16, WebGPU widens 16-bit weights to float32 (src/model/load.ts).
  const widened = limits.backend === 'webgpu' && !limits.shaderF16 && print.bytesPerValue === 2;
  const weightBytes = widened ? print.weightBytes * 2 : print.weightBytes;
  const decodeBytes = widened ? 0 : print.decodeBytes;
  let totalBytes = weightBytes + print.workingBytes + decodeBytes;
  const limitBytes = limits.memoryBudget;
  const overBudget = (where: string, otherFix?: string) => {
    const fixes = [print.bytesPerValue === 4 ? 'load the float32 weights as 16-bit' : '', otherFix];
    const fix = fixes.filter(Boolean).join(', or ');
    problems.push(
      `weights and working memory take ${gib(totalBytes)}, more than the ${gib(limitBytes)} ` +
        where +
        (fix ? `: ${fix}` : ''),
    );
  };
  if (limits.backend === 'wasm') {
    // A block's run or the head's: its weights (decoded to float32 in the heap when 16-bit).
    const block = print.blockWeightBytes * (print.bytesPerValue === 2 ? 3 : 1);
    const head = print.tableWeightBytes + (print.bytesPerValue === 2 ? DECODE_BLOCK_BYTES : 0);
    const run = Math.max(block, head) + print.workingBytes;
    if (run > limits.heapBytes)
      problems.push(
        `one run's weights and activations take ${gib(run)}, more than the ${gib(limits.heapBytes)} ` +
          'WASM heap' +
          (print.bytesPerValue === 4 ? ': load the float32 weights as 16-bit' : ''),
      );
    totalBytes = weightBytes + run;
    if (totalBytes > limitBytes) overBudget('this tab may use');
  } else {
    const buffer = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
    if (print.largestWhole.bytes > buffer)
      problems.push(
        `weight ${print.largestWhole.name} takes ${mib(print.largestWhole.bytes)} as float32, ` +
          `more than this GPU's largest buffer (${mib(buffer)}): use WASM`,
      );
    if (print.largestTable.rowBytes > buffer)
      problems.push(
        `one row of ${print.largestTable.name} is larger than this GPU's largest buffer: use WASM`,
      );
    else if (print.largestTable.bytes > buffer)
      splitTables.push(
        `${print.largestTable.name} in ${Math.ceil(print.largestTable.bytes / buffer)} blocks`,
      );
    if (print.largestWorkingTensor > buffer)
      problems.push(
        `a run's largest activation takes ${mib(print.largestWorkingTensor)}, more than this ` +
          `GPU's largest buffer (${mib(buffer)}): use WASM`,
      );
    if (totalBytes > limitBytes) overBudget('of GPU memory this browser may use', 'use WASM');
  }
  return {
    backend: limits.backend,
    fits: problems.length === 0,
    totalBytes,
    limitBytes,
    splitTables,
    problems,
    mapSeconds: print.flop / limits.flopPerSecond,
  };
}

/**
 * Memory a page may plan on; no browser API tells it, so from `navigator.deviceMemory` (GiB, a
 * lower bound: browsers report at most 8): the tab (WASM) that much, the GPU (WebGPU) half of it
 * (integrated GPUs share the memory); 4 and 2 GiB when it is unknown.
 */
export function memoryBudget(backend: 'wasm' | 'webgpu', deviceMemoryGiB?: number): number {
  const known = deviceMemoryGiB !== undefined && deviceMemoryGiB > 0 ? deviceMemoryGiB : 4;
  return (backend === 'wasm' ? known : known / 2) * 2 ** 30;
}

/** The verdict before a download: the footprint, each backend's fit, and the one to use. */
export interface FitReport {
  footprint: Footprint;
  fits: Fit[];
  /** The first backend (in the order given) the model fits, if any. */
  best?: Fit;
  /** When it fits nowhere as float32 but would as 16-bit: the setting helps. */
  sixteenBitHelps: boolean;
}

export function fitReport(
  config: ModelConfig,
  backends: BackendLimits[],
  opts: FootprintOptions = {},
): FitReport {
  const print = footprint(config, opts);
  const fits = backends.map((b) => fitOn(print, b));
  const best = fits.find((f) => f.fits);
  const sixteenBitHelps =
    !best &&
    print.bytesPerValue === 4 &&
    backends.some((b) => fitOn(footprint(config, { ...opts, float32As16: true }), b).fits);
  return { footprint: print, fits, best, sixteenBitHelps };
}
