/**
 * A weight edit's effect (src/analysis/edits.ts): which value vectors were erased or moved, and
 * every prompt of the fact before and after, in every language side by side: P(object) with the
 * top predictions, and for an update P(new object) too. The figure is the probabilities as bars,
 * one group per language; it and a CSV of every prediction are the exports.
 */
import type { Prediction } from '../../attribution/predict';
import type { EditReport, EditedPrompt } from '../../analysis/edits';
import type { PromptEffect } from '../../analysis/interventions';
import { ExportMenu } from '../ExportMenu';
import { formatCount, formatProbability, neuronLabel } from '../format';
import { NeuronButtons } from '../kit/controls';
import { type FigureContext, TITLE_HEIGHT, TitledFigure, figureBasename } from '../kit/figure';
import type { Neuron } from '../types';
import { BarPanel, barPanelHeight } from './BarPanel';
import { toCsv } from './csv';
import { PromptColumn, topTokens } from './InterventionLab';
import { seriesColor } from './scales';

/** What the edit did, in one sentence. */
export function editSummary(report: EditReport): string {
  const n = report.neurons.length;
  const what = `${formatCount(n)} neuron${n === 1 ? '' : 's'}`;
  if (report.kind === 'erase') return `Erased the value vectors of ${what} (set to zero).`;
  return (
    `Moved the value vectors of ${what} by λ = ${report.lambda} × (embedding of ` +
    `${(report.toTokens ?? []).join(' ')} − embedding of ${(report.fromTokens ?? []).join(' ')}), ` +
    `the objects’ tokens in ${report.language}.`
  );
}

/** A prompt's prediction of `object` before and after, as the lab's columns show it. */
const effect = (
  p: EditedPrompt,
  object: string,
  before: Prediction,
  after: Prediction,
): PromptEffect => ({
  language: p.language,
  text: p.text,
  object,
  before,
  after,
  relativeChange:
    before.probability > 0 ? (after.probability - before.probability) / before.probability : NaN,
});

export interface WeightEditFigureProps {
  report: EditReport;
  context: FigureContext;
  width?: number;
}

export function WeightEditFigure({ report, context, width = 560 }: WeightEditFigureProps) {
  const groups = report.prompts.map((p) => `${p.language}: ${p.object}`);
  const series = [
    {
      label: 'P(object) before',
      color: '#9aa3b2',
      values: report.prompts.map((p) => p.before.probability),
    },
    {
      label: 'P(object) after',
      color: seriesColor(0),
      values: report.prompts.map((p) => p.after.probability),
    },
  ];
  if (report.kind === 'update')
    series.push(
      {
        label: 'P(new object) before',
        color: '#f3c98b',
        values: report.prompts.map((p) => p.newBefore?.probability ?? NaN),
      },
      {
        label: 'P(new object) after',
        color: seriesColor(1),
        values: report.prompts.map((p) => p.newAfter?.probability ?? NaN),
      },
    );
  const bars = series.map((s) => ({
    ...s,
    values: s.values.map((v) => (Number.isFinite(v) ? v : null)),
  }));
  const plotHeight = 160;
  const panel = { width, plotHeight, groups, series: bars, title: '', groupAxisLabel: 'Prompt' };
  const top = TITLE_HEIGHT + 4;
  const bottom = top + barPanelHeight(panel) + 8;
  const caption = [
    editSummary(report),
    `Neurons: ${report.neurons.map(neuronLabel).join(', ')}. ` +
      'Each prompt of the fact, predicted with the unedited and the edited weights.',
  ];
  return (
    <TitledFigure
      width={width}
      bottom={bottom}
      label={`Weight edit (${report.kind}) of fact ${report.factId}`}
      title={`Weight edit · ${report.kind} · ${formatCount(report.neurons.length)} neurons`}
      context={context}
      caption={caption}
    >
      <BarPanel
        x={0}
        y={top}
        {...panel}
        title="Probabilities before and after the edit"
        format={formatProbability}
        valueLabels
        axisLabel="P"
        domain={[0, 1]}
      />
    </TitledFigure>
  );
}

/** Every prediction of the report, before and after: the CSV export. */
export function weightEditCsv(report: EditReport): string {
  const rows = report.prompts.flatMap((p) => {
    const out: (string | number)[][] = [
      [
        report.factId,
        report.kind,
        report.neurons.map((n) => `${n.layer}:${n.unit}`).join(' '),
        p.language,
        p.text,
        'object',
        p.object,
        p.before.probability,
        p.after.probability,
        topTokens(p.before),
        topTokens(p.after),
      ],
    ];
    if (p.newObject !== undefined && p.newBefore && p.newAfter)
      out.push([
        report.factId,
        report.kind,
        report.neurons.map((n) => `${n.layer}:${n.unit}`).join(' '),
        p.language,
        p.text,
        'new object',
        p.newObject,
        p.newBefore.probability,
        p.newAfter.probability,
        topTokens(p.newBefore),
        topTokens(p.newAfter),
      ]);
    return out;
  });
  return toCsv(
    [
      'fact',
      'edit',
      'neurons',
      'language',
      'prompt',
      'target',
      'token',
      'p_before',
      'p_after',
      'top_before',
      'top_after',
    ],
    rows,
  );
}

export interface WeightEditViewProps {
  report: EditReport;
  context: FigureContext;
  selected?: Neuron | null;
  onSelectNeuron?: (layer: number, unit: number) => void;
  /** Top predictions shown per slot (5). */
  topK?: number;
  width?: number;
}

export function WeightEditView({
  report,
  context,
  selected,
  onSelectNeuron,
  topK = 5,
  width = 560,
}: WeightEditViewProps) {
  const figure = () => <WeightEditFigure report={report} context={context} width={width} />;
  return (
    <section className="kn-analysis" aria-label="Weight edit" data-testid="edit-view">
      <p>{editSummary(report)}</p>
      <NeuronButtons
        title="Edited"
        neurons={report.neurons}
        selected={selected}
        onSelectNeuron={onSelectNeuron}
        testId="edited-neurons"
      />
      {report.warnings.length > 0 && (
        <ul className="kn-muted">
          {report.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      <div className="kn-analysis-columns" data-testid="edit-before-after">
        {report.prompts.map((p, i) => (
          <section key={i} className="kn-lab-language" aria-label={`Language ${p.language}`}>
            <PromptColumn
              language={p.language}
              effect={effect(p, p.object, p.before, p.after)}
              topK={topK}
            />
            {p.newObject !== undefined && p.newBefore && p.newAfter && (
              <PromptColumn
                language={p.language}
                effect={effect(p, p.newObject, p.newBefore, p.newAfter)}
                topK={topK}
              />
            )}
          </section>
        ))}
      </div>
      <div className="kn-analysis-figure">{figure()}</div>
      <ExportMenu
        label="Export the weight edit"
        basename={figureBasename(context, 'edit')}
        figure={figure}
        csv={() => weightEditCsv(report)}
      />
    </section>
  );
}
