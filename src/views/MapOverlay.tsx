/**
 * What a neuron map draws over its cells, the same in the canvas view (an SVG over the canvas)
 * and the export: the header (title, fact, marker key; the colour legend on the right), the
 * axes, the knowledge neurons' rings and the selected neuron's box.
 */
import { format } from 'd3';
import { colorAt, legendTicks, scorePosition } from './color';
import { fitText, formatCount, formatScore, textWidth } from './format';
import { ColorLegend, MarkArrow } from './kit/legend';
import { TitleBlock } from './kit/figure';
import { HeatmapMarks, Ring } from './kit/heatmap';
import { INK, MUTED, TEXT_SIZE } from './kit/style';
import type { MapLayout } from './layout';
import { type MapModel, MAX_MARKERS, mapSubtitle, mapTitle, methodShort } from './mapModel';
import type { ColorTransform, Neuron, NeuronMapData } from './types';

/** Room for the "▼ τ × max" key at the right of the legend's title. */
const KEY_WIDTH = 54;
/** Legend labels are short: two significant digits. */
const formatTick = format('.2~g');

/** The longest legend title that leaves room for the "▼ τ × max" key on its right. */
function legendLabel(method: string, transform: ColorTransform, width: number): string {
  const scale = transform === 'sqrt' ? ', √ scale' : '';
  const candidates = [`Attribution score (${method}${scale})`, `Score (${method}${scale})`];
  return candidates.find((c) => textWidth(c, 11) <= width - KEY_WIDTH) ?? `Score${scale}`;
}

export function MapOverlay({
  map,
  language,
  tau,
  transform,
  model,
  layout,
  selected,
}: {
  map: NeuronMapData;
  language: string;
  tau: number;
  transform: ColorTransform;
  model: MapModel;
  layout: MapLayout;
  selected?: Neuron | null;
}) {
  const { threshold, domain } = model;
  const legend = layout.legend;
  const { refined } = model;
  const key = refined
    ? `paraphrase-refined knowledge neurons, in more than p = ${refined.p} of ${refined.paraphrases} paraphrases’ sets at τ = ${tau}: ${formatCount(model.neurons.length)}`
    : threshold === undefined
      ? `no positive score: no knowledge neurons at τ = ${tau}`
      : `knowledge neurons, score > τ × max = ${formatScore(threshold)} (τ = ${tau}): ${formatCount(model.neurons.length)}`;
  return (
    <>
      <TitleBlock title={mapTitle(language, map)} subtitle={mapSubtitle(map)} width={legend.x} />
      <Ring cx={14} cy={51} r={4.5} />
      <text x={24} y={55} fontSize={11} fill={INK}>
        {fitText(key, layout.width - 32, 11)}
      </text>
      <ColorLegend
        {...legend}
        label={legendLabel(methodShort(map), transform, legend.w)}
        color={colorAt}
        ticks={legendTicks(domain, transform, legend.w).map(({ t, value }) => ({
          t,
          label: formatTick(value),
        }))}
        marks={threshold === undefined ? [] : [scorePosition(threshold, domain, transform)]}
      />
      {threshold !== undefined && (
        <g aria-hidden="true">
          <MarkArrow x={legend.x + legend.w - KEY_WIDTH + 12} y={legend.y + 8} />
          <text
            x={legend.x + legend.w}
            y={legend.y + 8}
            fontSize={TEXT_SIZE}
            fill={MUTED}
            textAnchor="end"
          >
            τ × max
          </text>
        </g>
      )}
      <HeatmapMarks
        layout={layout}
        binned={model.binned}
        units={map.units}
        rings={model.neurons.slice(0, MAX_MARKERS)}
        selected={selected}
        values={map.scores}
        domain={domain}
        transform={transform}
      />
    </>
  );
}
