/**
 * The paper's per-relation intervention bars: the mean relative change of P(object) on the
 * facts' own prompts (related) and on unrelated facts' prompts, per relation and over all of
 * them, one panel per intervention (suppress, enhance) and measured language. Aggregation is
 * aggregateEffects', plain or with the authors' outlier rule.
 */
import {
  type AggregateRow,
  type InterventionEffect,
  type InterventionKind,
  REFERENCE_OUTLIERS,
  aggregateEffects,
} from '../../analysis/interventions';
import { formatCount } from '../format';
import { type FigureContext, TITLE_HEIGHT, TitledFigure } from '../kit/figure';
import { BarPanel, barPanelHeight } from './BarPanel';
import { relationLabel } from './controls';
import { formatChange } from './scales';

export interface EffectBarsFigureProps {
  effects: readonly InterventionEffect[];
  /** The neuron set's name (LabResult.name). */
  name: string;
  mode: 'plain' | 'reference';
  context: FigureContext;
  /** Width of one panel (320); panels of the measured languages sit side by side. */
  panelWidth?: number;
  /** Width of the figure, shared by the panels; else one panelWidth per language. */
  width?: number;
}

export const RELATED_COLOR = '#1d2330';
export const UNRELATED_COLOR = '#9aa3b2';

const KIND_TITLE: Record<InterventionKind, string> = {
  suppress: 'Suppress (×0)',
  enhance: 'Enhance (×2)',
};

/** The rows the bars show: every relation, and '*' (all facts pooled) first. */
export function effectRows(
  effects: readonly InterventionEffect[],
  mode: 'plain' | 'reference',
): AggregateRow[] {
  return [
    ...aggregateEffects(effects, { mode, byRelation: false }),
    ...aggregateEffects(effects, { mode }),
  ];
}

export function EffectBarsFigure({
  effects,
  name,
  mode,
  context,
  panelWidth = 320,
  width: givenWidth,
}: EffectBarsFigureProps) {
  const rows = effectRows(effects, mode);
  const kinds = (['suppress', 'enhance'] as const).filter((k) => rows.some((r) => r.kind === k));
  const languages = [...new Set(rows.map((r) => r.language))];
  // '*' first, then the relations in the effects' order.
  const relations = [...new Set(rows.map((r) => r.relation))];
  const groups = relations.map((r) => (r === '*' ? 'all' : relationLabel(r || null)));
  const width = Math.round(Math.max(560, givenWidth ?? languages.length * panelWidth));
  const w = width / Math.max(1, languages.length);
  const plotHeight = 130;
  const series = (kind: InterventionKind, language: string) => {
    const pick = (relation: string) =>
      rows.find((r) => r.kind === kind && r.language === language && r.relation === relation);
    return [
      {
        label: 'related (own prompts)',
        color: RELATED_COLOR,
        values: relations.map((r) => pick(r)?.related ?? null),
      },
      {
        label: 'unrelated',
        color: UNRELATED_COLOR,
        values: relations.map((r) => pick(r)?.unrelated ?? null),
      },
    ];
  };
  const panelH = barPanelHeight({
    width: w,
    plotHeight,
    groups,
    series: series('suppress', languages[0] ?? ''),
    title: '',
  });
  const facts = new Set(effects.map((e) => e.factId)).size;
  const dropped = rows.filter((r) => r.relation === '*').reduce((s, r) => s + r.dropped, 0);
  const caption = [
    `Mean relative change of P(object), (after − before) / before: per fact over its prompts, then over ${formatCount(facts)} facts. ` +
      'Related: the fact’s own prompts; unrelated: a random other fact’s, under the same intervention.',
    mode === 'reference'
      ? `Reference aggregation: suppression effects above ${REFERENCE_OUTLIERS.suppress} and enhancement effects of ${REFERENCE_OUTLIERS.enhance} or more dropped as outliers (${formatCount(dropped)} dropped).`
      : `Every finite effect counted${dropped ? ` (${formatCount(dropped)} not finite, left out)` : ''}.`,
  ];
  const top = TITLE_HEIGHT + 4;
  const bottom = top + kinds.length * (panelH + 12);
  return (
    <TitledFigure
      width={width}
      bottom={bottom}
      label={`Intervention effects of ${name} per relation`}
      title={`Intervention effects · ${name}`}
      context={context}
      caption={caption}
    >
      {kinds.map((kind, k) =>
        languages.map((language, i) => (
          <BarPanel
            key={`${kind}:${language}`}
            x={i * w}
            y={top + k * (panelH + 12)}
            width={w}
            plotHeight={plotHeight}
            title={`${KIND_TITLE[kind]} · measured on ${language} prompts`}
            groups={groups}
            series={series(kind, language)}
            format={formatChange}
            valueLabels
            axisLabel="Change of P"
          />
        )),
      )}
    </TitledFigure>
  );
}
