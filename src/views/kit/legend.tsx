/**
 * Legends: a colour bar for sequential and diverging scales (the neuron maps' scores, counts,
 * shares lost), and a key of swatches for categorical series and marks.
 */
import { textWidth } from '../format';
import { INK, MUTED, TEXT_SIZE } from './style';

const COLOR_STEPS = 64;
const BAR_HEIGHT = 11;
/** The bar sits this far under the legend's top: room for its title and for marks above it. */
const BAR_TOP = 17;
/** Least space between two tick labels (px). */
const LABEL_GAP = 6;

export interface PlacedTick {
  t: number;
  label: string;
  /** Where the label's anchor is, and how it is anchored. */
  x: number;
  anchor: 'start' | 'middle' | 'end';
}

/**
 * The tick labels of a colour bar that fit without touching: each label's extent is estimated
 * from its text, the ends are anchored inwards so they stay over the bar, and labels are kept in
 * order of importance (the ends, then zero or the middle, then the rest from the left) while
 * they keep LABEL_GAP from every label already kept. Ticks whose label is dropped keep their mark.
 */
export function placeTickLabels(
  ticks: readonly { t: number; label: string }[],
  x: number,
  w: number,
  fontSize = TEXT_SIZE,
): PlacedTick[] {
  const placed = ticks.map(({ t, label }) => {
    const anchor: PlacedTick['anchor'] = t <= 0 ? 'start' : t >= 1 ? 'end' : 'middle';
    const cx = x + t * w;
    const width = textWidth(label, fontSize);
    const left = anchor === 'start' ? cx : anchor === 'end' ? cx - width : cx - width / 2;
    return { tick: { t, label, x: cx, anchor }, left, right: left + width };
  });
  const rank = (t: number) => (t <= 0 || t >= 1 ? 0 : Math.abs(t - 0.5) < 1e-9 ? 1 : 2);
  const order = placed
    .map((_, i) => i)
    .sort((a, b) => rank(placed[a].tick.t) - rank(placed[b].tick.t) || a - b);
  const kept: typeof placed = [];
  for (const i of order) {
    const p = placed[i];
    if (kept.every((k) => p.right + LABEL_GAP <= k.left || k.right + LABEL_GAP <= p.left))
      kept.push(p);
  }
  return kept.sort((a, b) => a.tick.t - b.tick.t).map((k) => k.tick);
}

/**
 * A colour bar with ticks: `color(t)` for t in [0, 1] left to right, ticks at positions t with
 * their labels, optional marks (thresholds) above the bar and a note to its right that says what
 * the marks are.
 */
export function ColorLegend({
  x,
  y,
  w,
  label,
  color,
  ticks,
  marks = [],
  note,
}: {
  x: number;
  y: number;
  w: number;
  label: string;
  color: (t: number) => string;
  ticks: readonly { t: number; label: string }[];
  marks?: readonly number[];
  note?: string;
}) {
  const barY = y + BAR_TOP;
  const step = w / COLOR_STEPS;
  return (
    <g aria-hidden="true" data-role="legend">
      <text x={x} y={y + 8} fontSize={TEXT_SIZE} fill={INK}>
        {label}
      </text>
      {Array.from({ length: COLOR_STEPS }, (_, k) => (
        <rect
          key={k}
          x={x + k * step}
          y={barY}
          width={step + 0.5}
          height={BAR_HEIGHT}
          fill={color((k + 0.5) / COLOR_STEPS)}
        />
      ))}
      <rect
        x={x}
        y={barY}
        width={w}
        height={BAR_HEIGHT}
        fill="none"
        stroke={MUTED}
        strokeWidth={0.5}
      />
      {ticks.map(({ t }) => (
        <line
          key={`t${t}`}
          x1={x + t * w}
          x2={x + t * w}
          y1={barY + BAR_HEIGHT}
          y2={barY + BAR_HEIGHT + 3}
          stroke={MUTED}
        />
      ))}
      <g data-role="tick-labels">
        {placeTickLabels(ticks, x, w).map((tick) => (
          <text
            key={`l${tick.t}`}
            x={tick.x}
            y={barY + BAR_HEIGHT + 13}
            fontSize={TEXT_SIZE}
            fill={MUTED}
            textAnchor={tick.anchor}
          >
            {tick.label}
          </text>
        ))}
      </g>
      {marks.map((t) => (
        <g key={`m${t}`}>
          <MarkArrow x={x + t * w} y={barY} />
          <line
            x1={x + t * w}
            x2={x + t * w}
            y1={barY}
            y2={barY + BAR_HEIGHT}
            stroke={INK}
            strokeWidth={1.5}
          />
        </g>
      ))}
      {note && (
        <text x={x + w + 10} y={barY + 9} fontSize={TEXT_SIZE} fill={INK}>
          {note}
        </text>
      )}
    </g>
  );
}

/** The ▼ of a mark on a colour bar, its tip at (x, y); keys that explain marks draw it too. */
export function MarkArrow({ x, y }: { x: number; y: number }) {
  return <path d={`M${x - 4},${y - 6}h8l-4,6z`} fill={INK} />;
}

export interface SwatchItem {
  label: string;
  color: string;
  /** 'box' (bars, cells; default), 'line' or 'dashed' (edges), 'ring' (outlines). */
  mark?: 'box' | 'line' | 'dashed' | 'ring';
}

/** Estimated width of a swatch item: mark, gap, label at 11 px. */
const itemWidth = (item: SwatchItem) => 18 + [...item.label].length * 6.2 + 14;

/** Where each swatch goes: left to right, wrapping to a new 16 px line before `maxWidth`. */
export function placeSwatches(
  items: readonly SwatchItem[],
  maxWidth: number,
): { item: SwatchItem; dx: number; row: number }[] {
  const out: { item: SwatchItem; dx: number; row: number }[] = [];
  for (const item of items) {
    const prev = out.at(-1);
    const dx = prev ? prev.dx + itemWidth(prev.item) : 0;
    const wrap = dx > 0 && dx + itemWidth(item) > maxWidth;
    out.push({ item, dx: wrap ? 0 : dx, row: (prev?.row ?? 0) + (wrap ? 1 : 0) });
  }
  return out;
}

/** Lines a SwatchLegend of these items takes at this width. */
export const swatchRows = (items: readonly SwatchItem[], maxWidth: number): number =>
  items.length ? placeSwatches(items, maxWidth).at(-1)!.row + 1 : 0;

/** A key of swatches, wrapping onto further lines (swatchRows says how many). */
export function SwatchLegend({
  x,
  y,
  items,
  maxWidth,
}: {
  x: number;
  y: number;
  items: readonly SwatchItem[];
  maxWidth: number;
}) {
  return (
    <g data-role="legend">
      {placeSwatches(items, maxWidth).map(({ item, dx, row }) => (
        <g key={item.label}>
          <Swatch x={x + dx} y={y + row * 16} item={item} />
          <text x={x + dx + 18} y={y + row * 16 + 4} fontSize={11} fill={INK}>
            {item.label}
          </text>
        </g>
      ))}
    </g>
  );
}

function Swatch({ x, y, item }: { x: number; y: number; item: SwatchItem }) {
  switch (item.mark ?? 'box') {
    case 'box':
      return <rect x={x} y={y - 5} width={12} height={10} fill={item.color} />;
    case 'ring':
      return (
        <rect
          x={x}
          y={y - 5}
          width={12}
          height={10}
          fill="none"
          stroke={item.color}
          strokeWidth={3}
        />
      );
    case 'line':
    case 'dashed':
      return (
        <line
          x1={x}
          x2={x + 13}
          y1={y}
          y2={y}
          stroke={item.color}
          strokeWidth={2.5}
          strokeDasharray={item.mark === 'dashed' ? '4 2' : undefined}
        />
      );
  }
}
