/**
 * Geometry of the language-overlap figures, as pure functions of the overlap: a Venn diagram of
 * two or three circles (areas are not proportional to counts; every region gets a count, zeros
 * included) and an UpSet plot for any number of languages.
 */
import type { ExclusiveIntersection, LanguageOverlap } from '../../analysis/overlap';
import type { Neuron } from '../../analysis/selection';

/** One exclusive region: the neurons in exactly these languages' sets. */
export interface Region {
  languages: string[];
  count: number;
  neurons: Neuron[];
}

/** Key of a region: its languages in the overlap's order. */
export const regionKey = (languages: readonly string[]): string => JSON.stringify(languages);

/**
 * Every non-empty subset of the languages as a region (count 0 where no neuron is), subsets in
 * order of size, then of the languages' order.
 */
export function allRegions(overlap: LanguageOverlap): Region[] {
  const { languages } = overlap;
  const found = new Map(overlap.intersections.map((x) => [regionKey(x.languages), x]));
  const out: Region[] = [];
  for (let mask = 1; mask < 1 << languages.length; mask++) {
    const subset = languages.filter((_, i) => mask & (1 << i));
    const x = found.get(regionKey(subset));
    out.push({ languages: subset, count: x?.count ?? 0, neurons: x?.neurons ?? [] });
  }
  return out.sort(
    (a, b) =>
      a.languages.length - b.languages.length ||
      subsetRank(languages, a.languages) - subsetRank(languages, b.languages),
  );
}

/** Orders subsets of one size by their languages' positions (lexicographic). */
function subsetRank(languages: readonly string[], subset: readonly string[]): number {
  return subset.reduce((r, l) => r * 64 + languages.indexOf(l), 0);
}

/** The region of exactly these languages (empty when none of its neurons exist). */
export function regionOf(overlap: LanguageOverlap, languages: readonly string[]): Region {
  const key = regionKey(languages);
  const x = overlap.intersections.find((i) => regionKey(i.languages) === key);
  return { languages: [...languages], count: x?.count ?? 0, neurons: x?.neurons ?? [] };
}

export interface VennCircle {
  language: string;
  cx: number;
  cy: number;
  r: number;
  /** Where the language's name goes, outside its circle, and how wide it may be. */
  label: { x: number; y: number; anchor: 'start' | 'middle' | 'end'; maxWidth: number };
}

export interface VennLayout {
  circles: VennCircle[];
  /** Each region with the point its count is drawn at. */
  regions: (Region & { x: number; y: number })[];
  width: number;
  height: number;
}

/**
 * Two circles side by side, or three on a triangle, centred in a `width` x `height` box. The
 * three-circle distances (centres 0.62 r from the middle) leave every one of the seven regions
 * room for a label; the label points are in the middle of each region along its axis of symmetry.
 */
export function vennLayout(overlap: LanguageOverlap, width: number, height: number): VennLayout {
  const { languages } = overlap;
  const regions = allRegions(overlap);
  const cx = width / 2;
  if (languages.length === 2) {
    // Extent: 3.1 r wide, 2 r high, plus the labels above.
    const r = Math.min((width - 24) / 3.1, (height - 36) / 2);
    const cy = 26 + r;
    const d = 0.55 * r;
    const circles: VennCircle[] = languages.map((language, i) => {
      const x = cx + (i === 0 ? -d : d);
      // Centred over its circle: no wider than the distance between the centres.
      const label = { x, y: cy - r - 8, anchor: 'middle' as const, maxWidth: 2 * d };
      return { language, cx: x, cy, r, label };
    });
    const at = (langs: string[]) =>
      langs.length === 2 ? cx : langs[0] === languages[0] ? cx - d - 0.5 * r : cx + d + 0.5 * r;
    return {
      circles,
      regions: regions.map((g) => ({ ...g, x: at(g.languages), y: cy })),
      width,
      height,
    };
  }
  if (languages.length === 3) {
    // Extent about the centroid: x ±1.54 r, y from -1.62 r to +1.31 r; labels outside.
    const r = Math.min((width - 120) / 3.08, (height - 44) / 2.93);
    const d = 0.62 * r;
    const cy = 22 + 1.62 * r + (height - 44 - 2.93 * r) / 2;
    const dirs = [-90, 30, 150].map((deg) => [
      Math.cos((deg * Math.PI) / 180),
      Math.sin((deg * Math.PI) / 180),
    ]);
    const circles: VennCircle[] = languages.map((language, i) => {
      const [ux, uy] = dirs[i];
      const out = d + r + 10;
      return {
        language,
        cx: cx + d * ux,
        cy: cy + d * uy,
        r,
        label: {
          x: cx + out * ux,
          y: cy + out * uy + (uy < 0 ? -2 : 12),
          anchor: Math.abs(ux) < 0.1 ? 'middle' : ux > 0 ? 'start' : 'end',
          // The top label spans the diagram; the lower ones the margin beside it.
          maxWidth: Math.abs(ux) < 0.1 ? 2 * r : width / 2 - out * Math.abs(ux) - 8,
        },
      };
    });
    const point = (langs: string[]) => {
      const idx = langs.map((l) => languages.indexOf(l));
      if (idx.length === 3) return [cx, cy];
      if (idx.length === 1) {
        // Single-language region along its circle's axis: from 0.53 r (where the other two
        // circles end) to d + r.
        const [ux, uy] = dirs[idx[0]];
        return [cx + 1.08 * r * ux, cy + 1.08 * r * uy];
      }
      // Pair region: away from the third circle, between 0.38 r and 1.15 r from the middle.
      const k = [0, 1, 2].find((i) => !idx.includes(i))!;
      const [ux, uy] = dirs[k];
      return [cx - 0.74 * r * ux, cy - 0.74 * r * uy];
    };
    return {
      circles,
      regions: regions.map((g) => {
        const [x, y] = point(g.languages);
        return { ...g, x, y };
      }),
      width,
      height,
    };
  }
  throw new RangeError(`a Venn diagram needs two or three languages, got ${languages.length}`);
}

export interface UpsetLayout {
  width: number;
  height: number;
  /** Language rows: name, KN set size, the row's centre. */
  rows: { language: string; size: number; y: number }[];
  /** Intersections shown (largest first), each with its column's centre. */
  columns: (ExclusiveIntersection & { x: number })[];
  /** Intersections left out to keep the plot readable. */
  hidden: number;
  /** Boxes: intersection bars on top, the dot matrix below them, set-size bars to its left. */
  bars: { x: number; y: number; w: number; h: number };
  matrix: { x: number; y: number; w: number; h: number };
  sizes: { x: number; y: number; w: number; h: number };
  column: number;
  row: number;
}

export const UPSET_MAX_COLUMNS = 40;

/** An UpSet plot's boxes, starting at (x, y). Columns are the overlap's non-empty regions. */
export function upsetLayout(
  overlap: LanguageOverlap,
  x: number,
  y: number,
  maxColumns = UPSET_MAX_COLUMNS,
): UpsetLayout {
  const column = 24;
  const row = 22;
  const labelW = 64;
  const sizeW = 100;
  const barsH = 130;
  const shown = overlap.intersections.slice(0, maxColumns);
  const matrix = {
    x: x + sizeW + labelW,
    y: y + barsH + 8,
    w: Math.max(1, shown.length) * column,
    h: overlap.languages.length * row,
  };
  return {
    width: matrix.x + matrix.w - x,
    height: matrix.y + matrix.h - y,
    rows: overlap.languages.map((language, i) => ({
      language,
      size: overlap.sizes[language],
      y: matrix.y + (i + 0.5) * row,
    })),
    columns: shown.map((c, i) => ({ ...c, x: matrix.x + (i + 0.5) * column })),
    hidden: overlap.intersections.length - shown.length,
    bars: { x: matrix.x, y, w: matrix.w, h: barsH },
    matrix,
    sizes: { x, y: matrix.y, w: sizeW - 12, h: matrix.h },
    column,
    row,
  };
}
