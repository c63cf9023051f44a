/**
 * Model folders whose config.json or checkpoint header lies about sizes: loadModel rejects them
 * with the weights layer's errors before it reads any tensor data or touches the device.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OutOfMemoryError, loadModel } from '../src/model';
import type { BackendName, Runtime, RuntimeLimits } from '../src/runtime/runtime';
import { parseConfig } from '../src/weights/config';
import { CheckpointError, ConfigError } from '../src/weights/errors';
import { MemorySource } from '../src/weights/memory-source';
import type { ModelFile, ModelSource } from '../src/weights/types';
import { randomModel } from './reference/random-model';
import { type DataReads, type HeaderEntry, headerOnlyFile } from './util/header-only-file';

const TOKENIZER = readFileSync(
  new URL('../src/weights/fixtures/bert-tokenizer.json', import.meta.url),
  'utf8',
);

const CONFIG = {
  model_type: 'bert',
  vocab_size: 23,
  hidden_size: 8,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 12,
  max_position_embeddings: 16,
};

/** A runtime the loads must never reach: every use of it fails the test. */
const untouchable = new Proxy({} as Runtime, {
  get: (_, key) => {
    throw new Error(`the runtime was used (${String(key)})`);
  },
});

interface Folder {
  source: ModelSource;
  reads: DataReads;
  opened: string[];
}

function folder(config: object, entries: HeaderEntry[]): Folder {
  const reads = { streams: 0, dataBytes: 0 };
  const opened: string[] = [];
  const text = new MemorySource('hostile', {
    'config.json': JSON.stringify(config),
    'tokenizer.json': TOKENIZER,
  });
  const checkpoint: ModelFile = headerOnlyFile('model.safetensors', entries, reads);
  const source: ModelSource = {
    id: 'hostile',
    has: async (name) => name === checkpoint.name || (await text.has(name)),
    open: async (name) => {
      opened.push(name);
      return name === checkpoint.name ? checkpoint : text.open(name);
    },
  };
  return { source, reads, opened };
}

const entries = (): HeaderEntry[] =>
  [...randomModel(parseConfig(CONFIG), 1)].map(([name, t]) => ({ name, shape: t.dims }));

describe('loadModel on hostile model files', () => {
  it('rejects an absurd config.json before opening the checkpoint', async () => {
    const f = folder({ ...CONFIG, num_hidden_layers: 1_000_000_000 }, entries());
    const error = await loadModel(f.source, untouchable).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(
      /"num_hidden_layers" is 1000000000, but this app accepts at most/,
    );
    expect(f.opened).not.toContain('model.safetensors');
  });

  it('rejects a config.json that implies more weights than the checkpoint holds', async () => {
    const f = folder({ ...CONFIG, num_hidden_layers: 200, intermediate_size: 100_000 }, entries());
    const error = await loadModel(f.source, untouchable).catch((e) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toMatch(/^config\.json describes a bert model whose weights take/);
    expect(f.reads).toEqual({ streams: 0, dataBytes: 0 });
  });

  it('rejects a header that promises a tensor far larger than config.json implies', async () => {
    const huge = entries().map((e) =>
      e.name === 'bert.embeddings.word_embeddings.weight' ? { ...e, shape: [23, 7_000_000] } : e,
    );
    const f = folder(CONFIG, huge);
    const error = await loadModel(f.source, untouchable).catch((e) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toMatch(
      /^model\.safetensors: tensor "bert\.embeddings\.word_embeddings\.weight" has shape \[23, 7000000\]/,
    );
    expect(f.reads).toEqual({ streams: 0, dataBytes: 0 });
  });

  it('refuses weights the device cannot hold, from the headers, before reading or allocating', async () => {
    // 64 bytes hold no weight matrix of this model; tables (embeddings, head) would be split.
    const limited = (backend: BackendName, limits: RuntimeLimits) =>
      new Proxy({} as Runtime, {
        get: (_, key) => {
          if (key === 'info') return { backend };
          if (key === 'limits') return limits;
          throw new Error(`the runtime was used (${String(key)})`);
        },
      });
    const gpu = folder(CONFIG, entries());
    const error = await loadModel(
      gpu.source,
      limited('webgpu', { float16: true, maxTensorBytes: 64 }),
    ).catch((e) => e);
    expect(error).toBeInstanceOf(OutOfMemoryError);
    expect(error.message).toMatch(
      /^hostile cannot run on this GPU: its tensor \S+ \[\d+, \d+\] takes/,
    );
    expect(error.message).not.toMatch(/word_embeddings/);
    expect(gpu.reads).toEqual({ streams: 0, dataBytes: 0 });

    const wasm = folder(CONFIG, entries());
    const heapError = await loadModel(
      wasm.source,
      limited('wasm', { float16: true, maxTensorBytes: 735, heapBytes: 735 }),
    ).catch((e) => e);
    expect(heapError).toBeInstanceOf(OutOfMemoryError);
    expect(heapError.message).toMatch(
      /^hostile cannot run on WASM: it needs [\d,]+ bytes at once for the weights of layer \d/,
    );
    expect(wasm.reads).toEqual({ streams: 0, dataBytes: 0 });
  });
});
