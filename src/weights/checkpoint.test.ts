import { describe, expect, it } from 'vitest';
import { type CheckpointPlan, MAX_SHARDS, loadCheckpoint } from './checkpoint';
import { CheckpointError } from './errors';
import { MemorySource } from './memory-source';
import { writeSafetensors } from './safetensors';
import type { HostTensor, LoadProgress } from './types';

const t = (...values: number[]): HostTensor => ({
  dims: [values.length],
  data: new Float32Array(values),
});

const SHARD1 = writeSafetensors(
  { 'embeddings.word': t(1, 2), 'layer.0.w': t(3) },
  { format: 'pt' },
);
const SHARD2 = writeSafetensors({
  'layer.1.w': { dtype: 'F16', dims: [2], data: new Float32Array([4, 5]) },
  'lm_head.bias': t(6),
});
const INDEX = {
  metadata: { total_size: 24 },
  weight_map: {
    'embeddings.word': 'model-00001-of-00002.safetensors',
    'layer.0.w': 'model-00001-of-00002.safetensors',
    'layer.1.w': 'model-00002-of-00002.safetensors',
    'lm_head.bias': 'model-00002-of-00002.safetensors',
  },
};

function sharded(files: Record<string, Uint8Array | string> = {}) {
  return new MemorySource(
    'sharded-model',
    {
      'model.safetensors.index.json': JSON.stringify(INDEX),
      'model-00001-of-00002.safetensors': SHARD1,
      'model-00002-of-00002.safetensors': SHARD2,
      ...files,
    },
    { chunkSize: 16 },
  );
}

async function load(source: MemorySource, include?: (name: string) => boolean) {
  const got: Record<string, number[]> = {};
  const progress: LoadProgress[] = [];
  const summary = await loadCheckpoint(
    source,
    (name, tensor) => void (got[name] = Array.from(tensor.data)),
    {
      include,
      onProgress: (p) => progress.push(p),
    },
  );
  return { got, progress, summary };
}

describe('loadCheckpoint', () => {
  it('reads a single model.safetensors', async () => {
    const source = new MemorySource('single', { 'model.safetensors': SHARD1, 'config.json': '{}' });
    const { got, summary } = await load(source);
    expect(got).toEqual({ 'embeddings.word': [1, 2], 'layer.0.w': [3] });
    expect(summary).toEqual({
      files: ['model.safetensors'],
      tensors: 2,
      totalBytes: SHARD1.length,
    });
  });

  it('reads the shards of an index one after the other, with progress across all files', async () => {
    const { got, progress, summary } = await load(sharded());
    expect(got).toEqual({
      'embeddings.word': [1, 2],
      'layer.0.w': [3],
      'layer.1.w': [4, 5],
      'lm_head.bias': [6],
    });
    const total = SHARD1.length + SHARD2.length;
    expect(summary).toEqual({
      files: ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'],
      tensors: 4,
      totalBytes: total,
    });
    expect(progress.every((p) => p.totalBytes === total)).toBe(true);
    const loaded = progress.map((p) => p.loadedBytes);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(progress.at(-1)).toEqual({
      file: 'model-00002-of-00002.safetensors',
      loadedBytes: total,
      totalBytes: total,
    });
    expect(progress.some((p) => p.file === 'model-00001-of-00002.safetensors')).toBe(true);
  });

  it('passes the include filter through', async () => {
    const { got } = await load(sharded(), (name) => name.startsWith('layer.'));
    expect(Object.keys(got)).toEqual(['layer.0.w', 'layer.1.w']);
  });

  it('reports missing shards by name before reading anything', async () => {
    const source = new MemorySource('half-downloaded', {
      'model.safetensors.index.json': JSON.stringify(INDEX),
      'model-00001-of-00002.safetensors': SHARD1,
    });
    const seen: string[] = [];
    await expect(loadCheckpoint(source, (name) => void seen.push(name))).rejects.toThrow(
      '"half-downloaded" is missing 1 of the 2 checkpoint shards listed in ' +
        'model.safetensors.index.json: model-00002-of-00002.safetensors; download them into the ' +
        'same folder as the index.',
    );
    expect(seen).toEqual([]);
  });

  it('rejects an index that places a tensor in a shard that lacks it', async () => {
    const index = {
      weight_map: { ...INDEX.weight_map, 'layer.2.w': 'model-00002-of-00002.safetensors' },
    };
    const source = sharded({ 'model.safetensors.index.json': JSON.stringify(index) });
    await expect(load(source)).rejects.toThrow(
      'model-00002-of-00002.safetensors does not contain tensor "layer.2.w", which ' +
        'model.safetensors.index.json places there; the index and the shards come from different ' +
        'versions of the model, download them again.',
    );
  });

  it('rejects an index without a weight map or with bad shard names', async () => {
    await expect(
      load(sharded({ 'model.safetensors.index.json': '{"metadata": {}}' })),
    ).rejects.toThrow(
      'model.safetensors.index.json of "sharded-model" has no "weight_map" listing tensors and their ' +
        'shard files; download it again.',
    );
    await expect(
      load(
        sharded({
          'model.safetensors.index.json': JSON.stringify({ weight_map: { w: 'weights.bin' } }),
        }),
      ),
    ).rejects.toThrow(/maps tensor "w" to "weights.bin", which is not a \.safetensors file name/);
    await expect(
      load(
        sharded({
          'model.safetensors.index.json': JSON.stringify({ weight_map: { w: '../x.safetensors' } }),
        }),
      ),
    ).rejects.toThrow(
      /"\.\.\/x\.safetensors" is not a valid file name inside model "sharded-model"/,
    );
    await expect(
      load(sharded({ 'model.safetensors.index.json': '{"weight_map": ' })),
    ).rejects.toThrow(
      /^model\.safetensors\.index\.json of "sharded-model" is not valid JSON \(.*\); download it again\.$/,
    );
  });

  it('quotes hostile index entries briefly and rejects impossible file names (found by fuzzing)', async () => {
    const index = (shard: string) =>
      sharded({ 'model.safetensors.index.json': `{"weight_map": {"w": ${shard}}}` });
    await expect(load(index('['.repeat(20000) + ']'.repeat(20000)))).rejects.toThrow(
      'model.safetensors.index.json of "sharded-model" maps tensor "w" to [a deeply nested list],',
    );
    const longName = `${'a'.repeat(300)}.safetensors`;
    const error = (await load(index(JSON.stringify(longName))).catch((e: Error) => e)) as Error;
    expect(error.name).toBe('ModelSourceError');
    expect(error.message).toMatch(
      /^"a{99}… is not a valid file name inside model "sharded-model": /,
    );
    expect(error.message.length).toBeLessThan(500);
  });

  it('refuses an index listing more shards than any model has, before probing them', async () => {
    const weightMap = Object.fromEntries(
      Array.from({ length: MAX_SHARDS + 1 }, (_, i) => [`w${i}`, `s${i}.safetensors`]),
    );
    const source = sharded({
      'model.safetensors.index.json': JSON.stringify({ weight_map: weightMap }),
    });
    const probed: string[] = [];
    const has = source.has.bind(source);
    source.has = async (name) => {
      probed.push(name);
      return has(name);
    };
    await expect(load(source)).rejects.toThrow(
      `model.safetensors.index.json of "sharded-model" lists ${MAX_SHARDS + 1} shard files, more than the ${MAX_SHARDS}`,
    );
    expect(probed).toEqual(['model.safetensors', 'model.safetensors.index.json']);
  });

  it('validates every shard header before reading tensors', async () => {
    const broken = SHARD2.slice(0, SHARD2.length - 2);
    const seen: string[] = [];
    const source = sharded({ 'model-00002-of-00002.safetensors': broken });
    await expect(loadCheckpoint(source, (name) => void seen.push(name))).rejects.toThrow(
      /^model-00002-of-00002\.safetensors is truncated: tensor "layer.1.w" ends at byte/,
    );
    expect(seen).toEqual([]);
  });

  it('hands the plan to check before reading any tensor, and stops when check throws', async () => {
    const seen: string[] = [];
    let plan: CheckpointPlan | undefined;
    const rejected = new CheckpointError('rejected');
    const loading = loadCheckpoint(sharded(), (name) => void seen.push(name), {
      include: (name) => name !== 'lm_head.bias',
      check: (p) => {
        plan = p;
        throw rejected;
      },
    });
    await expect(loading).rejects.toBe(rejected);
    expect(seen).toEqual([]);
    expect(plan!.files).toEqual([
      { name: 'model-00001-of-00002.safetensors', size: SHARD1.length },
      { name: 'model-00002-of-00002.safetensors', size: SHARD2.length },
    ]);
    expect(plan!.totalBytes).toBe(SHARD1.length + SHARD2.length);
    expect(plan!.tensors.map((t) => [t.file, t.name, t.dtype, t.shape])).toEqual([
      ['model-00001-of-00002.safetensors', 'embeddings.word', 'F32', [2]],
      ['model-00001-of-00002.safetensors', 'layer.0.w', 'F32', [1]],
      ['model-00002-of-00002.safetensors', 'layer.1.w', 'F16', [2]],
    ]);
  });

  it('checks the dtype of every shard before reading the first', async () => {
    const i32 = writeSafetensors({ 'layer.1.w': t(4, 5), 'lm_head.bias': t(6) });
    // Rewrite the first dtype in the header: F32 -> I32 keeps every size and offset.
    const at = new TextDecoder('latin1').decode(i32).indexOf('"F32"');
    i32.set(new TextEncoder().encode('"I32"'), at);
    const seen: string[] = [];
    const source = sharded({ 'model-00002-of-00002.safetensors': i32 });
    await expect(loadCheckpoint(source, (name) => void seen.push(name))).rejects.toThrow(
      /^model-00002-of-00002\.safetensors: tensor "layer\.1\.w" has dtype I32, which cannot be loaded/,
    );
    expect(seen).toEqual([]);
  });

  it('explains that only safetensors checkpoints are supported', async () => {
    const source = new MemorySource('old-model', {
      'config.json': '{}',
      'pytorch_model.bin': new Uint8Array(4),
    });
    const error = await loadCheckpoint(source, () => {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toBe(
      '"old-model" has no model.safetensors or model.safetensors.index.json (it has ' +
        'pytorch_model.bin). Only safetensors checkpoints are supported: convert the model in ' +
        'Python with transformers, AutoModelForMaskedLM.from_pretrained(path).save_pretrained(out, ' +
        "safe_serialization=True) (AutoModelForCausalLM for GPT models), or with the Hub's " +
        'conversion space https://huggingface.co/spaces/safetensors/convert.',
    );
  });

  it('stops at an abort', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const loading = loadCheckpoint(
      sharded(),
      (name) => {
        seen.push(name);
        if (name === 'layer.0.w') controller.abort();
      },
      { signal: controller.signal },
    );
    await expect(loading).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual(['embeddings.word', 'layer.0.w']);
  });
});
