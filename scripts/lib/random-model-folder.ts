import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../../src/weights/config';
import { isLlamaFamily, readLlamaConfig } from '../../tests/reference/llama-config';
import {
  type RandomTensorSpec,
  llamaTensorSpecs,
  randomValues,
  tensorSpecs,
} from '../../tests/reference/random-model';
import { type TokenizerStyle, syntheticTokenizer } from './synthetic-tokenizer';

// Random-weight model folders with real shapes, for benchmarks: config.json, tokenizer.json,
// tokenizer_config.json and model.safetensors (or shards and model.safetensors.index.json), as
// save_pretrained lays them out. Tensors are generated and written a chunk at a time, so a
// several-GB model never sits in memory.

export type WeightDtype = 'float32' | 'float16' | 'bfloat16';

const SAFETENSORS_DTYPE: Record<WeightDtype, string> = {
  float32: 'F32',
  float16: 'F16',
  bfloat16: 'BF16',
};
const BYTES: Record<WeightDtype, number> = { float32: 4, float16: 2, bfloat16: 2 };

export interface RandomFolderOptions {
  dtype?: WeightDtype;
  seed?: number;
  /** Standard deviation of the weights (norm weights are 1 + noise). Default 0.02, as HF inits. */
  std?: number;
  /** Largest shard; a bigger checkpoint is split (HF's default for save_pretrained: 5 GB). */
  maxShardBytes?: number;
  /** Elements generated and written at a time. */
  chunkElements?: number;
}

export interface RandomFolderSummary {
  files: string[];
  tensors: number;
  parameters: number;
  /** Bytes of tensor data (the index's total_size). */
  tensorBytes: number;
}

/** The tensors of the checkpoint that `config` (a raw config.json object) describes. */
export function checkpointSpecs(config: Record<string, unknown>): RandomTensorSpec[] {
  return isLlamaFamily(config.model_type)
    ? llamaTensorSpecs(readLlamaConfig(config))
    : tensorSpecs(parseConfig(config));
}

/** Which synthetic tokenizer a model type gets. */
export function tokenizerStyle(config: Record<string, unknown>): TokenizerStyle {
  const type = config.model_type;
  if (type === 'bert') return 'wordpiece';
  if (type === 'xlm-roberta' || type === 'roberta' || type === 'camembert') return 'unigram';
  if (type === 'llama' || type === 'mistral') return 'llama3';
  if (type === 'qwen2' || type === 'qwen3') return 'qwen2';
  return 'gpt2';
}

export async function writeRandomModelFolder(
  folder: string,
  config: Record<string, unknown>,
  options: RandomFolderOptions = {},
): Promise<RandomFolderSummary> {
  const dtype = options.dtype ?? 'float32';
  const seed = options.seed ?? 0;
  const std = options.std ?? 0.02;
  const maxShardBytes = options.maxShardBytes ?? 5e9;
  const specs = checkpointSpecs(config);
  const vocabSize = config.vocab_size;
  if (typeof vocabSize !== 'number') throw new Error('config.json needs vocab_size');
  await mkdir(folder, { recursive: true });

  const fullConfig = { ...config, torch_dtype: dtype };
  await writeFile(join(folder, 'config.json'), `${JSON.stringify(fullConfig, null, 2)}\n`);
  const tokenizer = syntheticTokenizer({ style: tokenizerStyle(config), vocabSize });
  await writeFile(join(folder, 'tokenizer.json'), JSON.stringify(tokenizer.tokenizer));
  await writeFile(
    join(folder, 'tokenizer_config.json'),
    `${JSON.stringify(tokenizer.tokenizerConfig, null, 2)}\n`,
  );

  // Shards filled in order, a new one when the next tensor would overflow (as HF's
  // shard_checkpoint); a tensor larger than the limit gets a shard of its own.
  const sizeOf = (s: RandomTensorSpec) => count(s) * BYTES[dtype];
  const shards: RandomTensorSpec[][] = [[]];
  let filled = 0;
  for (const spec of specs) {
    const size = sizeOf(spec);
    if (filled > 0 && filled + size > maxShardBytes) {
      shards.push([]);
      filled = 0;
    }
    shards[shards.length - 1].push(spec);
    filled += size;
  }
  const names =
    shards.length === 1
      ? ['model.safetensors']
      : shards.map(
          (_, i) =>
            `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`,
        );
  const weightMap: Record<string, string> = {};
  for (let i = 0; i < shards.length; i++) {
    await writeShard(join(folder, names[i]), shards[i], dtype, seed, std, options.chunkElements);
    for (const spec of shards[i]) weightMap[spec.name] = names[i];
  }
  const tensorBytes = specs.reduce((sum, s) => sum + sizeOf(s), 0);
  const parameters = specs.reduce((sum, s) => sum + count(s), 0);
  const files = ['config.json', 'tokenizer.json', 'tokenizer_config.json', ...names];
  if (shards.length > 1) {
    const index = {
      metadata: { total_parameters: parameters, total_size: tensorBytes },
      weight_map: weightMap,
    };
    await writeFile(
      join(folder, 'model.safetensors.index.json'),
      `${JSON.stringify(index, null, 2)}\n`,
    );
    files.push('model.safetensors.index.json');
  }
  return { files, tensors: specs.length, parameters, tensorBytes };
}

function count(spec: RandomTensorSpec): number {
  return spec.dims.reduce((a, b) => a * b, 1);
}

/**
 * One safetensors file: 8-byte little-endian header length, the JSON header (tensors sorted by
 * name, `__metadata__` first, padded with spaces to a multiple of 8), then the data in header
 * order.
 */
async function writeShard(
  path: string,
  specs: RandomTensorSpec[],
  dtype: WeightDtype,
  seed: number,
  std: number,
  chunkElements = 1 << 20,
): Promise<void> {
  const sorted = [...specs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const spec of sorted) {
    const bytes = count(spec) * BYTES[dtype];
    header[spec.name] = {
      dtype: SAFETENSORS_DTYPE[dtype],
      shape: spec.dims,
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);

  const file = await open(path, 'w');
  try {
    await file.write(head);
    const values = new Float32Array(chunkElements);
    const halves = new Uint16Array(chunkElements);
    for (const spec of sorted) {
      const next = randomValues(seed, spec, std);
      for (let done = 0, total = count(spec); done < total;) {
        const n = Math.min(chunkElements, total - done);
        const chunk = values.subarray(0, n);
        next(chunk);
        if (dtype === 'float32') {
          await file.write(new Uint8Array(chunk.buffer, 0, n * 4));
        } else {
          const narrow = dtype === 'float16' ? toFloat16Bits : toBfloat16Bits;
          for (let i = 0; i < n; i++) halves[i] = narrow(chunk[i]);
          await file.write(new Uint8Array(halves.buffer, 0, n * 2));
        }
        done += n;
      }
    }
  } finally {
    await file.close();
  }
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** float32 -> bfloat16 bits, round to nearest even (finite inputs: the weights are small). */
export function toBfloat16Bits(value: number): number {
  F32[0] = value;
  const x = U32[0];
  return (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
}

/** float32 -> float16 bits, round to nearest even; overflow to infinity, underflow to subnormals. */
export function toFloat16Bits(value: number): number {
  F32[0] = value;
  const x = U32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = ((x >>> 23) & 0xff) - 127 + 15;
  const mantissa = x & 0x7fffff;
  if (exponent >= 0x1f) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    // Subnormal: shift the mantissa (with its implicit 1) right, rounding to nearest even.
    const full = mantissa | 0x800000;
    const shift = 14 - exponent;
    const rounded = (full >>> shift) + roundBit(full, shift);
    return sign | rounded;
  }
  const rounded = ((exponent << 10) | (mantissa >>> 13)) + roundBit(mantissa, 13);
  return sign | rounded; // a carry into the exponent is the correct rounding, up to infinity
}

/** 1 if dropping the low `shift` bits of `value` should round up (nearest, ties to even). */
function roundBit(value: number, shift: number): number {
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  const kept = (value >>> shift) & 1;
  return rest > half || (rest === half && kept === 1) ? 1 : 0;
}
