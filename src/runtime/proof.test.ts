import { describe, expect, it } from 'vitest';
import { createNodeRuntime } from './node';
import {
  PROOF_TOLERANCE,
  PROOF_V,
  PROOF_W,
  PROOF_X,
  maxAbsDiff,
  referenceChain,
  referenceProof,
  runProof,
} from './proof';

describe('proof reference', () => {
  it('matches a finite-difference gradient of sum(tanh(xW))', () => {
    const f = (x: Float32Array) => referenceProof(x, PROOF_W).y.reduce((a, b) => a + b, 0);
    const { dx } = referenceProof(PROOF_X, PROOF_W);
    const h = 1e-3;
    for (let i = 0; i < PROOF_X.length; i++) {
      const up = Float32Array.from(PROOF_X);
      const down = Float32Array.from(PROOF_X);
      up[i] += h;
      down[i] -= h;
      expect(Math.abs((f(up) - f(down)) / (2 * h) - dx[i])).toBeLessThan(1e-4);
    }
  });

  it('maxAbsDiff treats NaN and length mismatch as failures', () => {
    expect(maxAbsDiff([1, 2], [1, 2.5])).toBe(0.5);
    expect(maxAbsDiff([NaN], [0])).toBe(Infinity);
    expect(maxAbsDiff([1], [1, 2])).toBe(Infinity);
  });
});

describe('runProof on onnxruntime-node', () => {
  it('builds, runs and checks the proof graphs', async () => {
    const result = await runProof(createNodeRuntime({ threads: 1 }));
    expect(result.checks.map((c) => [c.name, c.ok])).toEqual([
      ['y = tanh(xW)', true],
      ['dx = (1 - y²) Wᵀ', true],
      ['z = tanh(y V), session 1', true],
      ['z = tanh(y V), session 2', true],
      ['V read back', true],
    ]);
    expect(result.ok).toBe(true);
    expect(result.maxAbsError).toBeLessThan(PROOF_TOLERANCE);
    expect(result.info.backend).toBe('node');
    const ref = referenceProof(PROOF_X, PROOF_W);
    expect(maxAbsDiff(result.outputs.z, referenceChain(ref.y, PROOF_V))).toBeLessThan(1e-5);
  });
});
