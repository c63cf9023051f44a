import { describe, expect, it } from 'vitest';
import { fitText, formatProbability, formatScore, neuronLabel, textWidth } from './format';

describe('text fitting', () => {
  it('estimates CJK characters twice as wide as Latin ones, roughly', () => {
    expect(textWidth('巴黎', 10)).toBe(20);
    expect(textWidth('ab', 10)).toBeCloseTo(11.2);
  });

  it('keeps text that fits and clips the rest with an ellipsis, within the width', () => {
    expect(fitText('Paris', 100, 10)).toBe('Paris');
    const clipped = fitText('The capital of France is [MASK].', 60, 10);
    expect(clipped.endsWith('…')).toBe(true);
    expect(textWidth(clipped, 10)).toBeLessThanOrEqual(60);
    expect(textWidth(fitText('法国的首都是巴黎', 45, 10), 10)).toBeLessThanOrEqual(45);
  });
});

describe('formats', () => {
  it('writes scores with three significant digits and probabilities as percentages', () => {
    expect(formatScore(0.0123456)).toBe('0.0123');
    expect(formatScore(-2)).toBe('−2');
    expect(formatProbability(0.4213)).toBe('42.1%');
    expect(formatProbability(0.00002)).toBe('2.0e-5');
    expect(neuronLabel({ layer: 3, unit: 117 })).toBe('L3 · u117');
  });
});
