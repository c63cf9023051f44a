import { describe, expect, it } from 'vitest';
import { MODEL_PRESETS } from '../../scripts/lib/model-presets';
import { MemorySource } from '../weights';
import { OutOfMemoryError } from '../model/memory';
import { assessSource, backendsOf, refuseUnfit } from './assess';

const GiB = 2 ** 30;
const page = {
  backend: 'webgpu' as const,
  limits: { float16: true, maxTensorBytes: 256 * 2 ** 20 },
  threads: 2,
  deviceMemoryGiB: 8,
  wasmHeapBytes: 4 * GiB,
};

/** A source that has config.json and answers for the checkpoint without its bytes. */
function sizedSource(config: Record<string, unknown>, files: Record<string, number | object>) {
  const texts: Record<string, string> = { 'config.json': JSON.stringify(config) };
  for (const [name, v] of Object.entries(files))
    if (typeof v === 'object') texts[name] = JSON.stringify(v);
  const inner = new MemorySource('owner/model', texts);
  return {
    id: 'owner/model',
    has: async (name: string) => name in texts || name in files,
    open: async (name: string) => {
      const size = files[name];
      if (typeof size === 'number')
        return {
          name,
          size,
          stream: () => {
            throw new Error('the checkpoint must not be read');
          },
          slice: () => {
            throw new Error('the checkpoint must not be read');
          },
        };
      return inner.open(name);
    },
  };
}

describe('assessing a model before its download', () => {
  it('reads the dtype and the size of one checkpoint file, and picks the backend', async () => {
    const config = { ...MODEL_PRESETS['gpt2-small'], torch_dtype: 'float32' };
    const a = await assessSource(
      sizedSource(config, { 'model.safetensors': 497_774_208 }),
      backendsOf(page),
    );
    expect(a.dtype).toBe('F32');
    expect(a.checkpointBytes).toBe(497_774_208);
    expect(a.report.footprint.bytesPerValue).toBe(4);
    expect(a.report.best?.backend).toBe('webgpu');
    expect(a.report.fits.map((f) => f.backend)).toEqual(['webgpu', 'wasm']);
  });

  it('reads a sharded checkpoint’s size from its index, and a 16-bit one from its size', async () => {
    const config = MODEL_PRESETS.mgpt; // no torch_dtype
    const index = { metadata: { total_size: 2_835_193_856 }, weight_map: {} };
    const a = await assessSource(
      sizedSource(config, { 'model.safetensors.index.json': index }),
      backendsOf({ ...page, backend: 'wasm' }),
    );
    expect(a.dtype).toBeUndefined();
    expect(a.checkpointBytes).toBe(2_835_193_856);
    expect(a.report.footprint.stored16).toBe(true);
    expect(a.report.fits.map((f) => f.backend)).toEqual(['wasm']);
  });

  it('adds the shards’ sizes when the index declares no total size', async () => {
    const index = {
      weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' },
    };
    const a = await assessSource(
      sizedSource(MODEL_PRESETS['gpt2-small'], {
        'model.safetensors.index.json': index,
        'model-00001-of-00002.safetensors': 300_000_000,
        'model-00002-of-00002.safetensors': 197_774_208,
      }),
      backendsOf(page),
    );
    expect(a.checkpointBytes).toBe(497_774_208);
  });

  it('refuses a model that does not fit the running backend, saying what to do', async () => {
    const config = { ...MODEL_PRESETS.mgpt, torch_dtype: 'float32' };
    const small = { ...page, backend: 'wasm' as const, deviceMemoryGiB: 4 };
    const a = await assessSource(
      sizedSource(config, { 'model.safetensors': 5_300_000_000 }),
      backendsOf(small),
    );
    const refusal = (() => {
      try {
        refuseUnfit(a, 'wasm');
      } catch (e) {
        return e;
      }
    })();
    expect(refusal).toBeInstanceOf(OutOfMemoryError);
    expect((refusal as Error).message).toMatch(
      /^owner\/model cannot run on WASM here: weights and working memory take .+ GiB, more than the 4\.0 GiB this tab may use: load the float32 weights as 16-bit\. Nothing was read from its checkpoint\.$/,
    );
    // GPT-2 small as float32 fits.
    const gpt2 = await assessSource(
      sizedSource(MODEL_PRESETS['gpt2-small'], { 'model.safetensors': 497_774_208 }),
      backendsOf(small),
    );
    expect(() => refuseUnfit(gpt2, 'wasm')).not.toThrow();
  });

  it('refuses a repository without safetensors, saying why', async () => {
    await expect(
      assessSource(
        sizedSource(MODEL_PRESETS['gpt2-small'], { 'pytorch_model.bin': 5 }),
        backendsOf(page),
      ),
    ).rejects.toThrow(/neither model.safetensors nor model.safetensors.index.json/);
  });
});
