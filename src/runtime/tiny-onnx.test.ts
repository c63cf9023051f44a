import { describe, expect, it } from 'vitest';
import { createNodeRuntime } from './node';
import { negModel } from './tiny-onnx';

describe('negModel', () => {
  it('is a valid ONNX model that onnxruntime runs: y = -x for any length', async () => {
    const rt = createNodeRuntime({ threads: 1 });
    const session = await rt.createSession(negModel());
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y']);
    for (const x of [Float32Array.of(1, -2, 3), Float32Array.of(0.5)]) {
      const { y } = await session.run({ x: rt.tensor(x, [x.length]) });
      expect(Array.from(await rt.read(y), Number)).toEqual(Array.from(x, (v) => -v));
    }
    await session.release();
  });
});
