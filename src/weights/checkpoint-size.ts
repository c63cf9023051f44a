/**
 * What a checkpoint weighs before any of it is downloaded: the size model.safetensors.index.json
 * declares (a single model.safetensors file's size is read from the file itself), and the dtype
 * its config.json declares. Pure functions over the parsed JSON.
 */
import type { WeightDtype } from './safetensors';

/** A sharded checkpoint's safetensors files and, when its index declares it, their tensor bytes. */
export interface CheckpointSize {
  bytes?: number;
  files: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isSize = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The tensor bytes model.safetensors.index.json declares (`metadata.total_size`; undefined when
 * it has none) and its shard files.
 */
export function checkpointSizeFromIndex(index: unknown): CheckpointSize {
  const meta = isObject(index) && isObject(index.metadata) ? index.metadata : undefined;
  const total = meta?.total_size;
  const map = isObject(index) && isObject(index.weight_map) ? index.weight_map : {};
  const names = [...new Set(Object.values(map).filter((v) => typeof v === 'string'))].sort();
  return { bytes: isSize(total) ? total : undefined, files: names };
}

const DTYPES: Record<string, WeightDtype> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
};

/**
 * The dtype config.json declares for the checkpoint (`torch_dtype`, or `dtype` in configs written
 * by recent transformers), or undefined when it names none this app reads.
 */
export function configDtype(config: unknown): WeightDtype | undefined {
  if (!isObject(config)) return undefined;
  const name = config.dtype ?? config.torch_dtype;
  return typeof name === 'string' ? DTYPES[name] : undefined;
}
