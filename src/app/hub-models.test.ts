import { describe, expect, it } from 'vitest';
import { type BackendLimits, fitReport, flopPerSecond, memoryBudget } from '../attribution/fit';
import { parseConfig } from '../weights/config';
import { HUB_MODELS, hubModelFigures } from './hub-models';

const WASM: BackendLimits = {
  backend: 'wasm',
  heapBytes: 4 * 2 ** 30,
  memoryBudget: memoryBudget('wasm'),
  flopPerSecond: flopPerSecond.wasm(2),
};

describe('the supported Hub models', () => {
  it('are the seven of the issue, each config one the engine parses', () => {
    expect(HUB_MODELS.map((m) => m.id)).toEqual([
      'google-bert/bert-base-multilingual-cased',
      'FacebookAI/xlm-roberta-base',
      'ai-forever/mGPT',
      'openai-community/gpt2',
      'Qwen/Qwen2.5-0.5B',
      'Qwen/Qwen3-0.6B',
      'meta-llama/Llama-3.2-1B',
    ]);
    expect(HUB_MODELS.filter((m) => m.gated).map((m) => m.id)).toEqual(['meta-llama/Llama-3.2-1B']);
    for (const m of HUB_MODELS) expect(() => parseConfig(m.config)).not.toThrow();
  });

  it('have the parameter counts their model cards state', () => {
    // Published sizes (model cards, rounded): checks that the shapes are the real ones.
    const millions = Object.fromEntries(
      HUB_MODELS.map((m) => [m.title, hubModelFigures(m, [WASM]).parameters / 1e6]),
    );
    expect(millions['mBERT']).toBeCloseTo(178, -1);
    expect(millions['XLM-R base']).toBeCloseTo(278, -1);
    expect(millions['GPT-2']).toBeCloseTo(124, -1);
    expect(millions['Qwen2.5-0.5B']).toBeCloseTo(494, -1);
    expect(millions['Qwen3-0.6B']).toBeCloseTo(596, -1);
    expect(millions['Llama-3.2-1B']).toBeCloseTo(1236, -1);
    expect(millions['mGPT'] / 1000).toBeCloseTo(1.4, 1);
  });

  it('take their figures from the fit code, at the dtype of their checkpoints', () => {
    for (const m of HUB_MODELS) {
      const figures = hubModelFigures(m, [WASM]);
      const direct = fitReport(parseConfig(m.config), [WASM], { dtype: figures.dtype });
      expect(figures.fits).toEqual(direct.fits);
      expect(figures.weightBytes).toBe(direct.footprint.weightBytes);
      expect(figures.downloadBytes).toBe(
        direct.footprint.parameters * (figures.dtype === 'F32' ? 4 : 2),
      );
      expect(figures.fits[0].mapSeconds).toBe(direct.footprint.flop / WASM.flopPerSecond);
    }
    const dtypes = Object.fromEntries(
      HUB_MODELS.map((m) => [m.title, hubModelFigures(m, [WASM]).dtype]),
    );
    expect(dtypes).toMatchObject({ mBERT: 'F32', 'Qwen3-0.6B': 'BF16', 'Llama-3.2-1B': 'BF16' });
    // The 16-bit setting halves a float32 model's weights in memory, not its download.
    const gpt2 = HUB_MODELS.find((m) => m.title === 'GPT-2')!;
    const half = hubModelFigures(gpt2, [WASM], { float32As16: true });
    expect(half.weightBytes * 2).toBe(hubModelFigures(gpt2, [WASM]).weightBytes);
    expect(half.downloadBytes).toBe(hubModelFigures(gpt2, [WASM]).downloadBytes);
  });
});
