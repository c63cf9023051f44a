import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { llamaForward } from '../../tests/reference';
import {
  randomLlamaModel,
  randomModel,
  tinyConfig,
  tinyLlamaConfig,
} from '../../tests/reference/random-model';
import { loadCheckpoint } from '../../src/weights/checkpoint';
import { parseConfig } from '../../src/weights/config';
import { NodeFolderSource } from '../../src/weights/node-source';
import { readSafetensorsHeader } from '../../src/weights/safetensors';
import { loadTokenizer } from '../../src/weights/tokenizer';
import type { HostTensor } from '../../src/weights/types';
import { MODEL_PRESETS } from './model-presets';
import {
  checkpointSpecs,
  toBfloat16Bits,
  toFloat16Bits,
  writeRandomModelFolder,
} from './random-model-folder';

const folders: string[] = [];
async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'random-model-'));
  folders.push(folder);
  return folder;
}
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function readBack(folder: string): Promise<Map<string, HostTensor>> {
  const tensors = new Map<string, HostTensor>();
  await loadCheckpoint(new NodeFolderSource(folder), (name, t) => void tensors.set(name, t));
  return tensors;
}

/** A tiny Qwen3 config with a vocabulary big enough for the synthetic tokenizer. */
const tinyQwen3 = () => ({ ...tinyLlamaConfig('qwen3'), vocab_size: 400 });

describe('writeRandomModelFolder', () => {
  it('float32, one file: the tensors of randomLlamaModel, a loadable tokenizer and config', async () => {
    const folder = await tempFolder();
    const config = tinyQwen3();
    const summary = await writeRandomModelFolder(folder, config, {
      seed: 5,
      std: 0.4,
      chunkElements: 1000,
    });
    expect((await readdir(folder)).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const expected = randomLlamaModel(config, 5, { std: 0.4 });
    const got = await readBack(folder);
    expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, t] of expected) {
      expect(got.get(name)!.dims, name).toEqual(t.dims);
      expect(got.get(name)!.data, name).toEqual(t.data);
    }
    expect(summary.parameters).toBe([...expected.values()].reduce((n, t) => n + t.data.length, 0));
    const header = await readSafetensorsHeader(
      await new NodeFolderSource(folder).open('model.safetensors'),
    );
    expect(header.metadata).toEqual({ format: 'pt' });
    expect(header.tensors.every((t) => t.dtype === 'F32')).toBe(true);
    expect((await stat(join(folder, 'model.safetensors'))).size).toBe(
      header.dataStart + 4 * summary.parameters,
    );

    const written = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8'));
    expect(written).toEqual({ ...config, torch_dtype: 'float32' });
    const tokenizer = loadTokenizer(
      JSON.parse(await readFile(join(folder, 'tokenizer.json'), 'utf8')),
      JSON.parse(await readFile(join(folder, 'tokenizer_config.json'), 'utf8')),
    );
    expect(tokenizer.vocabSize).toBe(400);
    expect(tokenizer.tokenToId('<|endoftext|>')).toBe(397);
    // The folder is a model: the reference runs it and gets the in-memory model's logits.
    const ids = tokenizer.encode('The capital of France is').ids;
    expect(llamaForward(written, got, ids).logits).toEqual(
      llamaForward(config, expected, ids).logits,
    );
  });

  it('bfloat16, sharded: headers, index and values agree', async () => {
    const folder = await tempFolder();
    const config = tinyQwen3();
    const maxShardBytes = 4000;
    const summary = await writeRandomModelFolder(folder, config, {
      dtype: 'bfloat16',
      seed: 6,
      std: 0.4,
      maxShardBytes,
    });
    const shards = summary.files.filter((f) => f.endsWith('.safetensors'));
    expect(shards.length).toBeGreaterThan(2);
    shards.forEach((name, i) =>
      expect(name).toBe(
        `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`,
      ),
    );
    const index = JSON.parse(await readFile(join(folder, 'model.safetensors.index.json'), 'utf8'));
    expect(index.metadata.total_size).toBe(2 * summary.parameters);
    const source = new NodeFolderSource(folder);
    const listed = new Map<string, string>();
    for (const shard of shards) {
      const header = await readSafetensorsHeader(await source.open(shard));
      const bytes = header.tensors.reduce((n, t) => n + t.end - t.begin, 0);
      // Only a tensor larger than the limit may make a shard overflow, alone.
      if (header.tensors.length > 1) expect(bytes).toBeLessThanOrEqual(maxShardBytes);
      expect((await stat(join(folder, shard))).size).toBe(header.dataStart + bytes);
      for (const t of header.tensors) {
        expect(t.dtype).toBe('BF16');
        listed.set(t.name, shard);
      }
    }
    expect(Object.fromEntries(listed)).toEqual(index.weight_map);
    const expected = randomLlamaModel(config, 6, { std: 0.4 });
    const got = await readBack(folder);
    expect(got.size).toBe(expected.size);
    for (const [name, t] of expected) {
      const values = got.get(name)!.data;
      // bfloat16 keeps 8 significant bits: rounding error at most 2^-8 relative.
      t.data.forEach((x, i) =>
        expect(Math.abs(values[i] - x), name).toBeLessThanOrEqual(Math.abs(x) * 2 ** -8),
      );
    }
  });

  it("float16 BERT and GPT-2 checkpoints with the LM classes' names", async () => {
    for (const [type, overrides] of [
      ['bert', { model_type: 'bert', architectures: ['BertForMaskedLM'] }],
      [
        'gpt2',
        {
          model_type: 'gpt2',
          architectures: ['GPT2LMHeadModel'],
          n_embd: 8,
          n_head: 2,
          n_layer: 2,
          n_positions: 16,
        },
      ],
    ] as const) {
      const folder = await tempFolder();
      const config =
        type === 'bert'
          ? {
              ...overrides,
              hidden_size: 8,
              num_attention_heads: 2,
              num_hidden_layers: 2,
              intermediate_size: 12,
              max_position_embeddings: 16,
              vocab_size: 3000,
            }
          : { ...overrides, vocab_size: 400 };
      await writeRandomModelFolder(folder, config, { dtype: 'float16', seed: 7, std: 0.3 });
      const parsed = parseConfig(JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')));
      const expected = randomModel(parsed, 7, { std: 0.3 });
      const got = await readBack(folder);
      expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [name, t] of expected) {
        const values = got.get(name)!.data;
        // float16 keeps 11 significant bits: rounding error at most 2^-11 relative (2^-25 absolute
        // among the subnormals).
        t.data.forEach((x, i) =>
          expect(Math.abs(values[i] - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11 + 2 ** -25),
        );
      }
      const header = await readSafetensorsHeader(
        await new NodeFolderSource(folder).open('model.safetensors'),
      );
      expect(header.tensors.every((t) => t.dtype === 'F16')).toBe(true);
      const tokenizer = loadTokenizer(
        JSON.parse(await readFile(join(folder, 'tokenizer.json'), 'utf8')),
      );
      expect(tokenizer.vocabSize).toBe(config.vocab_size);
      expect(tinyConfig(type).family).toBe(parsed.family);
    }
  });
});

describe('half-precision rounding', () => {
  it('float16: nearest, ties to even, overflow to infinity, subnormals', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
      [65504, 0x7bff],
      [65520, 0x7c00],
      [2 ** -24, 0x0001],
      [2 ** -25, 0x0000],
      [3 * 2 ** -25, 0x0002],
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
      [0, 0],
    ];
    for (const [x, bits] of cases) expect(toFloat16Bits(x), String(x)).toBe(bits);
  });

  it('bfloat16: nearest, ties to even', () => {
    const cases: [number, number][] = [
      [1, 0x3f80],
      [-1, 0xbf80],
      [0.1, 0x3dcd],
      [1 / 3, 0x3eab],
      [1 + 2 ** -8, 0x3f80],
      [1 + 3 * 2 ** -8, 0x3f82],
    ];
    for (const [x, bits] of cases) expect(toBfloat16Bits(x), String(x)).toBe(bits);
  });
});

describe('model presets', () => {
  // Parameter counts published for the real checkpoints (the BERT-family presets have the
  // masked-LM head and no pooler; GPT-2's head is tied).
  const published: Record<string, number> = {
    'qwen2.5-0.5b': 494_032_768,
    'qwen3-0.6b': 596_049_920,
    'llama-3.2-1b': 1_235_814_400,
    'gpt2-small': 124_439_808,
  };
  it('describe the real shapes', () => {
    for (const [name, config] of Object.entries(MODEL_PRESETS)) {
      const parameters = checkpointSpecs(config).reduce(
        (n, s) => n + s.dims.reduce((a, b) => a * b, 1),
        0,
      );
      if (name in published) expect(parameters, name).toBe(published[name]);
      else expect(parameters, name).toBeGreaterThan(1e8);
    }
    expect(Object.keys(MODEL_PRESETS)).toEqual([
      'mbert-base',
      'xlmr-base',
      'gpt2-small',
      'mgpt',
      'qwen2.5-0.5b',
      'qwen3-0.6b',
      'llama-3.2-1b',
    ]);
  });
});
