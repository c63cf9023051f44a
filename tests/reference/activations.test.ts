import { describe, expect, it } from 'vitest';
import { erf, erfc, gelu, geluNew, relu } from './index';

describe('reference activations', () => {
  it('erf and erfc match tabulated values to double precision', () => {
    // Values from Abramowitz & Stegun / mpmath.
    const erfTable: [number, number][] = [
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
    ];
    for (const [x, v] of erfTable) {
      expect(erf(x)).toBeCloseTo(v, 15);
      expect(erf(-x)).toBeCloseTo(-v, 15);
    }
    const erfcTable: [number, number][] = [
      [2.5, 4.06952017444959e-4],
      [5, 1.537459794428035e-12],
      [10, 2.088487583762545e-45],
    ];
    for (const [x, v] of erfcTable) expect(Math.abs(erfc(x) / v - 1)).toBeLessThan(1e-14);
  });

  it('gelu is the erf form and gelu_new the tanh approximation', () => {
    expect(gelu(1)).toBeCloseTo(0.8413447460685429, 15);
    expect(geluNew(1)).toBeCloseTo(0.8411919906082768, 15);
    expect(gelu(-1)).toBeCloseTo(-0.15865525393145707, 15);
    expect(gelu(0)).toBe(0);
    expect(geluNew(0)).toBe(0);
    // x * Phi(x) keeps its relative precision far in the negative tail: Phi(-6) = 9.8658765e-10.
    expect(gelu(-6) / (-6 * 9.865876450376946e-10)).toBeCloseTo(1, 12);
    expect(relu(-2)).toBe(0);
    expect(relu(3)).toBe(3);
  });
});
