/**
 * One fact on two models (src/analysis/depth.ts): each language's two neuron maps side by side on
 * a shared axis of relative depth (a layer of an L-layer model is 1/L of the height, so rows at
 * the same height are at the same depth, whatever the models' layer counts), and where each
 * model's knowledge neurons sit by depth, with the share both put in the same depth bins.
 */
import { type MouseEvent, useMemo } from 'react';
import {
  type DepthComparison,
  type DepthMap,
  compareDepths,
  layerDepth,
  layerSpan,
} from '../../analysis/depth';
import { colorAt, levelPalette, maxAbs, positionScore } from '../color';
import { ExportMenu } from '../ExportMenu';
import { fitText, formatCount, formatScore } from '../format';
import { type BinnedMap, binUnits, colorRuns, columnOf, fullRange, layerTicks } from '../grid';
import { type FigureContext, TITLE_HEIGHT, TitledFigure, figureBasename } from '../kit/figure';
import { ColorLegend, SwatchLegend } from '../kit/legend';
import { INK, MUTED, TEXT_SIZE } from '../kit/style';
import type { BarSeries } from './bars';
import { BarPanel, barPanelHeight } from './BarPanel';
import { toCsv } from './csv';
import { useControllable } from '../useControllable';
import { formatShare, seriesColor } from './scales';

/** A model of the comparison, as the figures name it. */
export interface ComparedModel {
  /** ModelInfo.label: the id, marked when its weights were rounded. */
  label: string;
  layers: number;
  /** FFN units per layer. */
  units: number;
}

/** One language of the fact: its prompt and each model's map (undefined until run). */
export interface ComparedLanguage {
  language: string;
  tau: number;
  /** The prompt and its object, as the maps' headings show them. */
  prompt: string;
  maps: readonly [DepthMap | undefined, DepthMap | undefined];
}

/** A neuron picked in the aligned maps: which language's pair, which model, which cell. */
export interface ComparedNeuron {
  language: string;
  /** 0: the first model, 1: the second. */
  model: 0 | 1;
  layer: number;
  unit: number;
}

export interface ModelComparisonProps {
  models: readonly [ComparedModel, ComparedModel];
  languages: readonly ComparedLanguage[];
  /** Its model names both models ("demo-bert vs demo-gpt2"). */
  context: FigureContext;
  width?: number;
  /** The neuron picked in the maps (a click on a cell, as in the neuron map); kept here if not given. */
  selected?: ComparedNeuron | null;
  onSelect?: (neuron: ComparedNeuron | null) => void;
  /** Opens a neuron of the first model in the neuron map (its side panel). */
  onOpenFirst?: (layer: number, unit: number) => void;
}

type FigureProps = ModelComparisonProps & {
  comparison: DepthComparison;
  /** On screen only: a click on a map's cell picks its neuron (exports have none). */
  onPick?: (neuron: ComparedNeuron) => void;
};

/** The comparison the figures draw: computed once per input. */
export const comparisonOf = (
  p: Pick<ModelComparisonProps, 'models' | 'languages'>,
): DepthComparison =>
  compareDepths(
    [p.models[0].layers, p.models[1].layers],
    p.languages.map((l) => ({ language: l.language, tau: l.tau, maps: l.maps })),
  );

/** Both models, as captions name them. */
const bothModels = (models: ModelComparisonProps['models']) =>
  `${models[0].label} (${models[0].layers} layers) and ${models[1].label} (${models[1].layers} layers)`;

const depthText = (x: number) => String(Math.round(x * 100) / 100);

/** A depth bin as its range: "0.25–0.5". */
export const binLabel = (bin: number, bins: number): string =>
  `${depthText(bin / bins)}–${depthText((bin + 1) / bins)}`;

// ---------------------------------------------------------------------------------------------
// The maps aligned by depth.

const DEPTH_AXIS = 44;
const LAYER_LABELS = 28;
const GAP = 14;
const RIGHT = 10;
const LEGEND = 50;
const HEAD = 38;
const BLOCK_GAP = 16;
const DEPTH_TICKS = [0, 0.25, 0.5, 0.75, 1];

/** Height of the maps: rows of at least 8 px for the deeper model, within 100..240 px. */
const plotHeight = (models: FigureProps['models']) =>
  Math.max(100, Math.min(240, 10 * Math.max(models[0].layers, models[1].layers)));

/** The geometry of the aligned maps, shared by the figure and its tests. */
export function alignedLayout(width: number, models: FigureProps['models'], languages: number) {
  const panel = (width - DEPTH_AXIS - RIGHT - GAP - 2 * LAYER_LABELS) / 2;
  const plotX = [DEPTH_AXIS + LAYER_LABELS, DEPTH_AXIS + 2 * LAYER_LABELS + panel + GAP];
  const h = plotHeight(models);
  const top = TITLE_HEIGHT + LEGEND;
  const block = HEAD + h + BLOCK_GAP;
  return { panel, plotX, h, top, block, bottom: top + languages * block };
}

/** The y of depth d (0 at the bottom of the plot, 1 at its top). */
const depthY = (plotTop: number, h: number, d: number) => plotTop + (1 - d) * h;

export function depthAlignedCaption(p: FigureProps): string[] {
  const taus = p.languages.map((l) => `${l.language} ${l.tau}`).join(', ');
  return [
    `${bothModels(p.models)}, aligned by relative depth: layer l of an L-layer model spans the depths ` +
      'l/L to (l+1)/L, so rows at the same height are at the same depth.',
    'Each map on its own colour scale (score ÷ the map’s largest |score|); units across each panel, ' +
      `binned to its width (a column shows its bin’s largest score). Rings: knowledge neurons, score > τ × the map’s maximum (τ: ${taus}).`,
  ];
}

/** Ring radius on rows of this height. */
const ringRadius = (rowH: number) => Math.max(3, Math.min(6, rowH * 0.35));

/** A panel's map binned to its width (a column shows its bin's largest score). */
const panelBins = (map: DepthMap, w: number): BinnedMap =>
  binUnits(map.scores, map.layers, map.units, fullRange(map.units), Math.floor(w));

/**
 * The neuron at (px, py) of a panel w x h px (from its top left): a knowledge neuron's ring when
 * the point is on one (rings are larger than narrow cells), else the cell's strongest unit, as
 * the neuron map picks; null outside the panel.
 */
export function alignedPick(
  map: DepthMap,
  w: number,
  h: number,
  kn: readonly { layer: number; unit: number }[],
  px: number,
  py: number,
): { layer: number; unit: number } | null {
  if (px < 0 || py < 0 || px >= w || py >= h) return null;
  const binned = panelBins(map, w);
  const rowH = h / map.layers;
  const cw = w / binned.columns;
  const r = ringRadius(rowH);
  for (const n of kn) {
    const cx = Math.min(w - r - 1, Math.max(r + 1, (columnOf(binned, n.unit) + 0.5) * cw));
    const cy = (map.layers - 1 - n.layer + 0.5) * rowH;
    if ((px - cx) ** 2 + (py - cy) ** 2 <= (r + 1) ** 2) return { layer: n.layer, unit: n.unit };
  }
  const layer = map.layers - 1 - Math.min(map.layers - 1, Math.floor(py / rowH));
  const column = Math.min(binned.columns - 1, Math.floor(px / cw));
  return { layer, unit: binned.argmax[layer * binned.columns + column] };
}

function MapPanel({
  x,
  y,
  w,
  h,
  model,
  map,
  kn,
  selected,
  onPick,
}: {
  x: number;
  y: number;
  w: number;
  h: number;
  model: ComparedModel;
  map: DepthMap | undefined;
  kn: readonly { layer: number; unit: number }[];
  selected?: { layer: number; unit: number };
  onPick?: (neuron: { layer: number; unit: number }) => void;
}) {
  const { hex } = levelPalette();
  const rowH = h / model.layers;
  const step = Math.max(1, Math.ceil(12 / rowH));
  const labels = layerTicks(model.layers).filter((l) => l % step === 0);
  const layerLabels = labels.map((l) => (
    <text
      key={l}
      x={x - 4}
      y={depthY(y, h, layerDepth(l, model.layers)) + 4}
      textAnchor="end"
      fontSize={TEXT_SIZE}
      fill={MUTED}
    >
      {`L${l}`}
    </text>
  ));
  if (!map)
    return (
      <g>
        {layerLabels}
        <rect x={x} y={y} width={w} height={h} fill="none" stroke={MUTED} strokeDasharray="4 3" />
        <text x={x + w / 2} y={y + h / 2} textAnchor="middle" fontSize={12} fill={MUTED}>
          {fitText('not run on this model yet', w - 8, 12)}
        </text>
      </g>
    );
  const binned = panelBins(map, w);
  const cw = w / binned.columns;
  const domain = maxAbs(map.scores);
  const rowTop = (l: number) => depthY(y, h, layerSpan(l, model.layers)[1]);
  const r = ringRadius(rowH);
  // A click anywhere on the panel (a ring too), in the figure's own units.
  const pick = (e: MouseEvent<SVGGElement>) => {
    const svg = e.currentTarget.ownerSVGElement;
    const box = svg?.getBoundingClientRect();
    if (!svg || !box?.width) return;
    // The figure's width in its own units over its width on screen.
    const scale = Number(svg.getAttribute('width')) / box.width;
    const n = alignedPick(
      map,
      w,
      h,
      kn,
      (e.clientX - box.left) * scale - x,
      (e.clientY - box.top) * scale - y,
    );
    if (n) onPick?.(n);
  };
  const mark = selected &&
    selected.layer < map.layers &&
    selected.unit < map.units && {
      x: x + columnOf(binned, selected.unit) * cw,
      y: rowTop(selected.layer),
    };
  const ringed = new Set<string>();
  return (
    <g onClick={onPick && pick}>
      {layerLabels}
      {colorRuns(binned, domain, 'linear').map((run) => (
        <rect
          key={`${run.layer}:${run.column}`}
          x={x + run.column * cw}
          y={rowTop(run.layer)}
          width={run.length * cw}
          height={rowH}
          fill={hex[run.level]}
        />
      ))}
      <rect x={x} y={y} width={w} height={h} fill="none" stroke={MUTED} strokeWidth={0.5} />
      {onPick && (
        <rect
          x={x}
          y={y}
          width={w}
          height={h}
          fill="transparent"
          style={{ cursor: 'pointer' }}
          data-testid="compare-map-hit"
        >
          <title>Click a cell to see its neuron</title>
        </rect>
      )}
      {kn.map((n) => {
        const column = columnOf(binned, n.unit);
        const key = `${n.layer}:${column}`;
        if (ringed.has(key)) return null;
        ringed.add(key);
        // Inside the panel even at its edges.
        const cx = Math.min(x + w - r - 1, Math.max(x + r + 1, x + (column + 0.5) * cw));
        return (
          <circle
            key={key}
            cx={cx}
            cy={rowTop(n.layer) + rowH / 2}
            r={r}
            fill="none"
            stroke={INK}
            strokeWidth={1.5}
          >
            <title>{`L${n.layer} · u${n.unit}`}</title>
          </circle>
        );
      })}
      {mark && (
        <rect
          x={mark.x - 2}
          y={mark.y - 2}
          width={Math.max(cw, 2) + 4}
          height={rowH + 4}
          fill="none"
          stroke="#d55e00"
          strokeWidth={2}
          data-testid="compare-selected-mark"
        />
      )}
    </g>
  );
}

export function DepthAlignedMapsFigure(p: FigureProps) {
  const width = p.width ?? 720;
  const { models, languages, comparison } = p;
  const g = alignedLayout(width, models, languages.length);
  return (
    <TitledFigure
      width={width}
      bottom={g.bottom}
      label={`Neuron maps of ${models[0].label} and ${models[1].label} aligned by relative depth`}
      title={`Neuron maps by relative depth · ${models[0].label} and ${models[1].label}`}
      context={p.context}
      caption={depthAlignedCaption(p)}
    >
      <ColorLegend
        x={8}
        y={TITLE_HEIGHT}
        w={Math.min(220, width / 3)}
        label="Score ÷ the map’s largest |score|"
        color={colorAt}
        ticks={[0, 0.5, 1].map((t) => ({ t, label: formatScore(positionScore(t, 1, 'linear')) }))}
      />
      <SwatchLegend
        x={Math.min(220, width / 3) + 32}
        y={TITLE_HEIGHT + 22}
        items={[{ label: 'knowledge neuron', color: INK, mark: 'ring' }]}
        maxWidth={width - Math.min(220, width / 3) - 40}
      />
      {languages.map((l, i) => {
        const y0 = g.top + i * g.block;
        const plotTop = y0 + HEAD;
        const side = comparison.languages[i];
        return (
          <g key={l.language} data-language={l.language}>
            <text x={8} y={y0 + 14} fontSize={12} fontWeight={700} fill={INK}>
              {fitText(`${l.language} · ${l.prompt}`, width - 16, 12)}
            </text>
            {models.map((m, k) => {
              const kn = side.models[k]?.kn;
              return (
                <text
                  key={k}
                  x={g.plotX[k] - LAYER_LABELS}
                  y={y0 + 31}
                  fontSize={TEXT_SIZE}
                  fill={INK}
                >
                  {fitText(
                    `${m.label} · ${m.layers} × ${formatCount(m.units)}` +
                      (kn ? ` · ${formatCount(kn.length)} KN` : ''),
                    g.panel + LAYER_LABELS,
                    TEXT_SIZE,
                  )}
                </text>
              );
            })}
            <text
              transform={`translate(${14},${plotTop + g.h / 2}) rotate(-90)`}
              textAnchor="middle"
              fontSize={TEXT_SIZE}
              fill={INK}
            >
              depth
            </text>
            {DEPTH_TICKS.map((d) => (
              <g key={d}>
                <text
                  x={DEPTH_AXIS - 6}
                  y={depthY(plotTop, g.h, d) + (d === 1 ? 8 : d === 0 ? 0 : 4)}
                  textAnchor="end"
                  fontSize={TEXT_SIZE}
                  fill={MUTED}
                >
                  {depthText(d)}
                </text>
                {d > 0 && d < 1 && (
                  <line
                    x1={DEPTH_AXIS - 3}
                    x2={width - RIGHT}
                    y1={depthY(plotTop, g.h, d)}
                    y2={depthY(plotTop, g.h, d)}
                    stroke={INK}
                    strokeOpacity={0.3}
                    strokeDasharray="3 3"
                  />
                )}
              </g>
            ))}
            {models.map((m, k) => (
              <MapPanel
                key={k}
                x={g.plotX[k]}
                y={plotTop}
                w={g.panel}
                h={g.h}
                model={m}
                map={l.maps[k]}
                kn={side.models[k]?.kn ?? []}
                selected={
                  p.onPick && p.selected?.language === l.language && p.selected.model === k
                    ? p.selected
                    : undefined
                }
                onPick={
                  p.onPick &&
                  ((n) => p.onPick!({ language: l.language, model: k === 0 ? 0 : 1, ...n }))
                }
              />
            ))}
          </g>
        );
      })}
    </TitledFigure>
  );
}

/** The knowledge neurons of each model and language at their depths: the maps' CSV export. */
export function depthAlignedCsv(p: FigureProps): string {
  const rows: (string | number)[][] = [];
  p.comparison.languages.forEach((l) =>
    l.models.forEach((side, k) =>
      side?.kn.forEach((n) =>
        rows.push([
          p.models[k].label,
          l.language,
          l.tau,
          n.layer,
          layerDepth(n.layer, p.models[k].layers),
          n.unit,
          n.score,
        ]),
      ),
    ),
  );
  return toCsv(['model', 'language', 'tau', 'layer', 'depth', 'unit', 'score'], rows);
}

// ---------------------------------------------------------------------------------------------
// Knowledge neurons by depth.

const BARS_HEIGHT = 110;
const SHARED_COLOR = '#8a8f99';

interface DepthPanel {
  title: string;
  series: BarSeries[];
  note?: string;
}

function depthPanels(p: FigureProps): DepthPanel[] {
  const { comparison, models } = p;
  const bins = comparison.bins;
  const series = (a: number[], b: number[], shared: number[]): BarSeries[] => [
    { label: models[0].label, color: seriesColor(0), values: a },
    { label: models[1].label, color: seriesColor(1), values: b },
    { label: 'both (the smaller share)', color: SHARED_COLOR, values: shared },
  ];
  const empty = new Array<number>(bins).fill(0);
  const panels: DepthPanel[] = comparison.languages.map((l) => {
    const [a, b] = l.models;
    if (!a || !b || !l.overlap)
      return {
        title: `${l.language}: share of knowledge-neuron mass by depth`,
        series: series(a?.profile ?? empty, b?.profile ?? empty, empty),
        note: 'needs the maps of both models',
      };
    return {
      title: `${l.language}: share of knowledge-neuron mass by depth · overlap ${formatShare(l.overlap.overlap)}`,
      series: series(a.profile, b.profile, l.overlap.shared),
      note: l.overlap.overlap === null ? 'a model has no knowledge neurons here' : undefined,
    };
  });
  if (comparison.all && comparison.languages.length > 1) {
    const { profiles, overlap } = comparison.all;
    panels.push({
      title: `All languages (mean of their shares) · overlap ${formatShare(overlap.overlap)}`,
      series: series(profiles[0], profiles[1], overlap.shared),
      note: overlap.overlap === null ? 'a model has no knowledge neurons' : undefined,
    });
  }
  return panels;
}

/** The depth bins both models use, per language: the caption's last line. */
function bothUseLine(c: DepthComparison): string {
  const parts = c.languages
    .filter((l) => l.overlap && l.overlap.overlap !== null)
    .map(
      (l) =>
        `${l.language} ${l.overlap!.both.length ? l.overlap!.both.map((b) => binLabel(b, c.bins)).join(', ') : 'none'}`,
    );
  return parts.length ? `Depth bins both models use: ${parts.join('; ')}.` : '';
}

export function knDepthCaption(p: FigureProps): string[] {
  return [
    `Where the knowledge neurons of ${bothModels(p.models)} sit: the share of their score mass in ` +
      `each of ${p.comparison.bins} depth bins (as many as the shallower model has layers; a layer straddling two bins gives each its part).`,
    'Overlap: the sum over bins of the smaller share, 1 when both models put their knowledge neurons at the same depths, 0 when no bin has both.',
    bothUseLine(p.comparison),
  ].filter(Boolean);
}

export function KnDepthFigure(p: FigureProps) {
  const width = p.width ?? 720;
  const bins = p.comparison.bins;
  const groups = Array.from({ length: bins }, (_, b) => binLabel(b, bins));
  const list = depthPanels(p);
  const heights = list.map((panel) =>
    barPanelHeight({
      ...panel,
      width,
      plotHeight: BARS_HEIGHT,
      groups,
      groupAxisLabel: 'Relative depth',
    }),
  );
  const top = TITLE_HEIGHT + 4;
  const bottom = top + heights.reduce((a, b) => a + b + 14, 0);
  return (
    <TitledFigure
      width={width}
      bottom={bottom}
      label={`Knowledge neurons by relative depth on ${p.models[0].label} and ${p.models[1].label}`}
      title={`Knowledge neurons by relative depth · ${p.models[0].label} and ${p.models[1].label}`}
      context={p.context}
      caption={knDepthCaption(p)}
    >
      {list.map((panel, i) => (
        <BarPanel
          key={panel.title}
          x={0}
          y={top + heights.slice(0, i).reduce((a, b) => a + b + 14, 0)}
          width={width}
          plotHeight={BARS_HEIGHT}
          title={panel.title}
          groups={groups}
          series={panel.series}
          note={panel.note}
          format={formatShare}
          valueLabels={false}
          axisLabel="Share"
          groupAxisLabel="Relative depth"
          domain={[0, 1]}
        />
      ))}
    </TitledFigure>
  );
}

/** Each language's (and all languages') shares per bin: the CSV export. */
export function knDepthCsv(p: FigureProps): string {
  const { comparison: c, models } = p;
  const rows: (string | number)[][] = [];
  const add = (language: string, a: number[], b: number[], shared: number[] | null) =>
    a.forEach((_, bin) =>
      rows.push([
        language,
        bin / c.bins,
        (bin + 1) / c.bins,
        a[bin],
        b[bin],
        shared ? shared[bin] : '',
      ]),
    );
  for (const l of c.languages)
    if (l.models[0] && l.models[1])
      add(l.language, l.models[0].profile, l.models[1].profile, l.overlap?.shared ?? null);
  if (c.all) add('*', c.all.profiles[0], c.all.profiles[1], c.all.overlap.shared);
  return toCsv(
    [
      'language',
      'depth_from',
      'depth_to',
      `share_${models[0].label}`,
      `share_${models[1].label}`,
      'share_both',
    ],
    rows,
  );
}

/**
 * The picked neuron in words: its model, language, layer, unit and depth, its score (and share of
 * the map's largest |score|), whether it is a knowledge neuron, and its scores in the model's maps
 * of the other languages, as the neuron map's panel gives them across maps. Null when the
 * neuron's map is not there (any more).
 */
export function comparedNeuronText(
  p: Pick<FigureProps, 'models' | 'languages' | 'comparison'>,
  n: ComparedNeuron,
): string | null {
  const at = p.languages.findIndex((l) => l.language === n.language);
  const map = p.languages[at]?.maps[n.model];
  if (!map || n.layer >= map.layers || n.unit >= map.units) return null;
  const model = p.models[n.model];
  const scoreIn = (m: DepthMap) => m.scores[n.layer * m.units + n.unit];
  const score = scoreIn(map);
  const largest = maxAbs(map.scores);
  const isKn = p.comparison.languages[at].models[n.model]?.kn.some(
    (k) => k.layer === n.layer && k.unit === n.unit,
  );
  const [from, to] = layerSpan(n.layer, model.layers);
  const others = p.languages.flatMap((l) => {
    const m = l.maps[n.model];
    return l.language === n.language || !m ? [] : [`${l.language} ${formatScore(scoreIn(m))}`];
  });
  return (
    `${model.label} · ${n.language} · L${n.layer} · u${n.unit} (depth ${depthText(from)}–${depthText(to)}): ` +
    `score ${formatScore(score)}` +
    (largest > 0 ? `, ${formatShare(score / largest)} of the map’s largest |score|` : '') +
    (isKn ? `; a knowledge neuron at τ ${p.languages[at].tau}` : '; not a knowledge neuron') +
    (others.length ? `. In this model’s other maps: ${others.join(', ')}.` : '.')
  );
}

/** Both figures, each with its export; a click on a map's cell shows its neuron under the maps. */
export function ModelComparisonView(props: ModelComparisonProps) {
  const { models, languages } = props;
  const comparison = useMemo(() => comparisonOf({ models, languages }), [models, languages]);
  const [selected, setSelected] = useControllable(props.selected, props.onSelect, null);
  const p: FigureProps = { ...props, comparison };
  const details = selected && comparedNeuronText(p, selected);
  return (
    <section
      className="kn-analysis"
      aria-label="Two models compared"
      data-testid="model-comparison-view"
    >
      <div className="kn-analysis-figure" data-testid="depth-aligned-maps">
        <DepthAlignedMapsFigure {...p} selected={selected} onPick={setSelected} />
      </div>
      <p className="kn-muted" role="status" data-testid="compare-neuron">
        {details ? (
          <>
            {details}{' '}
            {selected.model === 0 && props.onOpenFirst && (
              <button
                type="button"
                className="link-button"
                onClick={() => props.onOpenFirst!(selected.layer, selected.unit)}
              >
                Open in the neuron map
              </button>
            )}{' '}
            <button type="button" className="link-button" onClick={() => setSelected(null)}>
              Clear
            </button>
          </>
        ) : (
          'Click a cell of a map to see its neuron.'
        )}
      </p>
      <ExportMenu
        label="Export the maps aligned by depth"
        basename={figureBasename(props.context, 'depth-maps')}
        figure={() => <DepthAlignedMapsFigure {...p} />}
        csv={() => depthAlignedCsv(p)}
      />
      <div className="kn-analysis-figure" data-testid="kn-depth-overlap">
        <KnDepthFigure {...p} />
      </div>
      <ExportMenu
        label="Export the knowledge neurons by depth"
        basename={figureBasename(props.context, 'kn-depth')}
        figure={() => <KnDepthFigure {...p} />}
        csv={() => knDepthCsv(p)}
      />
    </section>
  );
}
