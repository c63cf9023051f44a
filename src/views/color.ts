/**
 * The diverging colour scale of the neuron maps: reversed RdBu (negative blue, zero near-white,
 * positive red), symmetric around zero so that equal magnitudes get equal strength. RdBu is one of
 * ColorBrewer's colour-blind-safe schemes, and it keeps its order in greyscale print.
 */
import { interpolateRdBu, rgb } from 'd3';
import type { ColorTransform, ScaleMode } from './types';

/**
 * A score's position on the colour bar, 0 (-domain) .. 0.5 (zero) .. 1 (+domain); values beyond
 * the domain clamp to its ends. A non-positive domain or a non-finite score sits at zero.
 */
export function scorePosition(value: number, domain: number, transform: ColorTransform): number {
  if (!(domain > 0) || !Number.isFinite(value)) return 0.5;
  const r = Math.min(1, Math.abs(value) / domain);
  return 0.5 + 0.5 * Math.sign(value) * (transform === 'sqrt' ? Math.sqrt(r) : r);
}

/** The score whose colour sits at position t (the inverse of scorePosition). */
export function positionScore(t: number, domain: number, transform: ColorTransform): number {
  const m = Math.abs(2 * t - 1);
  return Math.sign(t - 0.5) * domain * (transform === 'sqrt' ? m * m : m);
}

/** Colour at position t; reversed so that positive (promoting) scores are red. */
export const colorAt = (t: number): string => rgb(interpolateRdBu(1 - t)).formatHex();

/**
 * The scale is quantised to LEVELS colours: the canvas paints through a lookup table, and the SVG
 * export uses the same colours, so the two views agree to the pixel and equal neighbours merge.
 */
export const LEVELS = 255; // odd, so that zero has a level of its own
export const levelOf = (t: number): number => Math.round(t * (LEVELS - 1));

let palette: { hex: string[]; rgba: Uint8ClampedArray } | undefined;

/** The quantised palette: hex strings (SVG) and RGBA bytes (canvas ImageData). */
export function levelPalette(): { hex: string[]; rgba: Uint8ClampedArray } {
  if (!palette) {
    const hex: string[] = [];
    const rgba = new Uint8ClampedArray(LEVELS * 4);
    for (let k = 0; k < LEVELS; k++) {
      const c = rgb(interpolateRdBu(1 - k / (LEVELS - 1)));
      hex.push(c.formatHex());
      rgba.set([c.r, c.g, c.b, 255], k * 4);
    }
    palette = { hex, rgba };
  }
  return palette;
}

/** Largest |score|, ignoring NaN; 0 for an empty or all-zero map. */
export function maxAbs(scores: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < scores.length; i++) {
    const a = Math.abs(scores[i]);
    if (a > m) m = a;
  }
  return m;
}

/** Largest score, ignoring NaN; -Infinity for an empty map. */
export function maxScore(scores: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i] > m) m = scores[i];
  return m;
}

/** Each map's colour domain: its own max |score|, or the largest over all maps. */
export function colorDomains(maps: readonly ArrayLike<number>[], mode: ScaleMode): number[] {
  const own = maps.map(maxAbs);
  if (mode === 'per-map') return own;
  const common = Math.max(0, ...own);
  return own.map(() => common);
}

/**
 * Legend ticks at fixed positions along the bar, with their scores: ends, zero, and the quarters
 * when the bar is wide enough for five labels.
 */
export function legendTicks(
  domain: number,
  transform: ColorTransform,
  barWidth = 230,
): { t: number; value: number }[] {
  const ts = barWidth >= 200 ? [0, 0.25, 0.5, 0.75, 1] : [0, 0.5, 1];
  return ts.map((t) => ({ t, value: positionScore(t, domain, transform) }));
}
