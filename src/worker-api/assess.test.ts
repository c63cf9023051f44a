import { describe, expect, it } from 'vitest';
import { MODEL_PRESETS } from '../../scripts/lib/model-presets';
import { MemorySource } from '../weights';
import { assessSource, backendsOf } from './assess';

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

  it('refuses a repository without safetensors, saying why', async () => {
    await expect(
      assessSource(
        sizedSource(MODEL_PRESETS['gpt2-small'], { 'pytorch_model.bin': 5 }),
        backendsOf(page),
      ),
    ).rejects.toThrow(/neither model.safetensors nor model.safetensors.index.json/);
  });
});
