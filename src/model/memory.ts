/**
 * Whether a checkpoint's weights fit the runtime's memory, decided from the headers alone, so
 * that a model too large for the device is refused before it is downloaded or allocated (the
 * tab would otherwise crash or fail deep inside onnxruntime).
 */
import type { Runtime } from '../runtime/runtime';
import type { CheckpointPlan } from '../weights/checkpoint';
import { MAX_RESIDENT_BYTES } from './resident';

/** The weights are held as 32-bit floats on the device, whatever their stored dtype. */
const DEVICE_BYTES_PER_VALUE = 4;

/** A model or a run that does not fit the device's memory; the message says what to try. */
export class OutOfMemoryError extends Error {
  override name = 'OutOfMemoryError';
}

const GIB = 2 ** 30;
const size = (bytes: number) =>
  bytes >= GIB
    ? `${(bytes / GIB).toFixed(1)} GiB`
    : bytes >= 2 ** 20
      ? `${(bytes / 2 ** 20).toFixed(1)} MiB`
      : `${bytes.toLocaleString('en')} bytes`;

const valuesOf = (shape: readonly number[]) => shape.reduce((n, d) => n * d, 1);

/** A layer's index in a tensor's name ("h.3.mlp.c_fc.weight", "encoder.layer.3.output..."). */
const LAYER = /\.(\d+)\./;

/**
 * The most the WASM heap must hold of the weights at once, as a description and a count of
 * values: the graphs run one block at a time and each is fed its own weights, so the weights of
 * one layer together, or one tensor outside the layers (the embeddings, which the head reads).
 * Where the global weights are held in the heap by their own session (`resident`:
 * src/model/resident.ts), they stay there while each layer's weights are fed.
 */
function largestFeed(plan: CheckpointPlan, resident: boolean): [string, number] {
  const layers = new Map<string, number>();
  let global: [string, number] = ['no tensor', 0];
  let globalValues = 0;
  for (const t of plan.tensors) {
    const layer = LAYER.exec(t.name)?.[1];
    if (layer === undefined) {
      // Only float32 weights are held (16-bit ones stay inputs: src/model/resident.ts).
      if (t.dtype !== 'F32') resident = false;
      globalValues += valuesOf(t.shape);
      if (valuesOf(t.shape) > global[1]) global = [`its tensor ${t.name}`, valuesOf(t.shape)];
    } else layers.set(layer, (layers.get(layer) ?? 0) + valuesOf(t.shape));
  }
  let layer: [string, number] = ['no layer', 0];
  for (const [name, values] of layers)
    if (values > layer[1]) layer = [`the weights of layer ${name}`, values];
  if (resident && globalValues * DEVICE_BYTES_PER_VALUE <= MAX_RESIDENT_BYTES)
    return [
      `the weights outside the layers, which stay in it, and ${layer[0]}`,
      globalValues + layer[1],
    ];
  return global[1] > layer[1] ? global : layer;
}

/**
 * Throws an OutOfMemoryError naming the model (`modelId`), the backend and what to try when
 * the checkpoint's weights cannot fit the runtime: under WebGPU a tensor larger than the GPU's
 * largest buffer (tables, `isRowTable`, are split by rows instead), under WASM a block's weights
 * larger than the heap. Both are necessary conditions only: what a run needs beyond the weights
 * depends on the prompt and the settings.
 */
export function checkWeightsFit(
  plan: CheckpointPlan,
  runtime: Pick<Runtime, 'info' | 'limits'>,
  modelId: string,
  isRowTable: (name: string) => boolean = () => false,
): void {
  const { maxTensorBytes, heapBytes } = runtime.limits;
  if (runtime.info.backend === 'webgpu') {
    const largest = plan.tensors
      .filter((t) => !isRowTable(t.name))
      .reduce<(typeof plan.tensors)[number] | undefined>(
        (big, t) => (valuesOf(t.shape) > valuesOf(big?.shape ?? []) ? t : big),
        undefined,
      );
    const bytes = largest ? valuesOf(largest.shape) * DEVICE_BYTES_PER_VALUE : 0;
    if (largest && bytes > maxTensorBytes)
      throw new OutOfMemoryError(
        `${modelId} cannot run on this GPU: its tensor ${largest.name} [${largest.shape.join(', ')}] ` +
          `takes ${size(bytes)} as 32-bit floats, more than the GPU's largest buffer ` +
          `(${size(maxTensorBytes)}). Nothing was downloaded. Try the WASM backend (add ` +
          '?backend=wasm to the address) or a smaller model.',
      );
  }
  if (heapBytes !== undefined) {
    const [what, values] = largestFeed(plan, runtime.limits.copiesFeeds === true);
    const bytes = values * DEVICE_BYTES_PER_VALUE;
    if (bytes > heapBytes)
      throw new OutOfMemoryError(
        `${modelId} cannot run on WASM: it needs ${size(bytes)} at once for ${what} (as 32-bit ` +
          `floats), more ` +
          `than the WASM engine's memory (${size(heapBytes)} at most). Nothing was downloaded. ` +
          'Try a smaller model, or WebGPU on a machine with a GPU (add ?backend=webgpu to the ' +
          'address).',
      );
  }
}
