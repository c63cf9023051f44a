/** Number and label formats shared by the views and the exports. */
import { format } from 'd3';
import type { AttributionResult } from '../attribution/attribute';
import type { Neuron } from './types';

/** Scores for people: three significant digits (AMIG scores are often small, e.g. 0.00342). */
export const formatScore: (value: number) => string = format('.3~g');

const percent = format('.1%');

/** A probability as a percentage; tiny ones in exponent notation rather than "0.0%". */
export function formatProbability(p: number): string {
  if (!Number.isFinite(p)) return '–';
  return p >= 0.0005 || p === 0 ? percent(p) : p.toExponential(1);
}

export const formatCount: (n: number) => string = format(',');

/** The short label of a neuron, used in lists, tooltips and the detail panel. */
export const neuronLabel = (n: Neuron): string => `L${n.layer} · u${n.unit}`;

/** The long form, for screen readers. */
export const neuronSpoken = (n: Neuron): string => `layer ${n.layer}, unit ${n.unit}`;

/**
 * The shortest decimal that reads back as the same float32: scores are float32, and printing them
 * as doubles (0.30000001192092896) would add digits that carry no information.
 */
export function float32String(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const f = Math.fround(x);
  for (let p = 1; p < 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(Number(f.toPrecision(9)));
}

/** The method's name as the captions and legends say it. */
export function methodLabel(method: AttributionResult['method']): string {
  switch (method) {
    case 'amig':
      return 'AMIG';
    case 'ig':
      return 'IG (Dai et al.)';
    case 'grad-x-act':
      return 'gradient × activation (approximation)';
  }
}

/**
 * Estimated width of text in pixels at `fontSize`. SVG text does not wrap, and exports have no
 * layout engine to measure with, so widths are estimated: CJK and other wide characters at 1 em,
 * the rest at 0.56 em (a little wider than typical sans-serif glyphs, to err on the safe side).
 */
export function textWidth(text: string, fontSize: number): number {
  let width = 0;
  for (const ch of text) width += (/[\u1100-\uffff]/u.test(ch) ? 1 : 0.56) * fontSize;
  return width;
}

/** Clips text to about `maxWidth` pixels at `fontSize`, with an ellipsis. */
export function fitText(text: string, maxWidth: number, fontSize: number): string {
  if (textWidth(text, fontSize) <= maxWidth) return text;
  const chars = [...text];
  let width = textWidth('…', fontSize);
  let n = 0;
  while (n < chars.length && width + textWidth(chars[n], fontSize) <= maxWidth)
    width += textWidth(chars[n++], fontSize);
  return chars.slice(0, n).join('') + '…';
}
