/**
 * The overview strip under a neuron map: the whole map at one column per pixel, with a d3 brush to
 * pick the range of units the map above shows. Brushing nothing (a click) shows everything again.
 */
import { type BrushBehavior, brushX, select } from 'd3';
import { useEffect, useMemo, useRef } from 'react';
import { binUnits, clampRange, fullRange, isFullRange } from './grid';
import { CellCanvas } from './kit/heatmap';
import { INK } from './kit/style';
import { MAX_MARKERS } from './mapModel';
import type { ColorTransform, Neuron, NeuronMapData, UnitRange } from './types';

export interface OverviewProps {
  map: NeuronMapData;
  domain: number;
  transform: ColorTransform;
  range: UnitRange;
  onRangeChange: (range: UnitRange) => void;
  /** Knowledge neurons, strongest first: ticked on the strip so zooming can aim at them. */
  neurons: readonly Neuron[];
  /** Left edge and width of the strip, aligned with the map's plot. */
  x: number;
  width: number;
}

/** The brush lies on the strip's canvas (inline: needed to work at all). */
const LAYER = { position: 'absolute', left: 0, top: 0 } as const;

export function Overview({
  map,
  domain,
  transform,
  range,
  onRangeChange,
  neurons,
  x,
  width,
}: OverviewProps) {
  const height = Math.max(24, Math.min(48, map.layers * 2));
  const columns = Math.max(1, Math.floor(width));
  const binned = useMemo(
    () => binUnits(map.scores, map.layers, map.units, fullRange(map.units), columns),
    [map, columns],
  );
  const groupRef = useRef<SVGGElement>(null);
  const { start, end } = range;
  // The brush is bound once per size; it reports through the latest callback.
  const onChange = useRef(onRangeChange);
  useEffect(() => {
    onChange.current = onRangeChange;
  });

  // The brush is bound once per size; moving it to follow `range` is the second effect's job.
  const brushRef = useRef<BrushBehavior<unknown> | null>(null);
  useEffect(() => {
    const g = groupRef.current;
    if (!g) return;
    const units = map.units;
    const brush = brushX<unknown>()
      .extent([
        [0, 0],
        [width, height],
      ])
      .on('end', (event: { selection: [number, number] | null; sourceEvent?: Event }) => {
        if (!event.sourceEvent) return; // moved by the effect below, not by the user
        const [x0, x1] = event.selection ?? [0, width];
        onChange.current(
          clampRange(
            { start: Math.round((x0 / width) * units), end: Math.round((x1 / width) * units) },
            units,
          ),
        );
      });
    const sel = select(g);
    sel.call(brush);
    sel
      .select('.selection')
      .attr('fill', INK)
      .attr('fill-opacity', 0.12)
      .attr('stroke', INK)
      .attr('stroke-width', 1.5);
    brushRef.current = brush;
    return () => {
      sel.on('.brush', null);
      sel.selectAll('*').remove();
      brushRef.current = null;
    };
  }, [width, height, map.units]);

  useEffect(() => {
    const g = groupRef.current;
    const brush = brushRef.current;
    if (!g || !brush) return;
    select(g).call(
      brush.move,
      isFullRange({ start, end }, map.units)
        ? null
        : [(start / map.units) * width, (end / map.units) * width],
    );
  }, [start, end, map.units, width, height]);

  return (
    <div className="kn-overview" style={{ position: 'relative', marginLeft: x, width, height }}>
      <CellCanvas
        binned={binned}
        domain={domain}
        transform={transform}
        box={{ x: 0, y: 0, w: width, h: height }}
      />
      <svg
        width={width}
        height={height}
        style={LAYER}
        data-testid="overview-brush"
        aria-hidden="true"
      >
        {neurons.slice(0, MAX_MARKERS).map((n) => {
          const tx = ((n.unit + 0.5) / map.units) * width;
          return (
            <line
              key={`${n.layer}:${n.unit}`}
              x1={tx}
              x2={tx}
              y1={0}
              y2={height}
              stroke={INK}
              strokeOpacity={0.75}
              strokeWidth={1.5}
            />
          );
        })}
        <g ref={groupRef} />
      </svg>
    </div>
  );
}
