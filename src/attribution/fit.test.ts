import { describe, expect, it } from 'vitest';
import { parseConfig } from '../weights/config';
import { MODEL_PRESETS } from '../../scripts/lib/model-presets';
import { estimateCounts } from './attribute';
import { type BackendLimits, fitOn, fitReport, footprint, memoryBudget } from './fit';
import { tinyConfig } from '../../tests/reference/random-model';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const gpt2 = parseConfig(MODEL_PRESETS['gpt2-small']);
const mbert = parseConfig(MODEL_PRESETS['mbert-base']);
const mgpt = parseConfig(MODEL_PRESETS.mgpt);

const wasm = (memory = 8): BackendLimits => ({
  backend: 'wasm',
  heapBytes: 4 * GiB,
  memoryBudget: memoryBudget('wasm', memory),
  flopPerSecond: 50e9,
});
const webgpu = (limits: Partial<Extract<BackendLimits, { backend: 'webgpu' }>> = {}) =>
  ({
    backend: 'webgpu',
    maxBufferSize: 4 * GiB,
    maxStorageBufferBindingSize: 2 * GiB,
    memoryBudget: 4 * GiB,
    shaderF16: true,
    flopPerSecond: 1e12,
    ...limits,
  }) satisfies BackendLimits;

describe('footprint', () => {
  it("counts the parameters Hugging Face's models have", () => {
    // GPT2LMHeadModel (tied head) and BertForMaskedLM without the pooler, as the engine loads.
    expect(footprint(gpt2).parameters).toBe(124_439_808);
    expect(footprint(mbert).parameters).toBe(177_974_523);
  });

  it('holds 16-bit checkpoints at 2 bytes a weight, float32 ones at 4 unless asked', () => {
    const n = footprint(gpt2).parameters;
    expect(footprint(gpt2).weightBytes).toBe(4 * n);
    expect(footprint(gpt2, { dtype: 'BF16' }).weightBytes).toBe(2 * n);
    expect(footprint(gpt2, { dtype: 'F32', float32As16: true }).weightBytes).toBe(2 * n);
    // No dtype in config.json: the checkpoint's size tells.
    expect(footprint(gpt2, { checkpointBytes: 2 * n + 30_000 }).stored16).toBe(true);
    expect(footprint(gpt2, { checkpointBytes: 4 * n + 30_000 }).stored16).toBe(false);
  });

  it('finds the largest weight and table, and counts the blocks the schedule runs', () => {
    const f = footprint(mgpt);
    expect(f.largestWhole).toEqual({ name: 'fc_w', bytes: 4 * 2048 * 8192 });
    expect(f.largestTable).toEqual({
      name: 'word_emb',
      bytes: 4 * 100_000 * 2048,
      rowBytes: 4 * 2048,
    });
    const counts = estimateCounts(mgpt, true, { tokens: 16, slots: [15] }, {});
    expect(f.blockEvaluations).toBe(counts.forward + counts.backward);
  });

  it('costs a map as its token-block evaluations, a backward one twice a forward one', () => {
    const cfg = tinyConfig('gpt2', { numLayers: 2, hiddenSize: 8, intermediateSize: 12 });
    const T = 5;
    const f = footprint(cfg, { promptTokens: T, settings: { steps: 3 } });
    const c = estimateCounts(cfg, true, { tokens: T, slots: [T - 1] }, { steps: 3 });
    // Per block: q, k, v, o (8 x 8 + 8 each), fc (8 x 12 + 12), proj (12 x 8 + 8), 2 x 2 LN.
    const blockValues = 4 * (64 + 8) + (96 + 12) + (96 + 8) + 4 * 8;
    const perPosition = 2 * blockValues + 4 * T * 8;
    expect(f.flop).toBe(perPosition * (c.forwardTokens + 2 * c.backwardTokens));
  });
});

describe('fit before the download', () => {
  it('fits GPT-2 small everywhere, with times from the backend’s speed', () => {
    const r = fitReport(gpt2, [webgpu(), wasm()]);
    expect(r.fits.map((f) => f.fits)).toEqual([true, true]);
    expect(r.best?.backend).toBe('webgpu');
    expect(r.fits[1].mapSeconds / r.fits[0].mapSeconds).toBeCloseTo(1e12 / 50e9);
  });

  it('splits the vocabulary table past the buffer limit rather than refusing it', () => {
    const f = fitOn(
      footprint(mgpt, { dtype: 'BF16' }),
      webgpu({ maxStorageBufferBindingSize: 128 * MiB }),
    );
    expect(f.splitTables).toEqual(['word_emb in 7 blocks']);
  });

  it('refuses a weight that cannot be split, naming it', () => {
    const f = fitOn(footprint(mgpt, { dtype: 'BF16' }), webgpu({ maxBufferSize: 32 * MiB }));
    expect(f.fits).toBe(false);
    expect(f.problems.join('\n')).toMatch(
      /weight fc_w takes 64 MiB as float32, more than .* \(32 MiB\): use WASM/,
    );
  });

  it('says when float32 weights fit only as 16-bit', () => {
    // mGPT as float32: 5.3 GiB of weights and 1.3 GiB of activations; 5 GiB cannot hold them.
    const small = [webgpu({ memoryBudget: 5 * GiB }), wasm(5)];
    const r = fitReport(mgpt, small, { dtype: 'F32' });
    expect(r.best).toBeUndefined();
    expect(r.fits[1].problems[0]).toMatch(/this tab may use: load the float32 weights as 16-bit/);
    expect(r.sixteenBitHelps).toBe(true);
    const half = fitReport(mgpt, small, { dtype: 'F32', float32As16: true });
    expect(half.best?.backend).toBe('webgpu');
    expect(half.footprint.weightBytes * 2).toBe(r.footprint.weightBytes);
  });

  it('counts 16-bit weights twice on a GPU without shader-f16', () => {
    const print = footprint(mbert, { dtype: 'BF16' });
    const with16 = fitOn(print, webgpu());
    const without = fitOn(print, webgpu({ shaderF16: false }));
    expect(without.totalBytes - print.workingBytes).toBe(2 * print.weightBytes);
    expect(with16.totalBytes - print.workingBytes - print.decodeBytes).toBe(print.weightBytes);
  });

  it('keeps one run within the WASM heap: a block or the head at a time, not all weights', () => {
    const f = fitOn(footprint(mgpt, { dtype: 'F32' }), wasm(16));
    expect(f.fits).toBe(true);
    const huge = parseConfig({ ...MODEL_PRESETS.mgpt, vocab_size: 600_000 });
    const g = fitOn(footprint(huge, { dtype: 'F32' }), wasm(64));
    expect(g.problems[0]).toMatch(
      /one run's weights and activations take .* more than the 4.0 GiB WASM heap/,
    );
  });

  it('budgets memory from navigator.deviceMemory', () => {
    expect(memoryBudget('wasm', 8)).toBe(8 * GiB);
    expect(memoryBudget('webgpu', 8)).toBe(4 * GiB);
    expect(memoryBudget('webgpu')).toBe(2 * GiB);
  });
});
