import { describe, expect, it } from 'vitest';
import { checkpointSizeFromIndex, configDtype } from './checkpoint-size';

describe('checkpoint size before the download', () => {
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
      files: ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'],
    });
    // Without total_size the shards' own sizes must be read (src/worker-api/assess.ts).
    expect(checkpointSizeFromIndex({ weight_map: index.weight_map })).toEqual({
      bytes: undefined,
      files: ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'],
    });
  });

  it("reads the config's dtype in either field", () => {
    expect(configDtype({ torch_dtype: 'bfloat16' })).toBe('BF16');
    expect(configDtype({ dtype: 'float16', torch_dtype: 'float32' })).toBe('F16');
    expect(configDtype({ torch_dtype: 'float32' })).toBe('F32');
    expect(configDtype({ torch_dtype: 'int8' })).toBeUndefined();
    expect(configDtype({})).toBeUndefined();
  });
});
