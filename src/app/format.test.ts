import { describe, expect, it } from 'vitest';
import { formatWeights } from './format';

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
