/**
 * How often each neuron is selected as a knowledge neuron across a data set: a layers x units
 * heatmap (the paper's frequency figures) drawn with the neuron map's pieces (layout, axes,
 * binning by maximum, colour levels), counts on the positive half of its scale. Hover reads a
 * cell; click, or the list of the most frequent neurons, selects one for the neuron map.
 */
import { nice as d3nice, ticks as d3ticks } from 'd3';
import { type MouseEvent, useMemo, useState } from 'react';
import { ExportMenu } from '../ExportMenu';
import { formatCount, neuronLabel } from '../format';
import { binUnits, clampRange, fullRange } from '../grid';
import { NeuronButton, RadioGroup, isSelected } from '../kit/controls';
import {
  CaptionBlock,
  type FigureContext,
  Figure,
  TitleBlock,
  contextLine,
  figureBasename,
  wrapCaption,
} from '../kit/figure';
import { HeatmapCells, HeatmapMarks, cellAt } from '../kit/heatmap';
import { ColorLegend } from '../kit/legend';
import { RULE } from '../kit/style';
import { mapLayout } from '../layout';
import type { ColorTransform, Neuron, UnitRange } from '../types';
import { useControllable } from '../useControllable';
import { ScopePicker, scopeLabel } from './controls';
import { toCsv } from './csv';
import { countColor } from './scales';
import {
  DEFAULT_SELECTION_FREQUENCY_STATE,
  type Scope,
  type SelectionFrequencyViewState,
} from './viewState';

/** One heatmap's data: counts per neuron, layers x units, row-major. */
export interface FrequencyMap {
  layers: number;
  units: number;
  /** For how many facts each neuron was selected. */
  counts: ArrayLike<number>;
  /** Facts counted. */
  facts: number;
}

export interface FrequencyFigureProps {
  map: FrequencyMap;
  context: FigureContext;
  language: string;
  scope: Scope;
  transform: ColorTransform;
  range?: UnitRange;
  width?: number;
  /** Visible units above this (and above one per pixel) are binned by their maximum (1024). */
  maxColumns?: number;
  selected?: Neuron | null;
}

/** Up to this many of the most frequent neurons are ringed, as KN are on the neuron map. */
export const RINGED = 5;

/**
 * The ringed neurons: the RINGED most frequent, except those tied with the first one left out
 * (a ring must not single out one of many equal neurons).
 */
export function ringed(map: FrequencyMap): (Neuron & { count: number })[] {
  const top = mostFrequent(map, RINGED + 1);
  const cut = top.length > RINGED ? top[RINGED].count : 0;
  return top.slice(0, RINGED).filter((n) => n.count > cut);
}

/** The map's geometry and columns, shared by the figure and the pointer. */
export function frequencyModel(props: FrequencyFigureProps) {
  const { map, width = 720 } = props;
  const range = clampRange(props.range ?? fullRange(map.units), map.units);
  let max = 0;
  for (let i = 0; i < map.counts.length; i++) max = Math.max(max, map.counts[i]);
  const layout0 = mapLayout(width, map.layers);
  // At most one column per pixel: a narrower column would vanish under crisp edges.
  const columns = Math.min(props.maxColumns ?? 1024, Math.floor(layout0.plot.w));
  const binned = binUnits(map.counts, map.layers, map.units, range, columns);
  const lines = wrapCaption(
    [
      `${props.language} · ${scopeLabel(props.scope)}: for how many of ${formatCount(map.facts)} facts each neuron is a knowledge neuron (score > τ × max); the most: ${formatCount(max)}.`,
      binned.binSize > 1
        ? `Units ${formatCount(range.start)}–${formatCount(range.end - 1)} in ${formatCount(binned.columns)} columns: each cell is the largest count over up to ${binned.binSize} adjacent units.`
        : `Each cell is one neuron (layer × FFN unit).`,
      `Rings: the most often selected neurons (up to ${RINGED}; none tied with the next).`,
    ],
    width,
  );
  return {
    max,
    top: niceCount(max),
    binned,
    lines,
    layout: mapLayout(width, map.layers, lines.length),
  };
}

export function FrequencyFigure(props: FrequencyFigureProps) {
  const { map, context, transform, selected } = props;
  const { top, binned, lines, layout } = frequencyModel(props);
  const { plot } = layout;
  return (
    <Figure
      width={layout.width}
      height={layout.height}
      label={`Selection frequency, ${props.language}, ${scopeLabel(props.scope)}`}
    >
      <TitleBlock
        title={`Selection frequency · ${props.language} · ${scopeLabel(props.scope)}`}
        subtitle={contextLine(context)}
        width={layout.legend.x}
      />
      <ColorLegend
        {...layout.legend}
        label={`Facts selecting the neuron${transform === 'sqrt' ? ', √ scale' : ''}`}
        color={(t) => countColor(transform === 'sqrt' ? t * t : t, 1, 'linear')}
        ticks={countTicks(top, transform)}
      />
      <HeatmapCells layout={layout} binned={binned} domain={top} transform={transform} />
      <rect
        x={plot.x}
        y={plot.y}
        width={plot.w}
        height={plot.h}
        fill="none"
        stroke={RULE}
        strokeWidth={0.5}
      />
      <HeatmapMarks
        layout={layout}
        binned={binned}
        units={map.units}
        rings={ringed(map)}
        selected={selected}
        values={map.counts}
        domain={top}
        transform={transform}
      />
      <CaptionBlock lines={lines} y={layout.captionY - 10} width={layout.width} />
    </Figure>
  );
}

/**
 * The top of the count scale: the largest count rounded up to a whole tick step (11 -> 12), so
 * the legend's ticks are evenly spaced and its end is one of them.
 */
export function niceCount(max: number): number {
  if (!(max > 0)) return 0;
  return Math.max(1, Math.ceil(d3nice(0, max, 4)[1]));
}

/** Whole-count ticks of the legend on a scale from 0 to `top` (a niceCount), at their places. */
export function countTicks(top: number, transform: ColorTransform): { t: number; label: string }[] {
  if (!(top > 0)) return [{ t: 0, label: '0' }];
  const at = (v: number) => (transform === 'sqrt' ? Math.sqrt(v / top) : v / top);
  const values = d3ticks(0, top, 4).filter((v) => Number.isInteger(v));
  if (values.at(-1) !== top) values.push(top);
  return values.map((v) => ({ t: at(v), label: formatCount(v) }));
}

/** Neurons by count (most first; ties by position), those selected at least once. */
export function mostFrequent(map: FrequencyMap, limit: number): (Neuron & { count: number })[] {
  const out: (Neuron & { count: number })[] = [];
  for (let i = 0; i < map.counts.length; i++)
    if (map.counts[i] > 0)
      out.push({ layer: Math.floor(i / map.units), unit: i % map.units, count: map.counts[i] });
  return out
    .sort((a, b) => b.count - a.count || a.layer - b.layer || a.unit - b.unit)
    .slice(0, limit);
}

/** Every neuron selected at least once, with its count: the CSV export. */
export function frequencyCsv(map: FrequencyMap, language: string): string {
  return toCsv(
    ['language', 'layer', 'unit', 'facts_selecting', 'facts'],
    mostFrequent(map, Infinity).map((n) => [language, n.layer, n.unit, n.count, map.facts]),
  );
}

export interface SelectionFrequencyViewProps {
  /** Per scope (null: all relations) the facts counted and per language the counts: a
   *  DatasetAggregates' `overall` and `relations` are exactly this. */
  aggregates: { overall: ScopedFrequency; relations: ScopedFrequency[] };
  layers: number;
  units: number;
  context: FigureContext;
  selected?: Neuron | null;
  onSelectNeuron?: (layer: number, unit: number) => void;
  state?: SelectionFrequencyViewState;
  onStateChange?: (state: SelectionFrequencyViewState) => void;
  width?: number;
}

export interface ScopedFrequency {
  relation: string | null;
  facts: number;
  frequency: Record<string, ArrayLike<number>>;
}

export function SelectionFrequencyView(props: SelectionFrequencyViewProps) {
  const { aggregates, layers, units, context, width = 720 } = props;
  const [state, setState] = useControllable(
    props.state,
    props.onStateChange,
    DEFAULT_SELECTION_FREQUENCY_STATE,
  );
  const scoped =
    (state.scope && aggregates.relations.find((r) => r.relation === state.scope!.relation)) ||
    aggregates.overall;
  const languages = Object.keys(scoped.frequency);
  const language =
    state.language !== null && languages.includes(state.language) ? state.language : languages[0];
  const map: FrequencyMap = useMemo(
    () => ({
      layers,
      units,
      counts: scoped.frequency[language] ?? new Uint32Array(layers * units),
      facts: scoped.facts,
    }),
    [layers, units, scoped, language],
  );
  const [hover, setHover] = useState<(Neuron & { count: number }) | null>(null);
  const { scope, transform, range: stateRange } = state;
  const selected = props.selected;
  const figureProps: FrequencyFigureProps = useMemo(
    () => ({
      map,
      context,
      language: language ?? '',
      scope,
      transform,
      range: stateRange ?? undefined,
      width,
      selected,
    }),
    [map, context, language, scope, transform, stateRange, width, selected],
  );
  const { binned, layout } = useMemo(() => frequencyModel(figureProps), [figureProps]);
  // The same element while only the hover changes: React then skips the heatmap's thousands of
  // cells on every mouse move.
  const figure = useMemo(() => <FrequencyFigure {...figureProps} />, [figureProps]);
  const top = useMemo(() => mostFrequent(map, 12), [map]);
  const pointer = (e: MouseEvent<HTMLDivElement>): (Neuron & { count: number }) | null => {
    const box = e.currentTarget.getBoundingClientRect();
    const cell = cellAt(layout, binned, e.clientX - box.left, e.clientY - box.top);
    if (!cell) return null;
    const { layer, column } = cell;
    const unit = binned.argmax[layer * binned.columns + column];
    return { layer, unit, count: map.counts[layer * units + unit] };
  };
  const range = state.range ?? fullRange(units);
  return (
    <section className="kn-analysis" aria-label="Selection frequency" data-testid="frequency-view">
      <div className="kn-analysis-toolbar">
        <ScopePicker
          relations={aggregates.relations.map((r) => ({ relation: r.relation, facts: r.facts }))}
          value={state.scope}
          onChange={(scope) => setState({ ...state, scope })}
        />
        {languages.length > 1 && (
          <RadioGroup
            legend="Language"
            value={language}
            options={languages.map((l) => [l, l] as const)}
            onChange={(l) => setState({ ...state, language: l })}
          />
        )}
        <RadioGroup
          legend="Colour by"
          value={state.transform}
          options={[
            ['linear', 'count'],
            ['sqrt', '√ count'],
          ]}
          onChange={(transform) => setState({ ...state, transform })}
        />
        <UnitRangeControl
          units={units}
          value={range}
          onChange={(r) =>
            setState({ ...state, range: r.start === 0 && r.end === units ? null : r })
          }
        />
      </div>
      <div
        className="kn-analysis-figure kn-frequency-stage"
        data-testid="frequency-stage"
        onMouseMove={(e) => setHover(pointer(e))}
        onMouseLeave={() => setHover(null)}
        onClick={(e) => {
          const p = pointer(e);
          if (p) props.onSelectNeuron?.(p.layer, p.unit);
        }}
      >
        {figure}
      </div>
      <ExportMenu
        label="Export the selection frequency"
        basename={figureBasename(context, `frequency-${language}`)}
        figure={() => <FrequencyFigure {...figureProps} />}
        csv={() => frequencyCsv(map, language ?? '')}
      />
      <p className="kn-muted" aria-live="polite" data-testid="frequency-readout">
        {hover
          ? `${neuronLabel(hover)}: selected for ${formatCount(hover.count)} of ${formatCount(map.facts)} facts`
          : 'Point at a cell to read it; click to open the neuron.'}
      </p>
      <table className="kn-table" data-testid="frequency-top">
        <caption>Most often selected ({language})</caption>
        <thead>
          <tr>
            <th scope="col">neuron</th>
            <th scope="col" className="kn-num">
              facts
            </th>
          </tr>
        </thead>
        <tbody>
          {top.map((n) => (
            <tr
              key={`${n.layer}:${n.unit}`}
              className={isSelected(n, props.selected) ? 'kn-row-selected' : undefined}
            >
              <td>
                <NeuronButton
                  neuron={n}
                  selected={props.selected}
                  onSelectNeuron={props.onSelectNeuron}
                />
              </td>
              <td className="kn-num">
                {formatCount(n.count)} of {formatCount(map.facts)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Units from / to: the zoom of the heatmap, typed (the list and clicks do the rest). */
function UnitRangeControl({
  units,
  value,
  onChange,
}: {
  units: number;
  value: UnitRange;
  onChange: (r: UnitRange) => void;
}) {
  const set = (start: number, end: number) => {
    if (Number.isInteger(start) && Number.isInteger(end))
      onChange(clampRange({ start, end }, units));
  };
  return (
    <fieldset>
      <legend>Units</legend>
      <label className="kn-radio">
        from{' '}
        <input
          type="number"
          min={0}
          max={units - 1}
          value={value.start}
          onChange={(e) => set(Number(e.target.value), value.end)}
        />
      </label>
      <label className="kn-radio">
        to{' '}
        <input
          type="number"
          min={1}
          max={units}
          value={value.end}
          onChange={(e) => set(value.start, Number(e.target.value))}
        />
      </label>
      <button
        type="button"
        disabled={value.start === 0 && value.end === units}
        onClick={() => onChange(fullRange(units))}
      >
        all
      </button>
    </fieldset>
  );
}
