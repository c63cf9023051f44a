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
import { INK, MUTED, SHARED, TEXT_SIZE } from './kit/style';
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
  shared,
}: {
  map: NeuronMapData;
  language: string;
  tau: number;
  transform: ColorTransform;
  model: MapModel;
  layout: MapLayout;
  selected?: Neuron | null;
  /** Knowledge neurons every language of the fact shares (small multiples), marked apart. */
  shared?: readonly Neuron[];
}) {
  const { threshold, domain } = model;
  const legend = layout.legend;
  // The marker key: the knowledge neurons' and, in small multiples, the shared neurons', on one
  // line left of the colour legend (whose tick labels reach down to it), shortened to fit.
  const room = legend.x - 12 - 24;
  const sharedRoom = (text: string | undefined) => (text ? textWidth(text, 11) + 28 : 0);
  const { refined } = model;
  const n = formatCount(model.neurons.length);
  const t = threshold === undefined ? '' : formatScore(threshold);
  // Longest first; the threshold's value goes last (the legend's ▼ marks it too).
  const knKeys = refined
    ? [
        `paraphrase-refined knowledge neurons, in more than p = ${refined.p} of ${refined.paraphrases} paraphrases’ sets at τ = ${tau}: ${n}`,
        `refined knowledge neurons (p = ${refined.p}, ${refined.paraphrases} paraphrases, τ = ${tau}): ${n}`,
        `refined (p = ${refined.p}, τ = ${tau}): ${n}`,
      ]
    : threshold === undefined
      ? [`no positive score: no knowledge neurons at τ = ${tau}`]
      : [
          `knowledge neurons, score > τ × max = ${t} (τ = ${tau}): ${n}`,
          `knowledge neurons, score > ${t} (τ = ${tau}): ${n}`,
          `knowledge neurons (τ = ${tau}): ${n}`,
        ];
  const sharedKeys: (string | undefined)[] = shared
    ? [
        `shared by every language: ${formatCount(shared.length)}`,
        `shared: ${formatCount(shared.length)}`,
      ]
    : [undefined];
  // The first pair that fits: the shared key's words go before the threshold's value does.
  const pairs = [
    ...knKeys.slice(0, 2).map((k) => [k, sharedKeys[0]] as const),
    ...knKeys.map((k) => [k, sharedKeys[sharedKeys.length - 1]] as const),
  ];
  const [key, sharedKey] =
    pairs.find(([k, sk]) => textWidth(k, 11) + sharedRoom(sk) <= room) ?? pairs[pairs.length - 1];
  const keyText = fitText(key, room - sharedRoom(sharedKey), 11);
  return (
    <>
      <TitleBlock title={mapTitle(language, map)} subtitle={mapSubtitle(map)} width={legend.x} />
      <g data-role="legend">
        <Ring cx={14} cy={51} r={4.5} />
        <text x={24} y={55} fontSize={11} fill={INK}>
          {keyText}
        </text>
        {sharedKey && (
          <>
            <Ring
              cx={40 + textWidth(keyText, 11)}
              cy={51}
              r={4.5}
              stroke={SHARED}
              strokeWidth={2}
            />
            <text x={50 + textWidth(keyText, 11)} y={55} fontSize={11} fill={INK}>
              {sharedKey}
            </text>
          </>
        )}
      </g>
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
        <g aria-hidden="true" data-role="legend">
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
        shared={shared?.slice(0, MAX_MARKERS)}
        selected={selected}
        values={map.scores}
        domain={domain}
        transform={transform}
      />
    </>
  );
}
