import { describe, expect, it } from 'vitest';
import { levelPalette, levelOf, scorePosition } from './color';
import {
  binUnits,
  cellPixels,
  clampRange,
  colorRuns,
  columnOf,
  columnUnits,
  knowledgeNeurons,
  layerTicks,
  scoreRanker,
  unitTicks,
} from './grid';

// 2 layers x 6 units, row-major.
const scores = Float32Array.from([
  // layer 0
  0.1,
  0.5,
  -0.3,
  0.2,
  0.0,
  0.4,
  // layer 1
  -1.0,
  0.25,
  0.75,
  NaN,
  0.3,
  1.0,
]);

describe('binUnits', () => {
  it('is the map itself when the columns suffice', () => {
    const b = binUnits(scores, 2, 6, { start: 0, end: 6 }, 100);
    expect(b.columns).toBe(6);
    expect(b.binSize).toBe(1);
    expect(Array.from(b.values.subarray(0, 6))).toEqual(Array.from(scores.subarray(0, 6)));
    expect(Array.from(b.argmax.subarray(6))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('keeps the maximum of each bin and the unit that holds it', () => {
    const b = binUnits(scores, 2, 6, { start: 0, end: 6 }, 3);
    expect(b.binSize).toBe(2);
    expect(Array.from(b.values)).toEqual([0.5, 0.2, 0.4, 0.25, 0.75, 1.0].map(Math.fround));
    expect(Array.from(b.argmax)).toEqual([1, 3, 5, 1, 2, 5]);
  });

  it('never lets NaN win a bin', () => {
    const b = binUnits(scores, 2, 6, { start: 3, end: 5 }, 1);
    expect(b.values[1]).toBeCloseTo(0.3);
    expect(b.argmax[1]).toBe(4);
    const first = binUnits(Float32Array.from([NaN, -2]), 1, 2, { start: 0, end: 2 }, 1);
    expect(first.values[0]).toBe(-2);
  });

  it('bins a zoomed range only', () => {
    const b = binUnits(scores, 2, 6, { start: 2, end: 5 }, 10);
    expect(b.range).toEqual({ start: 2, end: 5 });
    expect(b.columns).toBe(3);
    expect(Array.from(b.argmax.subarray(0, 3))).toEqual([2, 3, 4]);
  });

  it('maps units to columns and back for uneven bins', () => {
    for (const [n, columns] of [
      [10, 3],
      [8192, 756],
      [3072, 1024],
      [7, 7],
      [100, 1],
    ]) {
      const b = binUnits(new Float32Array(n), 1, n, { start: 0, end: n }, columns);
      let covered = 0;
      for (let c = 0; c < b.columns; c++) {
        const { start, end } = columnUnits(b, c);
        expect(start).toBe(covered);
        expect(end - start).toBeGreaterThanOrEqual(1);
        expect(end - start).toBeLessThanOrEqual(b.binSize);
        for (let u = start; u < end; u++) expect(columnOf(b, u)).toBe(c);
        covered = end;
      }
      expect(covered).toBe(n);
    }
  });
});

describe('ranges', () => {
  it('clamps to whole units inside the map, at least one wide', () => {
    expect(clampRange({ start: -5, end: 99 }, 10)).toEqual({ start: 0, end: 10 });
    expect(clampRange({ start: 4.6, end: 4.7 }, 10)).toEqual({ start: 4, end: 5 });
    expect(clampRange({ start: 12, end: 3 }, 10)).toEqual({ start: 9, end: 10 });
  });
});

describe('scoreRanker', () => {
  it('ranks from 1 for the largest, ties share a rank, NaN has none', () => {
    const rank = scoreRanker(Float32Array.from([0.2, 0.9, 0.2, -1, NaN]));
    expect(rank(0.9)).toBe(1);
    expect(rank(Math.fround(0.2))).toBe(2);
    expect(rank(-1)).toBe(4);
    expect(rank(NaN)).toBeUndefined();
  });
});

describe('knowledgeNeurons', () => {
  it('marks scores strictly above tau x max, never negative ones, and follows tau', () => {
    const map = Float32Array.from([1, 0.5, 0.25, -4]);
    const at = (tau: number) => knowledgeNeurons(map, 2, 2, tau).map((n) => [n.layer, n.unit]);
    expect(at(0.5)).toEqual([[0, 0]]); // 0.5 is not above 0.5 x 1
    expect(at(0.49)).toEqual([
      [0, 0],
      [0, 1],
    ]);
    expect(at(0)).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
  });
});

describe('ticks', () => {
  it('labels every layer of small models and about 12 of deep ones', () => {
    expect(layerTicks(12)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(layerTicks(24)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22]);
  });

  it('puts whole-unit ticks inside the range', () => {
    expect(unitTicks({ start: 0, end: 512 }, 6)).toEqual([0, 100, 200, 300, 400, 500]);
    const zoomed = unitTicks({ start: 40, end: 44 }, 10);
    expect(zoomed).toEqual([40, 41, 42, 43, 44]);
  });
});

describe('pixels and runs', () => {
  it('paints the last layer on the top row, one pixel per cell', () => {
    const b = binUnits(scores, 2, 6, { start: 0, end: 6 }, 6);
    const px = cellPixels(b, 1, 'linear');
    expect(px).toHaveLength(2 * 6 * 4);
    const { rgba } = levelPalette();
    const expected = (v: number) => {
      const k = levelOf(scorePosition(v, 1, 'linear'));
      return Array.from(rgba.subarray(k * 4, k * 4 + 4));
    };
    // Top row, first pixel: layer 1, unit 0 (-1.0, the bluest).
    expect(Array.from(px.subarray(0, 4))).toEqual(expected(-1));
    // Bottom row, second pixel: layer 0, unit 1.
    expect(Array.from(px.subarray((6 + 1) * 4, (6 + 1) * 4 + 4))).toEqual(expected(0.5));
  });

  it('merges equal neighbours into runs that cover every cell once', () => {
    const flat = Float32Array.from([0, 0, 0, 1, 1, 0]);
    const b = binUnits(flat, 1, 6, { start: 0, end: 6 }, 6);
    const runs = colorRuns(b, 1, 'linear');
    expect(runs.map((r) => [r.column, r.length])).toEqual([
      [0, 3],
      [3, 2],
      [5, 1],
    ]);
  });
});
