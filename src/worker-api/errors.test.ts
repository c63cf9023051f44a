import { describe, expect, it } from 'vitest';
import { OutOfMemoryError } from '../model';
import { memoryRemedies, toUserError } from './errors';

describe('out-of-memory messages', () => {
  const amig = { method: 'amig', steps: 20 };
  const run = {
    doing: 'running the attribution',
    checkpointBytes: 700 * 2 ** 20,
    model: 'hub:FacebookAI/xlm-roberta-large@main',
    backend: 'webgpu' as const,
    settings: amig,
  };

  it('name the model, its size, the backend and the setting, then what to try', () => {
    const e = toUserError(new Error('GPUOutOfMemoryError: Buffer allocation failed'), run);
    expect(e.name).toBe('OutOfMemoryError');
    expect(e.message).toBe(
      'Out of memory while running the attribution of hub:FacebookAI/xlm-roberta-large@main ' +
        "(the model's weights take 700 MB, on WebGPU) with AMIG at 20 steps. Try fewer steps " +
        "(m = 20 now: the path's rows are run as one batch), the WASM backend (add " +
        "?backend=wasm to the address), which uses the computer's memory rather than the GPU's, " +
        'a smaller model or closing other tabs, then reloading the page. ' +
        '(GPUOutOfMemoryError: Buffer allocation failed)',
    );
  });

  it('recognise the ways WASM, V8, onnxruntime and WebGPU say it', () => {
    for (const message of [
      'Aborted(OOM)',
      'RangeError: WebAssembly.Memory.grow(): Maximum memory size exceeded',
      'failed to allocate a buffer of size 123',
      'std::bad_alloc',
      "upload: 5 bytes exceed the GPU's largest buffer (4)",
    ])
      expect(toUserError(new Error(message), run).name, message).toBe('OutOfMemoryError');
    const array = toUserError(new RangeError('Array buffer allocation failed'), run);
    expect(array.name).toBe('OutOfMemoryError');
    expect(toUserError(new RangeError('steps must be a whole number'), run).name).toBe(
      'RangeError',
    );
  });

  it('suggest only what applies: no fewer steps for one pass, no WASM when on WASM', () => {
    expect(
      memoryRemedies({ doing: 'x', backend: 'wasm', settings: { method: 'grad-x-act', steps: 1 } }),
    ).toEqual(['a smaller model', 'closing other tabs, then reloading the page']);
    const loading = toUserError(new Error('Aborted(OOM)'), {
      doing: 'loading the model',
      model: 'bundled:demo-bert',
      backend: 'wasm',
    });
    expect(loading.message).toBe(
      'Out of memory while loading the model of bundled:demo-bert (on WASM). Try a smaller model ' +
        'or closing other tabs, then reloading the page. (Aborted(OOM))',
    );
  });

  it('offer the 16-bit setting where float32 weights would be rounded by it', () => {
    expect(memoryRemedies({ doing: 'x', backend: 'wasm', float32Weights: true })).toEqual([
      'the setting "Load float32 weights as 16-bit", which halves the weights\' memory',
      'a smaller model',
      'closing other tabs, then reloading the page',
    ]);
    expect(
      memoryRemedies({ doing: 'x', backend: 'wasm', float32Weights: false }),
    ).not.toContainEqual(expect.stringMatching(/16-bit/));
  });

  it('pass a refusal made from the sizes on as it is', () => {
    const refusal = new OutOfMemoryError('m cannot run on WASM: its weights take 5.0 GiB ...');
    expect(toUserError(refusal, run)).toMatchObject({
      name: 'OutOfMemoryError',
      message: refusal.message,
    });
  });
});
