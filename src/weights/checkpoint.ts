import { listed, quoted } from '../facts/text';
import { CheckpointError } from './errors';
import { checkFileName, readJsonFile } from './files';
import {
  checkWeightDtypes,
  readSafetensorsHeader,
  streamTensors,
  type Precision,
  type ReadOptions,
  type SafetensorsHeader,
  type StoredTensorCallback,
  type TensorCallback,
  type TensorEntry,
} from './safetensors';
import type { ModelFile, ModelSource } from './types';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/** The most shards an index may list: each is probed and its header read before loading. */
export const MAX_SHARDS = 1024;

/** Checkpoint formats we recognise only to say how to convert them. */
const OTHER_FORMATS = [
  'pytorch_model.bin',
  'pytorch_model.bin.index.json',
  'tf_model.h5',
  'flax_model.msgpack',
  'model.onnx',
];

export interface CheckpointSummary {
  /** The safetensors files read, in order. */
  files: string[];
  /** Tensors emitted. */
  tensors: number;
  /** Size of all files together. */
  totalBytes: number;
}

/** A tensor of a checkpoint, as its file's header describes it. */
export interface CheckpointTensor extends TensorEntry {
  /** The safetensors file that holds it. */
  file: string;
}

/** What a checkpoint holds, known from its index and headers alone, before any tensor is read. */
export interface CheckpointPlan {
  /** The safetensors files, in the order they are read. */
  files: { name: string; size: number }[];
  /** Size of all files together. */
  totalBytes: number;
  /** The tensors that will be read: those `include` wants, each from the shard the index names. */
  tensors: CheckpointTensor[];
}

export interface CheckpointOptions extends ReadOptions {
  /**
   * Called once every header is read and validated, before any tensor data is read or
   * downloaded: throws to reject a checkpoint that does not fit (the architecture's shapes).
   */
  check?: (plan: CheckpointPlan) => void;
}

interface Shard {
  file: ModelFile;
  header: SafetensorsHeader;
  /** Whether this shard is where a tensor should be read from (the index decides). */
  owns: (name: string) => boolean;
}

/**
 * Streams a model's weights from model.safetensors, or from the shards a
 * model.safetensors.index.json lists, one file after the other. The index, every header, the
 * dtype of every tensor to read and `opts.check` are all checked before any tensor is read.
 * Progress counts bytes across all files: `file` is the one being read,
 * `loadedBytes`/`totalBytes` cover the whole checkpoint.
 */
export function loadCheckpoint(
  source: ModelSource,
  onTensor: TensorCallback,
  opts?: CheckpointOptions,
): Promise<CheckpointSummary>;
/** With a `precision`, tensors kept at 16 bits arrive as `HalfTensor`s (src/weights/half.ts). */
export function loadCheckpoint(
  source: ModelSource,
  onTensor: StoredTensorCallback,
  opts: CheckpointOptions & { precision: Precision },
): Promise<CheckpointSummary>;
export async function loadCheckpoint(
  source: ModelSource,
  onTensor: TensorCallback | StoredTensorCallback,
  opts: CheckpointOptions & { precision?: Precision } = {},
): Promise<CheckpointSummary> {
  opts.signal?.throwIfAborted();
  const shards = await planShards(source);
  const totalBytes = shards.reduce((sum, s) => sum + s.file.size, 0);
  const wanted = (shard: Shard) => (name: string) =>
    shard.owns(name) && (!opts.include || opts.include(name));
  const toRead = shards.flatMap((shard) => {
    const list = shard.header.tensors.filter((t) => wanted(shard)(t.name));
    checkWeightDtypes(shard.file.name, list);
    return list.map((t) => ({ ...t, file: shard.file.name }));
  });
  opts.check?.({
    files: shards.map((s) => ({ name: s.file.name, size: s.file.size })),
    totalBytes,
    tensors: toRead,
  });
  let done = 0;
  let tensors = 0;
  for (const shard of shards) {
    const { file, header } = shard;
    // Without a precision every tensor arrives as float32, as TensorCallback expects.
    const stats = await streamTensors(file, header, onTensor as StoredTensorCallback, {
      signal: opts.signal,
      precision: opts.precision ?? { keep16: false, round32: false },
      include: wanted(shard),
      onProgress: (p) =>
        opts.onProgress?.({ file: p.file, loadedBytes: done + p.loadedBytes, totalBytes }),
    });
    done += file.size;
    tensors += stats.tensors;
  }
  return { files: shards.map((s) => s.file.name), tensors, totalBytes };
}

async function planShards(source: ModelSource): Promise<Shard[]> {
  if (await source.has(SINGLE_FILE)) {
    const file = await source.open(SINGLE_FILE);
    return [{ file, header: await readSafetensorsHeader(file), owns: () => true }];
  }
  if (await source.has(INDEX_FILE)) return shardsFromIndex(source);

  const found: string[] = [];
  for (const name of OTHER_FORMATS) if (await source.has(name)) found.push(name);
  throw new CheckpointError(
    `"${source.id}" has no ${SINGLE_FILE} or ${INDEX_FILE}` +
      (found.length ? ` (it has ${found.join(', ')})` : '') +
      `. Only safetensors checkpoints are supported: convert the model in Python with ` +
      `transformers, AutoModelForMaskedLM.from_pretrained(path).save_pretrained(out, ` +
      `safe_serialization=True) (AutoModelForCausalLM for GPT models), or with the Hub's ` +
      `conversion space https://huggingface.co/spaces/safetensors/convert.`,
    SINGLE_FILE,
  );
}

async function shardsFromIndex(source: ModelSource): Promise<Shard[]> {
  const index = await readJsonFile(source, INDEX_FILE);
  const weightMap = isObject(index) ? index.weight_map : undefined;
  if (!isObject(weightMap) || Object.keys(weightMap).length === 0) {
    throw new CheckpointError(
      `${INDEX_FILE} of "${source.id}" has no "weight_map" listing tensors and their shard ` +
        `files; download it again.`,
      INDEX_FILE,
    );
  }
  const owner = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || !shard.endsWith('.safetensors')) {
      throw new CheckpointError(
        `${INDEX_FILE} of "${source.id}" maps tensor ${quoted(tensor)} to ${quoted(shard)}, ` +
          `which is not a .safetensors file name; download the index again.`,
        INDEX_FILE,
      );
    }
    checkFileName(shard, `model "${source.id}"`);
    owner.set(tensor, shard);
  }

  const names = [...new Set(owner.values())].sort();
  if (names.length > MAX_SHARDS) {
    throw new CheckpointError(
      `${INDEX_FILE} of "${source.id}" lists ${names.length} shard files, more than the ` +
        `${MAX_SHARDS} this app reads (the largest published models have about 200); the index ` +
        `is damaged, download it again.`,
      INDEX_FILE,
    );
  }
  const present = await Promise.all(names.map((n) => source.has(n)));
  const missing = names.filter((_, i) => !present[i]);
  if (missing.length) {
    throw new CheckpointError(
      `"${source.id}" is missing ${missing.length} of the ${names.length} checkpoint shards ` +
        `listed in ${INDEX_FILE}: ${listed(missing)}; download them into the same folder ` +
        `as the index.`,
      missing[0],
    );
  }

  const shards: Shard[] = [];
  for (const name of names) {
    const file = await source.open(name);
    const header = await readSafetensorsHeader(file);
    const inShard = new Set(header.tensors.map((t) => t.name));
    for (const [tensor, shard] of owner) {
      if (shard === name && !inShard.has(tensor)) {
        throw new CheckpointError(
          `${name} does not contain tensor ${quoted(tensor)}, which ${INDEX_FILE} places there; the ` +
            `index and the shards come from different versions of the model, download them again.`,
          name,
        );
      }
    }
    // A tensor the index does not list is read from the shard holding it (transformers loads
    // whole shards); one the index places elsewhere is a duplicate and skipped.
    shards.push({ file, header, owns: (t) => (owner.get(t) ?? name) === name });
  }
  return shards;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
