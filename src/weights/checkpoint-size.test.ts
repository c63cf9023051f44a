import { describe, expect, it } from 'vitest';
import { checkpointSizeFromIndex, checkpointSizeFromListing, configDtype } from './checkpoint-size';

describe('checkpoint size before the download', () => {
  it('adds the safetensors shards of a Hub listing, ignoring other files', () => {
    const listing = [
      { type: 'file', path: 'config.json', size: 700 },
      { type: 'file', path: 'model-00002-of-00002.safetensors', size: 10, lfs: { size: 1_000 } },
      { type: 'file', path: 'model-00001-of-00002.safetensors', size: 10, lfs: { size: 5_000 } },
      { type: 'file', path: 'pytorch_model.bin', size: 9_999 },
      { type: 'directory', path: 'onnx', size: 0 },
      { type: 'file', path: 'onnx/model.safetensors', size: 9_999 },
    ];
    expect(checkpointSizeFromListing(listing)).toEqual({
      bytes: 6_000,
      files: [
        { name: 'model-00001-of-00002.safetensors', bytes: 5_000 },
        { name: 'model-00002-of-00002.safetensors', bytes: 1_000 },
      ],
    });
    expect(
      checkpointSizeFromListing([{ type: 'file', path: 'model.safetensors', size: 42 }]),
    ).toEqual({ bytes: 42, files: [{ name: 'model.safetensors', bytes: 42 }] });
    expect(checkpointSizeFromListing([{ type: 'file', path: 'pytorch_model.bin', size: 1 }])).toBe(
      undefined,
    );
    expect(() => checkpointSizeFromListing({ error: 'not found' })).toThrow(/not a list/);
    expect(() => checkpointSizeFromListing([{ type: 'file', path: 'model.safetensors' }])).toThrow(
      /no size for model.safetensors/,
    );
  });

  it('reads the total size and shards of model.safetensors.index.json', () => {
    const index = {
      metadata: { total_size: 2_471_645_608 },
      weight_map: {
        'model.embed_tokens.weight': 'model-00001-of-00002.safetensors',
        'model.norm.weight': 'model-00002-of-00002.safetensors',
        'lm_head.weight': 'model-00002-of-00002.safetensors',
      },
    };
    expect(checkpointSizeFromIndex(index)).toEqual({
      bytes: 2_471_645_608,
      files: [
        { name: 'model-00001-of-00002.safetensors', bytes: 0 },
        { name: 'model-00002-of-00002.safetensors', bytes: 0 },
      ],
    });
    expect(() => checkpointSizeFromIndex({ weight_map: {} })).toThrow(/metadata.total_size/);
  });

  it("reads the config's dtype in either field", () => {
    expect(configDtype({ torch_dtype: 'bfloat16' })).toBe('BF16');
    expect(configDtype({ dtype: 'float16', torch_dtype: 'float32' })).toBe('F16');
    expect(configDtype({ torch_dtype: 'float32' })).toBe('F32');
    expect(configDtype({ torch_dtype: 'int8' })).toBeUndefined();
    expect(configDtype({})).toBeUndefined();
  });
});
