/**
 * Colours and number formats of the analysis figures. Categorical series use the Okabe–Ito
 * palette (distinguishable with the common colour-vision deficiencies); changes and counts reuse
 * the neuron maps' diverging scale (src/views/color.ts), so red means "more" (more selected, more
 * probability lost) everywhere in the app.
 */
import { format, rgb } from 'd3';
import { colorAt, scorePosition } from '../color';
import type { ColorTransform } from '../types';

/** Okabe–Ito without its yellow, which is too light for text and thin marks on white. */
export const SERIES_COLORS = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#000000',
] as const;

/** The colour of the i-th series (languages keep their index across views). */
export const seriesColor = (i: number): string =>
  SERIES_COLORS[((i % SERIES_COLORS.length) + SERIES_COLORS.length) % SERIES_COLORS.length];

/**
 * A signed share on the maps' diverging scale: 1 (all of it lost, or the most) is the dark red
 * end, 0 white, -1 the dark blue end (gained). Values beyond clamp.
 */
export const shareColor = (share: number): string =>
  colorAt(0.5 + 0.5 * Math.max(-1, Math.min(1, Number.isFinite(share) ? share : 0)));

/** A count on the positive half of the maps' scale: 0 white, `max` dark red. */
export const countColor = (count: number, max: number, transform: ColorTransform): string =>
  colorAt(scorePosition(count, max, transform));

/** Ink for text drawn on a fill: white on dark fills, the figure's ink on light ones. */
export function textOn(fill: string): string {
  const c = rgb(fill);
  // Relative luminance (sRGB, WCAG): white text from about the middle of the scale on.
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
  return l < 0.36 ? '#ffffff' : '#1d2330';
}

const signedPercent = format('+.0%');
const percent1 = format('.1%');

/** A relative change as a signed percentage: -0.993 -> "−99%"; tiny ones keep a decimal. */
export function formatChange(x: number): string {
  if (!Number.isFinite(x)) return '–';
  if (x !== 0 && Math.abs(x) < 0.01) return (x > 0 ? '+' : '') + percent1(x).replace('-', '−');
  return signedPercent(x).replace('-', '−');
}

/** A share 0..1 as a whole percentage ("92%"); '–' when it is not a number. */
export const formatShare = (x: number | null): string =>
  x === null || !Number.isFinite(x) ? '–' : format('.0%')(x);

/** Precision, recall, F1: two decimals, '–' when undefined (no positive judged, etc.). */
export const formatMetric = (x: number | null): string =>
  x === null || !Number.isFinite(x) ? '–' : format('.2f')(x);
