import { rgb } from 'd3';
import { describe, expect, it } from 'vitest';
import {
  LEVELS,
  colorAt,
  colorDomains,
  legendTicks,
  levelOf,
  levelPalette,
  maxAbs,
  maxScore,
  positionScore,
  scorePosition,
} from './color';

describe('diverging scale', () => {
  it('puts zero in the middle, symmetric, clamped to the domain', () => {
    expect(scorePosition(0, 2, 'linear')).toBe(0.5);
    expect(scorePosition(2, 2, 'linear')).toBe(1);
    expect(scorePosition(-2, 2, 'linear')).toBe(0);
    expect(scorePosition(1, 2, 'linear')).toBe(0.75);
    expect(scorePosition(-1, 2, 'linear')).toBe(0.25);
    expect(scorePosition(5, 2, 'linear')).toBe(1);
    expect(scorePosition(-5, 2, 'linear')).toBe(0);
  });

  it('sits at zero for NaN or an empty domain', () => {
    expect(scorePosition(NaN, 1, 'linear')).toBe(0.5);
    expect(scorePosition(1, 0, 'linear')).toBe(0.5);
  });

  it('lifts weak scores with the square root, and inverts', () => {
    expect(scorePosition(0.25, 1, 'sqrt')).toBe(0.75);
    expect(scorePosition(-0.25, 1, 'sqrt')).toBe(0.25);
    for (const transform of ['linear', 'sqrt'] as const)
      for (const v of [-0.8, -0.1, 0, 0.3, 1])
        expect(positionScore(scorePosition(v, 1, transform), 1, transform)).toBeCloseTo(v, 12);
  });

  it('is blue for negative, near-white at zero, red for positive', () => {
    const neg = rgb(colorAt(0));
    const zero = rgb(colorAt(0.5));
    const pos = rgb(colorAt(1));
    expect(neg.b).toBeGreaterThan(neg.r);
    expect(pos.r).toBeGreaterThan(pos.b);
    expect(Math.min(zero.r, zero.g, zero.b)).toBeGreaterThan(230);
  });

  it('quantises to a palette whose middle level is zero', () => {
    const { hex, rgba } = levelPalette();
    expect(hex).toHaveLength(LEVELS);
    expect(rgba).toHaveLength(LEVELS * 4);
    expect(levelOf(0.5)).toBe((LEVELS - 1) / 2);
    expect(hex[levelOf(0.5)]).toBe(colorAt(0.5));
    expect(hex[0]).toBe(colorAt(0));
    expect(hex[LEVELS - 1]).toBe(colorAt(1));
  });
});

describe('domains and ticks', () => {
  const a = Float32Array.from([0.5, -2, 1]);
  const b = Float32Array.from([0.25, 4, NaN]);

  it('finds the largest |score| and the largest score, ignoring NaN', () => {
    expect(maxAbs(a)).toBe(2);
    expect(maxAbs(b)).toBe(4);
    expect(maxScore(a)).toBe(1);
    expect(maxScore(new Float32Array(0))).toBe(-Infinity);
  });

  it('colours each map by its own max or by the common one', () => {
    expect(colorDomains([a, b], 'per-map')).toEqual([2, 4]);
    expect(colorDomains([a, b], 'common')).toEqual([4, 4]);
  });

  it('labels the ends, quarters and zero of the legend', () => {
    expect(legendTicks(2, 'linear').map((t) => t.value)).toEqual([-2, -1, 0, 1, 2]);
    expect(legendTicks(2, 'sqrt').map((t) => t.value)).toEqual([-2, -0.5, 0, 0.5, 2]);
    expect(legendTicks(2, 'linear', 150).map((t) => t.value)).toEqual([-2, 0, 2]);
  });
});
