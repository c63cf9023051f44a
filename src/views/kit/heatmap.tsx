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
import { INK } from './style';

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

/** The value's colour on the quantised diverging scale, as its cell shows it. */
const levelColor = (value: number, domain: number, transform: ColorTransform): string =>
  levelPalette().hex[levelOf(scorePosition(value, domain, transform))];

/**
 * The cells painted on a canvas at one pixel per cell and stretched over `box` without smoothing,
 * for the interactive views: a map of 24 x 8192 neurons is one image, not thousands of rects.
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
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const pixels = cellPixels(binned, domain, transform);
    ctx.putImageData(new ImageData(pixels, binned.columns, binned.layers), 0, 0);
  }, [binned, domain, transform]);
  return (
    <canvas
      ref={ref}
      width={binned.columns}
      height={binned.layers}
      style={{
        position: 'absolute',
        left: box.x,
        top: box.y,
        width: box.w,
        height: box.h,
        imageRendering: 'pixelated',
      }}
      aria-hidden="true"
    />
  );
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
  selected: Neuron | null | undefined;
  /** layers x units, row-major: what the cells show, for the selected box's fill. */
  values: ArrayLike<number>;
  domain: number;
  transform: ColorTransform;
}) {
  const { range } = binned;
  const inView = (n: Neuron) => n.unit >= range.start && n.unit < range.end;
  const r = Math.max(3.5, Math.min(6, layout.rowHeight * 0.35));
  const ringed = new Set<number>();
  const cells = rings.filter(inView).flatMap((n) => {
    const column = columnOf(binned, n.unit);
    const key = n.layer * binned.columns + column;
    if (ringed.has(key)) return [];
    ringed.add(key);
    return [{ n, box: cellBox(layout, binned, n.layer, column) }];
  });
  return (
    <>
      <LayerAxis layout={layout} layers={binned.layers} />
      <UnitAxis layout={layout} range={range} units={units} />
      <g data-role="markers">
        {cells.map(({ n, box }) => (
          <Ring key={`${n.layer}:${n.unit}`} cx={box.x + box.w / 2} cy={box.y + box.h / 2} r={r} />
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

/** The marker of a chosen neuron: a dark ring on a white halo, visible on any colour of the scale. */
export function Ring({ cx, cy, r }: { cx: number; cy: number; r: number }) {
  return (
    <g>
      <circle cx={cx} cy={cy} r={r} fill="none" stroke="#ffffff" strokeWidth={3} />
      <circle cx={cx} cy={cy} r={r} fill="none" stroke="#111111" strokeWidth={1.4} />
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
