/**
 * The neuron map as a standalone SVG: a pure function of data and options, which is what the
 * PNG/SVG exports serialise. Small maps get one cell per neuron; above `maxColumns` visible units,
 * columns hold the maximum over bins of units, and the caption says so.
 */
import { levelOf, levelPalette, scorePosition } from './color';
import { colorRuns, columnOf } from './grid';
import { INK, type MapLayout, mapLayout, rowY } from './layout';
import { Caption, LayerAxis, MapHeader, Ring, UnitAxis } from './MapParts';
import {
  type MapModel,
  captionLines,
  mapModel,
  mapSubtitle,
  mapTitle,
  markers,
  methodShort,
} from './mapModel';
import type { ColorTransform, NeuronMapData, Neuron, ScaleMode, UnitRange } from './types';

export interface NeuronMapSvgProps {
  map: NeuronMapData;
  language: string;
  tau: number;
  /** Colour domain (max |score|); the map's own when left out. */
  domain?: number;
  /** How the domain was chosen, for the caption. */
  scaleMode?: ScaleMode;
  transform?: ColorTransform;
  range?: UnitRange;
  width?: number;
  /** Visible units above this are binned (default 1024, about one column per pixel). */
  maxColumns?: number;
  selected?: Neuron | null;
  /** Leave out the caption (when a figure of several maps has one of its own). */
  caption?: boolean;
}

export const DEFAULT_MAX_COLUMNS = 1024;
export const DEFAULT_WIDTH = 800;

export interface PreparedMap {
  model: MapModel;
  lines: string[];
  layout: MapLayout;
}

/** Everything a map's drawing needs, computed once (its size included, for stacking). */
export function prepareMap(props: NeuronMapSvgProps): PreparedMap {
  const { map, tau, domain, range, scaleMode = 'per-map' } = props;
  const model = mapModel(map, {
    tau,
    domain,
    range,
    maxColumns: props.maxColumns ?? DEFAULT_MAX_COLUMNS,
  });
  const lines =
    props.caption === false ? [] : captionLines(map, props.language, tau, model, scaleMode);
  return {
    model,
    lines,
    layout: mapLayout(props.width ?? DEFAULT_WIDTH, map.layers, lines.length),
  };
}

/** The map's drawing as a group: NeuronMapSvg wraps one, a figure of several stacks them. */
export function NeuronMapFigure(props: NeuronMapSvgProps & { prepared: PreparedMap }) {
  const { map, language, tau, transform = 'linear', selected, prepared } = props;
  const { model, lines, layout } = prepared;
  const { plot, rowHeight } = layout;
  const { binned } = model;
  const colW = plot.w / binned.columns;
  const { hex } = levelPalette();
  const showSelected =
    selected && selected.unit >= model.range.start && selected.unit < model.range.end;
  return (
    <g>
      <rect width={layout.width} height={layout.height} fill="#ffffff" />
      <MapHeader
        layout={layout}
        title={mapTitle(language, map)}
        subtitle={mapSubtitle(map)}
        knCount={model.neurons.length}
        tau={tau}
        threshold={model.threshold}
        domain={model.domain}
        transform={transform}
        method={methodShort(map)}
      />
      <g data-role="cells" shapeRendering="crispEdges">
        {colorRuns(binned, model.domain, transform).map((run) => (
          <rect
            key={`${run.layer}:${run.column}`}
            x={plot.x + run.column * colW}
            y={rowY(layout, map.layers, run.layer)}
            width={run.length * colW}
            height={rowHeight}
            fill={hex[run.level]}
          />
        ))}
      </g>
      <LayerAxis layout={layout} layers={map.layers} />
      <UnitAxis layout={layout} range={model.range} units={map.units} />
      <g data-role="markers">
        {markers(model, layout, map.layers).map((m) => (
          <Ring key={`${m.layer}:${m.unit}`} cx={m.cx} cy={m.cy} r={m.r} />
        ))}
      </g>
      {showSelected && (
        <SelectedBox
          x={plot.x + columnOf(binned, selected.unit) * colW}
          y={rowY(layout, map.layers, selected.layer)}
          w={colW}
          h={rowHeight}
          fill={
            hex[
              levelOf(
                scorePosition(
                  map.scores[selected.layer * map.units + selected.unit],
                  model.domain,
                  transform,
                ),
              )
            ]
          }
        />
      )}
      <Caption layout={layout} lines={lines} />
    </g>
  );
}

/**
 * The selected neuron: a square at least 10 px wide on its cell, filled with the cell's colour
 * (so a one-pixel column still shows it), outlined dark on a white halo.
 */
export function SelectedBox({
  x,
  y,
  w,
  h,
  fill,
}: {
  x: number;
  y: number;
  w: number;
  h: number;
  fill: string;
}) {
  const size = Math.max(10, Math.min(w, h));
  const left = x + w / 2 - size / 2;
  const top = y + h / 2 - size / 2;
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

export function NeuronMapSvg(props: NeuronMapSvgProps) {
  const prepared = prepareMap(props);
  const { width, height } = prepared.layout;
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`Neuron map, ${props.language}: ${props.map.prompt} → ${props.map.object}`}
    >
      <NeuronMapFigure {...props} prepared={prepared} />
    </svg>
  );
}

/** Space between stacked maps, with a rule in the middle. */
const STACK_GAP = 20;

/** Several languages' maps of one fact, stacked with aligned axes, as one SVG figure (at least one). */
export function NeuronMapsSvg({
  maps,
  ...shared
}: Omit<NeuronMapSvgProps, 'map' | 'language' | 'tau' | 'domain'> & {
  maps: { map: NeuronMapData; language: string; tau: number; domain?: number }[];
}) {
  const prepared = maps.map((m) => prepareMap({ ...shared, ...m }));
  const width = Math.max(0, ...prepared.map((p) => p.layout.width));
  const offsets = prepared.map(
    (_, i) => prepared.slice(0, i).reduce((y, p) => y + p.layout.height, 0) + i * STACK_GAP,
  );
  const height = offsets[offsets.length - 1] + prepared[prepared.length - 1].layout.height;
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`Neuron maps: ${maps.map((m) => m.language).join(', ')}`}
    >
      <rect width={width} height={height} fill="#ffffff" />
      {maps.map((m, i) => (
        <g key={m.language} transform={`translate(0,${offsets[i]})`}>
          {i > 0 && (
            <line x1={8} x2={width - 8} y1={-STACK_GAP / 2} y2={-STACK_GAP / 2} stroke="#c5cad3" />
          )}
          <NeuronMapFigure {...shared} {...m} prepared={prepared[i]} />
        </g>
      ))}
    </svg>
  );
}
