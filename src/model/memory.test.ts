import { describe, expect, it } from 'vitest';
import type { CheckpointPlan } from '../weights/checkpoint';
import { OutOfMemoryError, checkWeightsFit } from './memory';

/** A plan of float16 tensors of these shapes (2 bytes stored, 4 on the device). */
function plan(shapes: Record<string, number[]>, dtype: 'F16' | 'F32' = 'F16'): CheckpointPlan {
  let at = 0;
  const tensors = Object.entries(shapes).map(([name, shape]) => {
    const bytes = (dtype === 'F16' ? 2 : 4) * shape.reduce((n, d) => n * d, 1);
    const t = { name, dtype, shape, begin: at, end: at + bytes, file: 'm.st' };
    at += bytes;
    return t;
  });
  return { files: [{ name: 'm.st', size: at }], totalBytes: at, tensors };
}

const MIB = 2 ** 20;

/** A runtime's description and limits: the WebGPU buffer limit, or the WASM heap. */
const gpu = (maxTensorBytes: number) => ({
  info: { backend: 'webgpu' as const },
  limits: { float16: true, maxTensorBytes },
});
const wasm = (heapBytes: number) => ({
  info: { backend: 'wasm' as const },
  limits: { float16: true, maxTensorBytes: heapBytes, heapBytes },
});
const wasmCopying = (heapBytes: number) => ({
  info: { backend: 'wasm' as const },
  limits: { float16: true, maxTensorBytes: heapBytes, heapBytes, copiesFeeds: true },
});
const node = { info: { backend: 'node' as const }, limits: { float16: true, maxTensorBytes: 1 } };

describe('checkWeightsFit', () => {
  const model = plan({ 'wte.weight': [1024, 512], 'h.0.mlp.c_fc.weight': [512, 2048] });
  // As 32-bit floats: wte 2 MiB, c_fc 4 MiB, 6 MiB in all.

  it('lets a model through that fits, and any model where no limit is known (Node)', () => {
    expect(() => checkWeightsFit(model, gpu(4 * MIB), 'm')).not.toThrow();
    expect(() => checkWeightsFit(model, wasm(4 * MIB), 'm')).not.toThrow();
    expect(() => checkWeightsFit(model, node, 'm')).not.toThrow();
  });

  it('refuses a tensor larger than the GPU buffer, naming model, tensor and what to try', () => {
    const e = catchError(() => checkWeightsFit(model, gpu(4 * MIB - 1), 'hub:big'));
    expect(e).toBeInstanceOf(OutOfMemoryError);
    expect(e.name).toBe('OutOfMemoryError');
    expect(e.message).toBe(
      'hub:big cannot run on this GPU: its tensor h.0.mlp.c_fc.weight [512, 2048] takes 4.0 MiB ' +
        "as 32-bit floats, more than the GPU's largest buffer (4.0 MiB). Nothing was downloaded. " +
        'Try the WASM backend (add ?backend=wasm to the address) or a smaller model.',
    );
  });

  it('lets a table larger than the GPU buffer through: it is split by rows', () => {
    const isTable = (name: string) => name === 'h.0.mlp.c_fc.weight';
    expect(() => checkWeightsFit(model, gpu(2 * MIB), 'm', isTable)).not.toThrow();
    const e = catchError(() => checkWeightsFit(model, gpu(2 * MIB - 1), 'm', isTable));
    expect(e.message).toMatch(/^m cannot run on this GPU: its tensor wte\.weight \[1024, 512\]/);
  });

  it('refuses a block whose weights are larger than the WASM heap, counted as 32-bit floats', () => {
    // Layer 0 takes 4 + 4 MiB; the embeddings 2 MiB; the whole model 10 MiB.
    const layered = plan({
      'wte.weight': [1024, 512],
      'h.0.mlp.c_fc.weight': [512, 2048],
      'h.0.mlp.c_proj.weight': [2048, 512],
    });
    expect(() => checkWeightsFit(layered, wasm(8 * MIB), 'm')).not.toThrow();
    const e = catchError(() => checkWeightsFit(layered, wasm(8 * MIB - 4), 'hub:big'));
    expect(e.name).toBe('OutOfMemoryError');
    expect(e.message).toMatch(
      /^hub:big cannot run on WASM: it needs 8\.0 MiB at once for the weights of layer 0 \(as 32-bit floats\), more than the WASM engine's memory \(8\.0 MiB at most\)\. Nothing was downloaded\. Try a smaller model, or WebGPU/,
    );
    const small = plan({ 'wte.weight': [1024, 512], 'h.0.ln_1.weight': [512] });
    const embeddings = catchError(() => checkWeightsFit(small, wasm(2 * MIB - 4), 'm'));
    expect(embeddings.message).toMatch(
      /^m cannot run on WASM: it needs 2\.0 MiB at once for its tensor wte\.weight/,
    );
  });

  it('counts the float32 global weights held in the heap together with the largest layer fed', () => {
    // The embeddings (2 MiB) stay in the heap by their own session while layer 0 (8 MiB) is fed.
    const shapes = {
      'wte.weight': [1024, 512],
      'h.0.mlp.c_fc.weight': [512, 2048],
      'h.0.mlp.c_proj.weight': [2048, 512],
    };
    const layered = plan(shapes, 'F32');
    // 16-bit global weights are fed, not held: the largest layer alone.
    expect(() => checkWeightsFit(plan(shapes), wasmCopying(8 * MIB), 'm')).not.toThrow();
    expect(() => checkWeightsFit(layered, wasmCopying(10 * MIB), 'm')).not.toThrow();
    const e = catchError(() => checkWeightsFit(layered, wasmCopying(10 * MIB - 4), 'm'));
    expect(e.message).toMatch(
      /^m cannot run on WASM: it needs 10\.0 MiB at once for the weights outside the layers, which stay in it, and the weights of layer 0 \(as 32-bit floats\)/,
    );
  });
});

function catchError(f: () => void): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('no error thrown');
}
