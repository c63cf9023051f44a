/**
 * A layers x units heatmap (the neuron maps, the selection frequency): its cells as runs of one
 * colour level, and what goes over them (axes, rings on chosen neurons, the selected neuron's
 * box), written once for the canvas view's overlay and the SVG figures; and where a cell is, for
 * pointers, cursors and tooltips.
 */
import { useEffect, useRef } from 'react';
import { levelOf, levelPalette, scorePosition } from '../color';
import { type BinnedMap, cellPixels, colorRuns, columnOf } from '../grid';
import { type Box, type MapLayout, rowY } from '../layout';
import type { ColorTransform, Neuron } from '../types';
import { LayerAxis, UnitAxis } from './axes';
import { INK, SHARED } from './style';

/** The box of the cell at (layer, column). */
export function cellBox(layout: MapLayout, binned: BinnedMap, layer: number, column: number): Box {
  const w = layout.plot.w / binned.columns;
  return {
    x: layout.plot.x + column * w,
    y: rowY(layout, binned.layers, layer),
    w,
    h: layout.rowHeight,
  };
}

/** The cell under a point (figure coordinates), or null off the plot. */
export function cellAt(
  layout: MapLayout,
  binned: BinnedMap,
  x: number,
  y: number,
): { layer: number; column: number } | null {
  const { plot } = layout;
  const dx = x - plot.x;
  const dy = y - plot.y;
  if (dx < 0 || dy < 0 || dx >= plot.w || dy >= plot.h) return null;
  const { layers, columns } = binned;
  return {
    layer: layers - 1 - Math.min(layers - 1, Math.floor(dy / layout.rowHeight)),
    column: Math.min(columns - 1, Math.floor(dx / (plot.w / columns))),
  };
}

/** A ring's place: one per binned cell, on the first (strongest) of `rings` in it. */
export interface RingMark {
  neuron: Neuron;
  cx: number;
  cy: number;
  r: number;
}

/** Ring radius on rows of this height: 3.5 to 6 px. */
export const ringRadius = (rowHeight: number): number =>
  Math.max(3.5, Math.min(6, rowHeight * 0.35));

/** Where the rings of `rings` in view go (neurons sharing a binned cell share its ring). */
export function ringMarks(
  layout: MapLayout,
  binned: BinnedMap,
  rings: readonly Neuron[],
): RingMark[] {
  const { range } = binned;
  const r = ringRadius(layout.rowHeight);
  const ringed = new Set<number>();
  const out: RingMark[] = [];
  for (const n of rings) {
    if (n.unit < range.start || n.unit >= range.end || n.layer >= binned.layers) continue;
    const column = columnOf(binned, n.unit);
    const key = n.layer * binned.columns + column;
    if (ringed.has(key)) continue;
    ringed.add(key);
    const box = cellBox(layout, binned, n.layer, column);
    out.push({ neuron: n, cx: box.x + box.w / 2, cy: box.y + box.h / 2, r });
  }
  return out;
}

/**
 * The ring under a point (figure coordinates), the nearest when several reach it, or null: a
 * ring is a click target over the cells, with 2 px to spare around its stroke.
 */
export function ringAt(marks: readonly RingMark[], x: number, y: number): RingMark | null {
  let best: RingMark | null = null;
  let bestDistance = Infinity;
  for (const m of marks) {
    const d = Math.hypot(x - m.cx, y - m.cy);
    if (d <= m.r + 2 && d < bestDistance) {
      best = m;
      bestDistance = d;
    }
  }
  return best;
}

/** The value's colour on the quantised diverging scale, as its cell shows it. */
const levelColor = (value: number, domain: number, transform: ColorTransform): string =>
  levelPalette().hex[levelOf(scorePosition(value, domain, transform))];

/**
 * The cells painted on a canvas at the screen's resolution, for the interactive views: a map of
 * 24 x 8192 neurons is one image, not thousands of rects. Each column covers the device pixels
 * nearest its place in `box` (cellBox), so what the pointer is over (cellAt) is the cell drawn
 * there; the browser's own scaling of a small image would shift cells by up to a pixel.
 */
export function CellCanvas({
  binned,
  domain,
  transform,
  box,
}: {
  binned: BinnedMap;
  domain: number;
  transform: ColorTransform;
  /** Where it lies in its positioned parent. */
  box: Box;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const dpr = typeof window === 'undefined' ? 1 : window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(box.w * dpr));
  const height = Math.max(1, Math.round(box.h * dpr));
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const pixels = cellPixels(binned, domain, transform);
    ctx.putImageData(
      new ImageData(
        spreadPixels(pixels, binned.columns, binned.layers, width, height),
        width,
        height,
      ),
      0,
      0,
    );
  }, [binned, domain, transform, width, height]);
  return (
    <canvas
      ref={ref}
      width={width}
      height={height}
      style={{ position: 'absolute', left: box.x, top: box.y, width: box.w, height: box.h }}
      aria-hidden="true"
    />
  );
}

/**
 * RGBA pixels of `columns` x `rows` cells spread over `width` x `height` pixels: column c covers
 * pixels [round(c W / columns), round((c + 1) W / columns)), rows likewise.
 */
export function spreadPixels(
  cells: Uint8ClampedArray,
  columns: number,
  rows: number,
  width: number,
  height: number,
): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(width * height * 4);
  // One 32-bit word per pixel: a row is built once per cell row and copied to its pixel rows.
  const src = new Uint32Array(cells.buffer, cells.byteOffset, columns * rows);
  const dst = new Uint32Array(out.buffer);
  const colOf = new Int32Array(width);
  for (let c = 0; c < columns; c++) {
    const x0 = Math.round((c * width) / columns);
    const x1 = Math.round(((c + 1) * width) / columns);
    colOf.fill(c, x0, x1);
  }
  for (let r = 0; r < rows; r++) {
    const y0 = Math.round((r * height) / rows);
    const y1 = Math.round(((r + 1) * height) / rows);
    if (y1 <= y0) continue;
    for (let x = 0; x < width; x++) dst[y0 * width + x] = src[r * columns + colOf[x]];
    for (let y = y0 + 1; y < y1; y++) dst.copyWithin(y * width, y0 * width, (y0 + 1) * width);
  }
  return out;
}

/** The cells as SVG: one rect per run of equal colour level along a row. */
export function HeatmapCells({
  layout,
  binned,
  domain,
  transform,
}: {
  layout: MapLayout;
  binned: BinnedMap;
  domain: number;
  transform: ColorTransform;
}) {
  const { hex } = levelPalette();
  return (
    <g data-role="cells" shapeRendering="crispEdges">
      {colorRuns(binned, domain, transform).map((run) => {
        const box = cellBox(layout, binned, run.layer, run.column);
        return (
          <rect
            key={`${run.layer}:${run.column}`}
            x={box.x}
            y={box.y}
            width={run.length * box.w}
            height={box.h}
            fill={hex[run.level]}
          />
        );
      })}
    </g>
  );
}

/**
 * What goes over a heatmap's cells: the layer and unit axes, a ring on each of `rings` in view
 * (neurons sharing a binned cell share its ring), and the selected neuron's box.
 */
export function HeatmapMarks({
  layout,
  binned,
  units,
  rings,
  shared = [],
  selected,
  values,
  domain,
  transform,
}: {
  layout: MapLayout;
  binned: BinnedMap;
  /** Units per layer (the axis says how many). */
  units: number;
  rings: readonly Neuron[];
  /**
   * Knowledge neurons every language shares: ringed in their own colour, with a dashed guide
   * down the plot, so that in maps stacked on one unit axis the guides line up across languages.
   */
  shared?: readonly Neuron[];
  selected: Neuron | null | undefined;
  /** layers x units, row-major: what the cells show, for the selected box's fill. */
  values: ArrayLike<number>;
  domain: number;
  transform: ColorTransform;
}) {
  const { range } = binned;
  const inView = (n: Neuron) => n.unit >= range.start && n.unit < range.end;
  const sharedMarks = ringMarks(layout, binned, shared);
  const { plot } = layout;
  return (
    <>
      <LayerAxis layout={layout} layers={binned.layers} />
      <UnitAxis layout={layout} range={range} units={units} />
      <g data-role="shared-guides">
        {sharedMarks.map(({ neuron: n, cx }) => (
          <line
            key={`${n.layer}:${n.unit}`}
            x1={cx}
            x2={cx}
            y1={plot.y}
            y2={plot.y + plot.h}
            stroke={SHARED}
            strokeWidth={1}
            strokeDasharray="3 2"
          />
        ))}
      </g>
      <g data-role="markers">
        {ringMarks(layout, binned, rings).map(({ neuron: n, cx, cy, r }) => (
          <Ring key={`${n.layer}:${n.unit}`} cx={cx} cy={cy} r={r} opacity={stabilityOf(n)} />
        ))}
      </g>
      <g data-role="shared-markers">
        {sharedMarks.map(({ neuron: n, cx, cy, r }) => (
          <Ring
            key={`${n.layer}:${n.unit}`}
            cx={cx}
            cy={cy}
            r={r}
            stroke={SHARED}
            strokeWidth={2}
          />
        ))}
      </g>
      {selected && inView(selected) && (
        <SelectedBox
          box={cellBox(layout, binned, selected.layer, columnOf(binned, selected.unit))}
          fill={levelColor(values[selected.layer * units + selected.unit], domain, transform)}
        />
      )}
    </>
  );
}

/** A paraphrase-refined neuron's stability (its ring's opacity); undefined for other rings. */
const stabilityOf = (n: Neuron): number | undefined =>
  'stability' in n && typeof n.stability === 'number' ? n.stability : undefined;

/**
 * The marker of a chosen neuron: a dark ring on a white halo, visible on any colour of the scale.
 * `opacity` (a paraphrase-refined neuron's stability) fades it, never below 0.25.
 */
export function Ring({
  cx,
  cy,
  r,
  stroke = '#111111',
  strokeWidth = 1.4,
  opacity,
}: {
  cx: number;
  cy: number;
  r: number;
  stroke?: string;
  strokeWidth?: number;
  opacity?: number;
}) {
  return (
    <g
      opacity={opacity === undefined ? undefined : Math.max(0.25, opacity)}
      data-stability={opacity}
    >
      <circle cx={cx} cy={cy} r={r} fill="none" stroke="#ffffff" strokeWidth={3} />
      <circle cx={cx} cy={cy} r={r} fill="none" stroke={stroke} strokeWidth={strokeWidth} />
    </g>
  );
}

/**
 * The selected neuron: a square at least 10 px wide on its cell, filled with the cell's colour
 * (so a one-pixel column still shows it), outlined dark on a white halo.
 */
function SelectedBox({ box, fill }: { box: Box; fill: string }) {
  const size = Math.max(10, Math.min(box.w, box.h));
  const left = box.x + box.w / 2 - size / 2;
  const top = box.y + box.h / 2 - size / 2;
  return (
    <g data-role="selected">
      <rect
        x={left}
        y={top}
        width={size}
        height={size}
        fill={fill}
        stroke="#ffffff"
        strokeWidth={4}
      />
      <rect x={left} y={top} width={size} height={size} fill="none" stroke={INK} strokeWidth={2} />
    </g>
  );
}
