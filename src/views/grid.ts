/**
 * The pure geometry of a neuron map: which units a column shows (binning), the rank of a score,
 * axis ticks, the knowledge neurons at a threshold, and the pixels of the canvas view.
 */
import { bisectRight, ticks } from 'd3';
import { type ScoredNeuron, selectNeurons } from '../analysis/selection';
import { levelOf, levelPalette, scorePosition } from './color';
import type { ColorTransform, UnitRange } from './types';

/** A map's visible units in columns: each column is one unit, or the maximum over a bin of them. */
export interface BinnedMap {
  layers: number;
  range: UnitRange;
  columns: number;
  /** layers x columns, row-major: the largest score in the bin. */
  values: Float32Array;
  /** layers x columns: the unit that holds that score (hover and click pick it). */
  argmax: Int32Array;
  /** Units in the widest bin: 1 means full resolution. */
  binSize: number;
}

export const fullRange = (units: number): UnitRange => ({ start: 0, end: units });

/** A range made whole, inside [0, units), at least one unit wide. */
export function clampRange(range: UnitRange, units: number): UnitRange {
  const start = Math.min(Math.max(0, Math.floor(range.start)), units - 1);
  const end = Math.max(start + 1, Math.min(units, Math.ceil(range.end)));
  return { start, end };
}

export const isFullRange = (range: UnitRange, units: number): boolean =>
  range.start <= 0 && range.end >= units;

/** First unit of column c when n units are spread over `columns` columns (c = columns: the end). */
const columnStart = (c: number, n: number, columns: number) => Math.floor((c * n) / columns);

/** The units [start, end) that column c of a binned map covers. */
export function columnUnits(b: BinnedMap, c: number): UnitRange {
  const n = b.range.end - b.range.start;
  return {
    start: b.range.start + columnStart(c, n, b.columns),
    end: b.range.start + columnStart(c + 1, n, b.columns),
  };
}

/** The column that shows a unit (units outside the range clamp to the edge columns). */
export function columnOf(b: BinnedMap, unit: number): number {
  const n = b.range.end - b.range.start;
  const k = Math.min(Math.max(unit - b.range.start, 0), n - 1);
  let c = Math.floor((k * b.columns) / n);
  // Floors can leave k one column further on; bins are at least one unit wide, so one step does.
  if (columnStart(c + 1, n, b.columns) <= k) c++;
  return c;
}

/**
 * Spreads the units of `range` over at most `maxColumns` columns. With more units than columns,
 * each column holds the largest score of its bin (and which unit holds it), so a knowledge neuron
 * is never averaged away: the threshold rule is about maxima too.
 */
export function binUnits(
  scores: ArrayLike<number>,
  layers: number,
  units: number,
  range: UnitRange,
  maxColumns: number,
): BinnedMap {
  const r = clampRange(range, units);
  const n = r.end - r.start;
  const columns = Math.max(1, Math.min(n, Math.floor(maxColumns)));
  const values = new Float32Array(layers * columns);
  const argmax = new Int32Array(layers * columns);
  let binSize = 0;
  for (let c = 0; c < columns; c++) {
    const u0 = r.start + columnStart(c, n, columns);
    const u1 = r.start + columnStart(c + 1, n, columns);
    binSize = Math.max(binSize, u1 - u0);
    for (let l = 0; l < layers; l++) {
      let best = u0;
      let bestValue = scores[l * units + u0];
      for (let u = u0 + 1; u < u1; u++) {
        const v = scores[l * units + u];
        // NaN never wins, and a NaN first value gives way to any number.
        if (v > bestValue || (Number.isNaN(bestValue) && !Number.isNaN(v))) {
          best = u;
          bestValue = v;
        }
      }
      values[l * columns + c] = bestValue;
      argmax[l * columns + c] = best;
    }
  }
  return { layers, range: r, columns, values, argmax, binSize };
}

/**
 * Rank of a score in its map, 1 for the largest (ties share the best rank); NaN scores have no
 * rank. Sorting once makes each hover a binary search.
 */
export function scoreRanker(scores: ArrayLike<number>): (score: number) => number | undefined {
  const sorted = Float32Array.from(scores).filter((v) => !Number.isNaN(v));
  sorted.sort();
  return (score) =>
    Number.isNaN(score) ? undefined : sorted.length - bisectRight(sorted, Math.fround(score)) + 1;
}

/** Knowledge neurons at tau (score > tau x max, positive only), strongest first. */
export const knowledgeNeurons = (
  scores: ArrayLike<number>,
  layers: number,
  units: number,
  tau: number,
): ScoredNeuron[] => selectNeurons(scores, layers, units, { tau });

/** Layer ticks: every layer up to 16 layers, then a step that keeps about 12 labels. */
export function layerTicks(layers: number): number[] {
  const step = layers <= 16 ? 1 : Math.ceil(layers / 12);
  const out: number[] = [];
  for (let l = 0; l < layers; l += step) out.push(l);
  return out;
}

/** Whole-unit ticks across a range (its end included: it marks the right edge). */
export function unitTicks(range: UnitRange, count: number): number[] {
  return ticks(range.start, range.end, count).filter((u) => Number.isInteger(u));
}

/**
 * RGBA pixels of a binned map, one pixel per cell, the top row the last layer (deeper layers
 * higher, as on the axis).
 */
export function cellPixels(
  b: BinnedMap,
  domain: number,
  transform: ColorTransform,
): Uint8ClampedArray<ArrayBuffer> {
  const { rgba } = levelPalette();
  const out = new Uint8ClampedArray(b.layers * b.columns * 4);
  for (let l = 0; l < b.layers; l++) {
    const row = b.layers - 1 - l;
    for (let c = 0; c < b.columns; c++) {
      const k = levelOf(scorePosition(b.values[l * b.columns + c], domain, transform));
      out.set(rgba.subarray(k * 4, k * 4 + 4), (row * b.columns + c) * 4);
    }
  }
  return out;
}

/** Runs of equal colour along each row, so the SVG needs one rect per run, not per cell. */
export function colorRuns(
  b: BinnedMap,
  domain: number,
  transform: ColorTransform,
): { layer: number; column: number; length: number; level: number }[] {
  const runs: { layer: number; column: number; length: number; level: number }[] = [];
  for (let l = 0; l < b.layers; l++) {
    let start = 0;
    let level = -1;
    for (let c = 0; c <= b.columns; c++) {
      const k =
        c < b.columns ? levelOf(scorePosition(b.values[l * b.columns + c], domain, transform)) : -1;
      if (k !== level) {
        if (level >= 0) runs.push({ layer: l, column: start, length: c - start, level });
        start = c;
        level = k;
      }
    }
  }
  return runs;
}
