/**
 * Layer distributions of knowledge neurons (the paper's bar charts): per layer, how many KN each
 * language has (summed over facts), how many LIKN, and how many DKN per language, for all
 * relations or one. Counts or each series' share of its total.
 */
import type { DatasetAggregates, LayerAggregate } from '../../analysis/dataset';
import { ExportMenu } from '../ExportMenu';
import { formatCount } from '../format';
import { layerTicks } from '../grid';
import { RadioGroup } from '../kit/controls';
import { type FigureContext, TITLE_HEIGHT, TitledFigure, figureBasename } from '../kit/figure';
import { INK } from '../kit/style';
import { useControllable } from '../useControllable';
import type { BarSeries } from './bars';
import { BarPanel, barPanelHeight } from './BarPanel';
import { ScopePicker, capitalise, relationLabel, scopeLabel } from './controls';
import { toCsv } from './csv';
import { formatShare, seriesColor } from './scales';
import {
  DEFAULT_LAYER_DISTRIBUTION_STATE,
  type LayerDistributionViewState,
  type Scope,
} from './viewState';

export interface LayerDistributionFigureProps {
  aggregates: DatasetAggregates;
  /** Languages in the order of their colours (the run's order). */
  languages: readonly string[];
  context: FigureContext;
  scope: Scope;
  measure: 'count' | 'share';
  /** Whether the run searched degenerate pairs (otherwise DKN is not drawn as "none"). */
  degenerateSearched: boolean;
  width?: number;
}

/** The aggregate a scope picks; the overall one when the relation is not in the run. */
export function scopedAggregate(aggregates: DatasetAggregates, scope: Scope): LayerAggregate {
  if (scope === null) return aggregates.overall;
  return aggregates.relations.find((r) => r.relation === scope.relation) ?? aggregates.overall;
}

/** Counts, or each series' count per layer over its total (all zero stays zero). */
function measured(values: readonly number[], measure: 'count' | 'share'): number[] {
  if (measure === 'count') return [...values];
  const total = values.reduce((a, b) => a + b, 0);
  return values.map((v) => (total ? v / total : 0));
}

interface Panel {
  title: string;
  series: BarSeries[];
  note?: string;
}

function panels(
  agg: LayerAggregate,
  languages: readonly string[],
  measure: 'count' | 'share',
  degenerateSearched: boolean,
): Panel[] {
  const perLanguage = (counts: Record<string, number[]>) =>
    languages.map((l, i) => ({
      label: l,
      color: seriesColor(i),
      values: measured(counts[l] ?? [], measure),
    }));
  const total = (counts: Record<string, number[]>) =>
    languages.reduce((s, l) => s + (counts[l] ?? []).reduce((a, b) => a + b, 0), 0);
  const liknTotal = agg.likn.reduce((a, b) => a + b, 0);
  return [
    {
      title: `Knowledge neurons (KN) per layer, by language · ${formatCount(total(agg.kn))} in all`,
      series: perLanguage(agg.kn),
      note: total(agg.kn) ? undefined : 'no knowledge neurons',
    },
    {
      title: `Language-independent neurons (LIKN) per layer · ${formatCount(liknTotal)} from ${formatCount(agg.liknFacts)} facts`,
      series: [{ label: 'LIKN', color: INK, values: measured(agg.likn, measure) }],
      note:
        languages.length < 2
          ? 'LIKN needs two or more languages'
          : liknTotal
            ? undefined
            : 'no neuron is shared by every language',
    },
    {
      title: `Degenerate neurons (DKN) per layer, by language · ${formatCount(total(agg.dkn))} in all`,
      series: perLanguage(agg.dkn),
      note: !degenerateSearched
        ? 'this run did not search for degenerate pairs'
        : total(agg.dkn)
          ? undefined
          : 'no degenerate pair found',
    },
  ];
}

const PLOT_HEIGHT = 120;

export function layerDistributionCaption(
  agg: LayerAggregate,
  scope: Scope,
  measure: 'count' | 'share',
): string[] {
  return [
    `${capitalise(scopeLabel(scope))}: ${formatCount(agg.facts)} facts · bars ${
      measure === 'count' ? 'count neurons over facts' : 'show each series’ share of its total'
    }.`,
    'KN: score > τ × max per fact and language. LIKN: in the KN of every language of a fact. ' +
      'DKN: in at least one degenerate pair.',
  ];
}

export function LayerDistributionFigure(props: LayerDistributionFigureProps) {
  const { aggregates, languages, context, scope, measure, width = 640 } = props;
  const agg = scopedAggregate(aggregates, scope);
  const layers = agg.likn.length;
  const ticks = new Set(layerTicks(layers));
  const groups = Array.from({ length: layers }, (_, l) => (ticks.has(l) ? String(l) : ''));
  const list = panels(agg, languages, measure, props.degenerateSearched);
  const heights = list.map((p) =>
    barPanelHeight({ ...p, width, plotHeight: PLOT_HEIGHT, groups, groupAxisLabel: 'Layer' }),
  );
  const caption = layerDistributionCaption(agg, scope, measure);
  const top = TITLE_HEIGHT + 4;
  const bottom = top + heights.reduce((a, b) => a + b + 14, 0);
  const format = measure === 'count' ? formatCount : formatShare;
  return (
    <TitledFigure
      width={width}
      bottom={bottom}
      label={`Layer distribution of KN, LIKN and DKN, ${scopeLabel(scope)}`}
      title={`Layer distribution of knowledge neurons · ${scopeLabel(scope)}`}
      context={context}
      caption={caption}
    >
      {list.map((p, i) => (
        <BarPanel
          key={p.title}
          x={0}
          y={top + heights.slice(0, i).reduce((a, b) => a + b + 14, 0)}
          width={width}
          plotHeight={PLOT_HEIGHT}
          title={p.title}
          groups={groups}
          series={p.series}
          note={p.note}
          format={format}
          valueLabels={layers <= 16}
          integer={measure === 'count'}
          axisLabel={measure === 'count' ? 'Neurons' : 'Share'}
          groupAxisLabel="Layer"
          domain={measure === 'share' ? [0, 1] : undefined}
        />
      ))}
    </TitledFigure>
  );
}

/** Every scope, series, language and layer: the CSV export. */
export function layerDistributionCsv(
  aggregates: DatasetAggregates,
  languages: readonly string[],
): string {
  const rows: (string | number)[][] = [];
  for (const agg of [aggregates.overall, ...aggregates.relations]) {
    const scope = agg === aggregates.overall ? '*' : relationLabel(agg.relation);
    for (const l of languages)
      agg.kn[l]?.forEach((c, layer) => rows.push([scope, 'KN', l, layer, c]));
    agg.likn.forEach((c, layer) => rows.push([scope, 'LIKN', languages.join(' '), layer, c]));
    for (const l of languages)
      agg.dkn[l]?.forEach((c, layer) => rows.push([scope, 'DKN', l, layer, c]));
  }
  return toCsv(['relation', 'series', 'language', 'layer', 'neurons'], rows);
}

export interface LayerDistributionViewProps {
  aggregates: DatasetAggregates;
  languages: readonly string[];
  context: FigureContext;
  degenerateSearched: boolean;
  state?: LayerDistributionViewState;
  onStateChange?: (state: LayerDistributionViewState) => void;
  width?: number;
}

export function LayerDistributionView(props: LayerDistributionViewProps) {
  const [state, setState] = useControllable(
    props.state,
    props.onStateChange,
    DEFAULT_LAYER_DISTRIBUTION_STATE,
  );
  const figure = () => (
    <LayerDistributionFigure {...props} scope={state.scope} measure={state.measure} />
  );
  return (
    <section
      className="kn-analysis"
      aria-label="Layer distributions"
      data-testid="layer-distribution-view"
    >
      <div className="kn-analysis-toolbar">
        <ScopePicker
          relations={props.aggregates.relations.map((r) => ({
            relation: r.relation,
            facts: r.facts,
          }))}
          value={state.scope}
          onChange={(scope) => setState({ ...state, scope })}
        />
        <RadioGroup
          legend="Bars"
          value={state.measure}
          options={[
            ['count', 'counts'],
            ['share', 'share of total'],
          ]}
          onChange={(measure) => setState({ ...state, measure })}
        />
      </div>
      <div className="kn-analysis-figure">{figure()}</div>
      <ExportMenu
        label="Export the layer distributions"
        basename={figureBasename(props.context, 'layers')}
        figure={figure}
        csv={() => layerDistributionCsv(props.aggregates, props.languages)}
      />
    </section>
  );
}
