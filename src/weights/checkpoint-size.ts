/**
 * What a checkpoint weighs before any of it is downloaded: its files' sizes from the Hub's file
 * listing (`/api/models/<id>/tree/<revision>`) or from model.safetensors.index.json, and the
 * dtype its config.json declares. Pure functions over the parsed JSON.
 */
import { INDEX_FILE } from './checkpoint';
import type { WeightDtype } from './safetensors';

/** The checkpoint's safetensors files and their total size in bytes. */
export interface CheckpointSize {
  bytes: number;
  files: { name: string; bytes: number }[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isSize = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The safetensors files of a Hub listing (an array of `{ type, path, size, lfs?: { size } }`):
 * model.safetensors, or the shards model-00001-of-0000N.safetensors. Undefined when it lists
 * none (a PyTorch-only repository, or a listing of another folder).
 */
export function checkpointSizeFromListing(listing: unknown): CheckpointSize | undefined {
  if (!Array.isArray(listing))
    throw new Error('the Hub file listing is not a list of files; try again later');
  const files: CheckpointSize['files'] = [];
  for (const entry of listing) {
    if (!isObject(entry) || entry.type !== 'file' || typeof entry.path !== 'string') continue;
    if (!/^model(-\d+-of-\d+)?\.safetensors$/.test(entry.path)) continue;
    // An LFS file's `size` is its own; `lfs.size` is the file's (they agree on today's Hub).
    const size = isObject(entry.lfs) && isSize(entry.lfs.size) ? entry.lfs.size : entry.size;
    if (!isSize(size)) throw new Error(`the Hub file listing gives no size for ${entry.path}`);
    files.push({ name: entry.path, bytes: size });
  }
  if (files.length === 0) return undefined;
  files.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { bytes: files.reduce((s, f) => s + f.bytes, 0), files };
}

/**
 * The tensor bytes model.safetensors.index.json declares (`metadata.total_size`) and its shard
 * files (without their sizes: the index does not give them, so `bytes` of each is 0).
 */
export function checkpointSizeFromIndex(index: unknown): CheckpointSize {
  const meta = isObject(index) && isObject(index.metadata) ? index.metadata : undefined;
  const total = meta?.total_size;
  if (!isSize(total))
    throw new Error(
      `${INDEX_FILE} has no "metadata.total_size": the checkpoint's size is not known before ` +
        'the download; the Hub listing gives it instead',
    );
  const map = isObject(index) && isObject(index.weight_map) ? index.weight_map : {};
  const names = [...new Set(Object.values(map).filter((v) => typeof v === 'string'))].sort();
  return { bytes: total, files: names.map((name) => ({ name, bytes: 0 })) };
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
