import { describe, expect, it } from 'vitest';
import {
  TINY_LLAMA_VARIANTS,
  randomLlamaModel,
  randomModel,
  tinyConfig,
  tinyLlamaConfig,
} from '../../tests/reference/random-model';
import { parseConfig } from '../weights/config';
import { type HeaderEntry, headerOnlyFile } from '../../tests/util/header-only-file';
import { type CheckpointOptions, loadCheckpoint } from '../weights/checkpoint';
import { CheckpointError } from '../weights/errors';
import { MemorySource } from '../weights/memory-source';
import { writeSafetensors } from '../weights/safetensors';
import type { ModelConfig, ModelFile, ModelSource } from '../weights/types';
import { architectures } from '.';
import {
  canonicalName,
  checkCheckpoint,
  impliedCheckpointBytes,
  toInputLayout,
  weightIndex,
} from './weights';

function sourceOf(files: ModelFile[], extra: Record<string, string> = {}): ModelSource {
  const byName = new Map(files.map((f) => [f.name, f]));
  return {
    id: 'hostile',
    has: async (n) => byName.has(n) || Object.hasOwn(extra, n),
    open: async (n) => byName.get(n) ?? new MemorySource('x', extra).open(n),
  };
}

/** The HF tensors of a tiny model, as header entries. */
function entriesOf(cfg: ModelConfig): HeaderEntry[] {
  return [...randomModel(cfg, 1)].map(([name, t]) => ({ name, shape: t.dims }));
}

function check(cfg: ModelConfig): CheckpointOptions {
  const arch = architectures[cfg.family];
  const index = weightIndex(arch, cfg);
  return {
    include: (name) => index.has(canonicalName(name)),
    check: (plan) => checkCheckpoint(arch, cfg, plan),
  };
}

const BERT = tinyConfig('bert');
const GPT2 = tinyConfig('gpt2');

/** A LLaMA-family config.json of a tiny variant, and the header entries of its checkpoint. */
function llamaCase(variant: (typeof TINY_LLAMA_VARIANTS)[number]) {
  const json = tinyLlamaConfig(variant);
  const entries = [...randomLlamaModel(json, 1)].map(([name, t]) => ({ name, shape: t.dims }));
  return { json, cfg: parseConfig(json), entries };
}

describe('checkCheckpoint', () => {
  it('rejects a word embedding far larger than config.json implies before reading any data', async () => {
    const reads = { streams: 0, dataBytes: 0 };
    const entries = entriesOf(BERT).map((e) =>
      e.name === 'bert.embeddings.word_embeddings.weight' ? { ...e, shape: [23, 7_000_000] } : e,
    );
    const file = headerOnlyFile('model.safetensors', entries, reads);
    expect(file.size).toBeGreaterThan(600_000_000);
    const error = await loadCheckpoint(sourceOf([file]), () => {}, check(BERT)).catch((e) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toBe(
      'model.safetensors: tensor "bert.embeddings.word_embeddings.weight" has shape [23, 7000000] ' +
        'but config.json implies [23, 8]; the checkpoint and config.json are not of the same ' +
        'model, download both from the same model folder.',
    );
    expect(error.file).toBe('model.safetensors');
    expect(reads).toEqual({ streams: 0, dataBytes: 0 });
  });

  it('checks every shard of a sharded checkpoint before reading the first', async () => {
    const reads = { streams: 0, dataBytes: 0 };
    const entries = entriesOf(GPT2);
    const first = entries.filter((e) => !e.name.includes('.h.1.'));
    const second = entries
      .filter((e) => e.name.includes('.h.1.'))
      .map((e) => (e.name.endsWith('c_attn.weight') ? { ...e, shape: [8, 8] } : e));
    const names = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    const weightMap = Object.fromEntries([
      ...first.map((e) => [e.name, names[0]]),
      ...second.map((e) => [e.name, names[1]]),
    ]);
    const source = sourceOf(
      [headerOnlyFile(names[0], first, reads), headerOnlyFile(names[1], second, reads)],
      { 'model.safetensors.index.json': JSON.stringify({ weight_map: weightMap }) },
    );
    await expect(loadCheckpoint(source, () => {}, check(GPT2))).rejects.toThrow(
      'model-00002-of-00002.safetensors: tensor "transformer.h.1.attn.c_attn.weight" has shape ' +
        '[8, 8] but config.json implies [8, 24]',
    );
    expect(reads).toEqual({ streams: 0, dataBytes: 0 });
  });

  it('compares the size config.json implies with the checkpoint before anything else', async () => {
    const reads = { streams: 0, dataBytes: 0 };
    const file = headerOnlyFile('model.safetensors', entriesOf(BERT), reads);
    const deeper = { ...BERT, numLayers: 100 };
    const error = await loadCheckpoint(sourceOf([file]), () => {}, check(deeper)).catch((e) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toMatch(
      /^config\.json describes a bert model whose weights take at least [\d,]+ bytes \(at 16 bits per value\), but the checkpoint \(model\.safetensors\) has [\d,]+ bytes; config\.json and the checkpoint are not of the same model/,
    );
    expect(reads).toEqual({ streams: 0, dataBytes: 0 });
  });

  it('names missing tensors before reading any data', async () => {
    const reads = { streams: 0, dataBytes: 0 };
    // A float32 checkpoint is large enough for the size check even without one bias.
    const entries = entriesOf(BERT).filter((e) => !e.name.endsWith('layer.1.output.dense.bias'));
    const file = headerOnlyFile('model.safetensors', entries, reads);
    await expect(loadCheckpoint(sourceOf([file]), () => {}, check(BERT))).rejects.toThrow(
      /^model\.safetensors lacks 1 tensor\(s\) this bert model needs, e\.g\. encoder\.layer\.1\.output\.dense\.bias\./,
    );
    expect(reads).toEqual({ streams: 0, dataBytes: 0 });
  });

  it('accepts the checkpoints the architecture implies, in every dtype', async () => {
    for (const cfg of [BERT, GPT2, tinyConfig('xlm-roberta', { tieWordEmbeddings: false })]) {
      for (const dtype of ['F32', 'F16', 'BF16'] as const) {
        const tensors = Object.fromEntries(
          [...randomModel(cfg, 3)].map(([name, t]) => [name, { ...t, dtype }]),
        );
        const source = new MemorySource('ok', { 'model.safetensors': writeSafetensors(tensors) });
        const seen: string[] = [];
        await loadCheckpoint(source, (name) => void seen.push(name), check(cfg));
        expect(seen.length).toBe(Object.keys(tensors).length);
      }
    }
  });
});

describe('checkCheckpoint: LLaMA family', () => {
  it('refuses a checkpoint without down_proj from its header, naming the tensor', async () => {
    const reads = { streams: 0, dataBytes: 0 };
    const { cfg, entries } = llamaCase('qwen3');
    const kept = entries.filter((e) => e.name !== 'model.layers.1.mlp.down_proj.weight');
    // Large enough for the size check: one down_proj fewer, but float32.
    const file = headerOnlyFile('model.safetensors', kept, reads);
    await expect(loadCheckpoint(sourceOf([file]), () => {}, check(cfg))).rejects.toThrow(
      /^model\.safetensors lacks 1 tensor\(s\) this qwen3 model needs, e\.g\. layers\.1\.mlp\.down_proj\.weight\..* download config\.json and the weights from the same model folder/,
    );
    expect(reads).toEqual({ streams: 0, dataBytes: 0 });
  });

  it('refuses tensors that disagree with head_dim from their header, naming the fields', async () => {
    const reads = { streams: 0, dataBytes: 0 };
    // Tensors of head_dim 8, config of head_dim 4 (4 query heads, 2 key/value heads).
    const { entries } = llamaCase('qwen3');
    const cfg = parseConfig(tinyLlamaConfig('qwen3', { head_dim: 4 }));
    const file = headerOnlyFile('model.safetensors', entries, reads);
    await expect(loadCheckpoint(sourceOf([file]), () => {}, check(cfg))).rejects.toThrow(
      'model.safetensors: tensor "model.layers.0.self_attn.q_proj.weight" has shape [32, 16] ' +
        "but config.json's hidden_size, num_attention_heads x head_dim imply [16, 16]; the " +
        'checkpoint and config.json are not of the same model, download both from the same ' +
        'model folder.',
    );
    expect(reads).toEqual({ streams: 0, dataBytes: 0 });
  });

  it('refuses key/value projections of another head count from their header', async () => {
    const reads = { streams: 0, dataBytes: 0 };
    const { entries } = llamaCase('llama');
    // The checkpoint has 2 key/value heads; config.json says 4 (multi-head attention).
    const cfg = parseConfig(tinyLlamaConfig('llama', { num_key_value_heads: 4 }));
    const file = headerOnlyFile('model.safetensors', entries, reads);
    await expect(loadCheckpoint(sourceOf([file]), () => {}, check(cfg))).rejects.toThrow(
      /self_attn\.k_proj\.weight" has shape \[8, 16\] but config\.json's hidden_size, num_key_value_heads x head_dim imply \[16, 16\]/,
    );
    expect(reads).toEqual({ streams: 0, dataBytes: 0 });
  });

  it('refuses a bfloat16 header that lies about sizes, naming the tensor, before reading data', async () => {
    const { cfg, entries } = llamaCase('qwen3');
    const bf16 = entries.map((e) => ({ ...e, dtype: 'BF16' as const }));
    const downProj = 'model.layers.0.mlp.down_proj.weight';
    const elements = (shape: number[]) => shape.reduce((a, d) => a * d, 1);

    // A converter that changed the dtype to BF16 but kept float32's byte spans.
    const reads = { streams: 0, dataBytes: 0 };
    const spans = bf16.map((e) =>
      e.name === downProj ? { ...e, bytes: 4 * elements(e.shape) } : e,
    );
    const shape = bf16.find((e) => e.name === downProj)!.shape;
    await expect(
      loadCheckpoint(
        sourceOf([headerOnlyFile('model.safetensors', spans, reads)]),
        () => {},
        check(cfg),
      ),
    ).rejects.toThrow(
      new RegExp(
        `^model\\.safetensors is corrupt: tensor "model\\.layers\\.0\\.mlp\\.down_proj\\.weight" has shape ` +
          `\\[${shape.join(', ')}\\] and dtype BF16, which needs ${2 * elements(shape)} bytes, but its ` +
          `data_offsets \\[\\d+, \\d+\\] span ${4 * elements(shape)} bytes; download it again\\.$`,
      ),
    );
    expect(reads).toEqual({ streams: 0, dataBytes: 0 });

    // A header that claims more bytes than the file has (a download cut short).
    const whole = headerOnlyFile('model.safetensors', bf16, reads);
    const cut = { ...whole, size: whole.size - 2 };
    await expect(loadCheckpoint(sourceOf([cut]), () => {}, check(cfg))).rejects.toThrow(
      new RegExp(
        `^model\\.safetensors is truncated: tensor ".+" ends at byte ${whole.size} but the file ` +
          `has ${cut.size} bytes; download it again\\.$`,
      ),
    );
    expect(reads).toEqual({ streams: 0, dataBytes: 0 });
  });

  it('accepts every tiny variant: biases, q/k norms, tied and separate heads', async () => {
    for (const variant of TINY_LLAMA_VARIANTS) {
      const { json, cfg } = llamaCase(variant);
      const tensors = Object.fromEntries(
        [...randomLlamaModel(json, 3)].map(([name, t]) => [name, { ...t, dtype: 'BF16' as const }]),
      );
      const source = new MemorySource('ok', { 'model.safetensors': writeSafetensors(tensors) });
      const seen: string[] = [];
      await loadCheckpoint(source, (name) => void seen.push(name), check(cfg));
      expect(seen.length, variant).toBe(Object.keys(tensors).length);
    }
  });
});

describe('impliedCheckpointBytes', () => {
  it('is the size of the data of a float16 checkpoint, counting fused and tied tensors once', () => {
    const configs = [
      BERT,
      tinyConfig('bert', { tieWordEmbeddings: false, typeVocabSize: 0 }),
      tinyConfig('roberta'),
      GPT2,
      tinyConfig('gpt2', { tieWordEmbeddings: false, numLayers: 3 }),
    ];
    for (const cfg of configs) {
      const dataBytes = [...randomModel(cfg, 1).values()].reduce(
        (a, t) => a + 2 * t.data.length,
        0,
      );
      expect(impliedCheckpointBytes(architectures[cfg.family], cfg)).toBe(dataBytes);
    }
    for (const variant of TINY_LLAMA_VARIANTS) {
      const { json, cfg } = llamaCase(variant);
      const dataBytes = [...randomLlamaModel(json, 1).values()].reduce(
        (a, t) => a + 2 * t.data.length,
        0,
      );
      expect(impliedCheckpointBytes(architectures.llama, cfg), variant).toBe(dataBytes);
    }
  });

  it('costs nothing for an absurd number of layers', () => {
    const bytes = impliedCheckpointBytes(architectures.bert, { ...BERT, numLayers: 1e9 });
    expect(bytes).toBeGreaterThan(1e9 * 2 * 8 * 8);
  });
});

describe('toInputLayout', () => {
  it('throws a CheckpointError naming the file and the tensor for a shape config.json does not imply', () => {
    const spec = architectures.gpt2.blockWeights(GPT2).find((s) => s.input === 'q_w')!;
    const bad = { dims: [8, 8], data: new Float32Array(64) };
    const error = (() => {
      try {
        toInputLayout(spec, 'transformer.h.0.attn.c_attn.weight', bad, 'model.safetensors');
      } catch (e) {
        return e as CheckpointError;
      }
    })();
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error!.name).toBe('CheckpointError');
    expect(error!.file).toBe('model.safetensors');
    expect(error!.message).toMatch(
      /^model\.safetensors: tensor "transformer\.h\.0\.attn\.c_attn\.weight" has shape \[8, 8\] but config\.json implies \[8, 24\]/,
    );
  });
});
