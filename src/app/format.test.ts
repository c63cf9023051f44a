import { describe, expect, it } from 'vitest';
import { MODEL_PRESETS } from '../../scripts/lib/model-presets';
import { fitReport } from '../attribution/fit';
import { parseConfig } from '../weights/config';
import { formatAssessment, formatWeights } from './format';

describe('formatWeights', () => {
  const MB = 1024 * 1024;
  it('says how the weights are held and whether they were rounded', () => {
    expect(formatWeights({ deviceBytes: 700 * MB, float16Bytes: 0, rounded: false })).toBe(
      '700 MB on the device, float32',
    );
    expect(formatWeights({ deviceBytes: 350 * MB, float16Bytes: 350 * MB, rounded: false })).toBe(
      '350 MB on the device, 16-bit',
    );
    expect(formatWeights({ deviceBytes: 400 * MB, float16Bytes: 300 * MB, rounded: false })).toBe(
      '400 MB on the device, 300 MB of it 16-bit',
    );
    expect(formatWeights({ deviceBytes: 350 * MB, float16Bytes: 350 * MB, rounded: true })).toBe(
      '350 MB on the device, float32 weights rounded to 16-bit',
    );
  });
});

describe('formatAssessment', () => {
  const GiB = 2 ** 30;
  const config = parseConfig(MODEL_PRESETS.mgpt);
  const backends = [
    {
      backend: 'webgpu' as const,
      maxBufferSize: 256 * 2 ** 20,
      maxStorageBufferBindingSize: 256 * 2 ** 20,
      memoryBudget: 5 * GiB,
      shaderF16: true,
      flopPerSecond: 1e12,
    },
    { backend: 'wasm' as const, heapBytes: 4 * GiB, memoryBudget: 5 * GiB, flopPerSecond: 50e9 },
  ];
  it('says what the model takes, where it fits, how long a map takes, and what helps', () => {
    const a = {
      id: 'ai-forever/mGPT',
      config,
      checkpointBytes: 5.67e9,
      report: fitReport(config, backends, { dtype: 'F32' }),
    };
    const lines = formatAssessment(a);
    expect(lines[0]).toMatch(
      /^ai-forever\/mGPT: 1,418 M parameters, a 5.3 GB download \(float32\)\. Weights in memory 5.3 GB; largest table word_emb 781 MB/,
    );
    expect(lines[1]).toMatch(
      /^WebGPU: does not fit: .* load the float32 weights as 16-bit, or use WASM\.$/,
    );
    expect(lines[2]).toMatch(/^WASM: does not fit: /);
    expect(lines[3]).toBe('It fits with “Load float32 weights as 16-bit” on.');
    const half = formatAssessment({
      ...a,
      report: fitReport(config, backends, { dtype: 'F32', float32As16: true }),
    });
    expect(half[0]).toMatch(/Weights in memory 2.6 GB, as 16-bit;/);
    expect(half[1]).toMatch(
      /^WebGPU: fits \(.* of 5.0 GB; word_emb in 4 blocks \(split by rows\)\); about \d+ s per map\.$/,
    );
    expect(half).toHaveLength(3);
  });
});
