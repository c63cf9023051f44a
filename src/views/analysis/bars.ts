/**
 * Geometry of grouped bar charts (the paper's bar figures): groups along x (layers, relations),
 * one bar per series inside each group, a linear value scale that always includes zero.
 */
import { scaleLinear } from 'd3';

export interface BarSeries {
  label: string;
  color: string;
  /** One value per group; null where the series has no value (drawn as a gap with a dash). */
  values: readonly (number | null)[];
}

export interface BarRect {
  group: number;
  series: number;
  value: number | null;
  x: number;
  w: number;
  /** Top of the bar and its height (from zero to the value, either direction). */
  y: number;
  h: number;
}

export interface BarGeometry {
  /** Value to pixel. */
  y: (value: number) => number;
  ticks: number[];
  /** Centre and width of each group's band. */
  groups: { cx: number; w: number }[];
  bars: BarRect[];
  zero: number;
}

/**
 * Bars for `series` over `groups` groups in the box (x, y, w, h). The domain is the values'
 * extent with zero, made nice, unless given; values beyond a given domain clamp to it.
 */
export function groupedBars(
  series: readonly BarSeries[],
  groups: number,
  box: { x: number; y: number; w: number; h: number },
  domain?: [number, number],
): BarGeometry {
  const values = series.flatMap((s) => s.values).filter((v): v is number => Number.isFinite(v));
  const lo = domain?.[0] ?? Math.min(0, ...values);
  const hi = domain?.[1] ?? Math.max(0, ...values);
  const scale = scaleLinear()
    .domain(lo === hi ? [lo, lo + 1] : [lo, hi])
    .range([box.y + box.h, box.y]);
  if (!domain) scale.nice(5);
  scale.clamp(true);
  const band = box.w / Math.max(1, groups);
  const n = Math.max(1, series.length);
  // Bars at most MAX_BAR wide: one series over a few groups would otherwise draw slabs.
  const inner = Math.min(MAX_BAR, (band * 0.64) / n);
  const pad = (band - inner * n) / 2;
  const zero = scale(0);
  const bars: BarRect[] = [];
  for (let g = 0; g < groups; g++)
    series.forEach((s, i) => {
      const value = s.values[g] ?? null;
      const v = value === null || !Number.isFinite(value) ? zero : scale(value);
      bars.push({
        group: g,
        series: i,
        value,
        x: box.x + g * band + pad + i * inner + inner * 0.06,
        w: inner * 0.88,
        y: Math.min(v, zero),
        h: Math.abs(zero - v),
      });
    });
  return {
    y: (value) => scale(value),
    ticks: scale.ticks(Math.max(2, Math.floor(box.h / 36))),
    groups: Array.from({ length: groups }, (_, g) => ({ cx: box.x + (g + 0.5) * band, w: band })),
    bars,
    zero,
  };
}

/** Widest bar slot in pixels. */
export const MAX_BAR = 40;

/** Group labels fit their band; narrower bands than this turn their labels (40 degrees). */
export const TURN_LABELS_BELOW = 56;

/** Height the group labels under a panel need. */
export const groupLabelHeight = (bandWidth: number): number =>
  bandWidth < TURN_LABELS_BELOW ? 62 : 20;
