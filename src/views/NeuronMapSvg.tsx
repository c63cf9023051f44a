/**
 * The neuron map as a standalone SVG: a pure function of data and options, which is what the
 * PNG/SVG exports serialise. Small maps get one cell per neuron; above `maxColumns` visible units,
 * columns hold the maximum over bins of units, and the caption says so.
 */
import { CaptionBlock, type CaptionLine, Figure, wrapCaption } from './kit/figure';
import { HeatmapCells } from './kit/heatmap';
import { RULE } from './kit/style';
import { type MapLayout, mapLayout } from './layout';
import { type MapModel, captionLines, mapModel } from './mapModel';
import { MapOverlay } from './MapOverlay';
import type {
  ColorTransform,
  NeuronMapData,
  Neuron,
  RefinedSelection,
  ScaleMode,
  UnitRange,
} from './types';

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
  /** Knowledge neurons every language of the fact shares, marked apart (see HeatmapMarks). */
  shared?: readonly Neuron[];
  /** Leave out the caption (when a figure of several maps has one of its own). */
  caption?: boolean;
  /** A paraphrase-refined map's neurons (they replace the map's own at tau). */
  refined?: RefinedSelection;
}

export const DEFAULT_MAX_COLUMNS = 1024;
export const DEFAULT_WIDTH = 800;

export interface PreparedMap {
  model: MapModel;
  lines: CaptionLine[];
  layout: MapLayout;
}

/** Everything a map's drawing needs, computed once (its size included, for stacking). */
export function prepareMap(props: NeuronMapSvgProps): PreparedMap {
  const { map, tau, domain, range, scaleMode = 'per-map' } = props;
  const width = props.width ?? DEFAULT_WIDTH;
  const model = mapModel(map, {
    tau,
    domain,
    range,
    maxColumns: props.maxColumns ?? DEFAULT_MAX_COLUMNS,
    refined: props.refined,
  });
  const lines =
    props.caption === false
      ? []
      : wrapCaption(captionLines(map, props.language, tau, model, scaleMode), width);
  return { model, lines, layout: mapLayout(width, map.layers, lines.length) };
}

/** The map's drawing as a group: NeuronMapSvg wraps one, a figure of several stacks them. */
export function NeuronMapFigure(props: NeuronMapSvgProps & { prepared: PreparedMap }) {
  const { transform = 'linear', prepared } = props;
  const { model, lines, layout } = prepared;
  return (
    <g>
      <HeatmapCells
        layout={layout}
        binned={model.binned}
        domain={model.domain}
        transform={transform}
      />
      <MapOverlay {...props} transform={transform} model={model} layout={layout} />
      <CaptionBlock lines={lines} y={layout.captionY - 10} width={layout.width} />
    </g>
  );
}

export function NeuronMapSvg(props: NeuronMapSvgProps) {
  const prepared = prepareMap(props);
  return (
    <Figure
      width={prepared.layout.width}
      height={prepared.layout.height}
      label={`Neuron map, ${props.language}: ${props.map.prompt} → ${props.map.object}`}
    >
      <NeuronMapFigure {...props} prepared={prepared} />
    </Figure>
  );
}

/** Space between stacked maps, with a rule in the middle. */
const STACK_GAP = 20;

/** Several languages' maps of one fact, stacked with aligned axes, as one SVG figure (at least one). */
export function NeuronMapsSvg({
  maps,
  ...common
}: Omit<NeuronMapSvgProps, 'map' | 'language' | 'tau' | 'domain' | 'refined'> & {
  maps: {
    map: NeuronMapData;
    language: string;
    tau: number;
    domain?: number;
    refined?: RefinedSelection;
  }[];
}) {
  const prepared = maps.map((m) => prepareMap({ ...common, ...m }));
  const width = Math.max(0, ...prepared.map((p) => p.layout.width));
  const offsets = prepared.map(
    (_, i) => prepared.slice(0, i).reduce((y, p) => y + p.layout.height, 0) + i * STACK_GAP,
  );
  const height = offsets[offsets.length - 1] + prepared[prepared.length - 1].layout.height;
  return (
    <Figure
      width={width}
      height={height}
      label={`Neuron maps: ${maps.map((m) => m.language).join(', ')}`}
    >
      {maps.map((m, i) => (
        <g key={m.language} transform={`translate(0,${offsets[i]})`}>
          {i > 0 && (
            <line x1={8} x2={width - 8} y1={-STACK_GAP / 2} y2={-STACK_GAP / 2} stroke={RULE} />
          )}
          <NeuronMapFigure {...common} {...m} prepared={prepared[i]} />
        </g>
      ))}
    </Figure>
  );
}
