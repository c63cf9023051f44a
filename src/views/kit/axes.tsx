/**
 * Axes: the layer and unit axes of a layers x units grid (neuron maps, selection frequency), and
 * a value axis with grid lines (bar charts).
 */
import { formatCount } from '../format';
import { layerTicks, unitTicks } from '../grid';
import { type MapLayout, rowY } from '../layout';
import type { UnitRange } from '../types';
import { GRID, INK, MUTED, TEXT_SIZE } from './style';

export function LayerAxis({ layout, layers }: { layout: MapLayout; layers: number }) {
  const { plot, rowHeight } = layout;
  return (
    <g aria-hidden="true">
      {layerTicks(layers).map((l) => {
        const y = rowY(layout, layers, l) + rowHeight / 2;
        return (
          <g key={l}>
            <line x1={plot.x - 4} x2={plot.x} y1={y} y2={y} stroke={MUTED} />
            <text x={plot.x - 7} y={y + 3.5} fontSize={TEXT_SIZE} fill={MUTED} textAnchor="end">
              {l}
            </text>
          </g>
        );
      })}
      <text
        transform={`translate(${14},${plot.y + plot.h / 2}) rotate(-90)`}
        fontSize={11}
        fill={INK}
        textAnchor="middle"
      >
        Layer
      </text>
    </g>
  );
}

export function UnitAxis({
  layout,
  range,
  units,
}: {
  layout: MapLayout;
  range: UnitRange;
  units: number;
}) {
  const { plot } = layout;
  const n = range.end - range.start;
  const xOf = (u: number) => plot.x + ((u - range.start) / n) * plot.w;
  const y = plot.y + plot.h;
  const zoomed = range.start > 0 || range.end < units;
  return (
    <g aria-hidden="true">
      <line x1={plot.x} x2={plot.x + plot.w} y1={y} y2={y} stroke={MUTED} />
      {unitTicks(range, Math.max(2, Math.floor(plot.w / 80))).map((u) => (
        <g key={u}>
          <line x1={xOf(u)} x2={xOf(u)} y1={y} y2={y + 4} stroke={MUTED} />
          <text
            x={xOf(u)}
            y={y + 15}
            fontSize={TEXT_SIZE}
            fill={MUTED}
            textAnchor={u === range.start ? 'start' : u === range.end ? 'end' : 'middle'}
          >
            {formatCount(u)}
          </text>
        </g>
      ))}
      <text x={plot.x + plot.w / 2} y={y + 31} fontSize={11} fill={INK} textAnchor="middle">
        {zoomed
          ? `FFN unit (units ${formatCount(range.start)}–${formatCount(range.end - 1)} of ${formatCount(units)})`
          : `FFN unit (${formatCount(units)} per layer)`}
      </text>
    </g>
  );
}

/** A vertical value axis with grid lines across the plot. */
export function ValueAxis({
  x,
  width,
  y,
  ticks,
  format,
  label,
}: {
  /** The plot's left edge. */
  x: number;
  /** The plot's width (grid lines). */
  width: number;
  /** Value to pixel. */
  y: (value: number) => number;
  ticks: readonly number[];
  format: (value: number) => string;
  label?: string;
}) {
  const ys = ticks.map(y);
  return (
    <g aria-hidden="true">
      {ticks.map((t, i) => (
        <g key={t}>
          <line
            x1={x}
            x2={x + width}
            y1={ys[i]}
            y2={ys[i]}
            stroke={t === 0 ? MUTED : GRID}
            strokeWidth={t === 0 ? 1 : 0.8}
          />
          <text x={x - 5} y={ys[i] + 3.5} fontSize={TEXT_SIZE} fill={MUTED} textAnchor="end">
            {format(t)}
          </text>
        </g>
      ))}
      {label && (
        <text
          transform={`translate(${x - 38},${(Math.min(...ys) + Math.max(...ys)) / 2}) rotate(-90)`}
          fontSize={11}
          fill={INK}
          textAnchor="middle"
        >
          {label}
        </text>
      )}
    </g>
  );
}
