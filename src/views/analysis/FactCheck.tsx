/**
 * Fact checking with degenerate neurons: the confusion matrices of the DKN check and of the
 * top-prediction baseline side by side, per-relation F1 bars with and without DKN, and the
 * precision / recall / F1 table. The positive class is stated everywhere: "the statement is
 * true" (the reference code swaps precision and recall; these are the standard ones).
 */
import { interpolateBlues } from 'd3';
import type { CheckMetrics, FactCheckReport, RelationCheck } from '../../analysis/factcheck';
import { ExportMenu } from '../ExportMenu';
import { formatCount } from '../format';
import { NeuronButtons } from '../kit/controls';
import { type FigureContext, TITLE_HEIGHT, TitledFigure, figureBasename } from '../kit/figure';
import { INK, MUTED, TEXT_SIZE } from '../kit/style';
import type { Neuron } from '../types';
import { useControllable } from '../useControllable';
import { BarPanel, barPanelHeight } from './BarPanel';
import { ScopePicker, relationLabel, scopeLabel } from './controls';
import { toCsv } from './csv';
import { formatMetric, textOn } from './scales';
import { DEFAULT_FACT_CHECK_STATE, type FactCheckViewState, type Scope } from './viewState';

export const POSITIVE_CLASS = 'the statement is true';
export const DKN_COLOR = '#0072B2';
export const BASELINE_COLOR = '#E69F00';

/** The metrics a scope shows: the overall sums, or one relation's. */
export function scopedMetrics(
  report: FactCheckReport,
  scope: Scope,
): { withDkn: CheckMetrics | null; baseline: CheckMetrics; relation?: RelationCheck } {
  if (scope === null) return report.overall;
  const relation = report.relations.find((r) => r.relation === scope.relation);
  return relation
    ? { withDkn: relation.withDkn, baseline: relation.baseline, relation }
    : report.overall;
}

const plural = (n: number, word: string) => `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;

/** Statements a method judged (each test fact stated twice); 0: nothing was checked. */
const statementCount = (m: CheckMetrics) =>
  m.confusion.tp + m.confusion.fp + m.confusion.fn + m.confusion.tn;

/** The fewest facts a relation needs for a training fact to be left after the held-out share. */
export function fewestFacts(testShare: number): number {
  let n = 1;
  while (n - Math.ceil(testShare * n) < 1) n++;
  return n;
}

/** Why a relation's result lacks a part (no statement checked, no D_r), with the fix; or null. */
function relationGap(r: RelationCheck, testShare: number): string | null {
  const name = relationLabel(r.relation);
  if (statementCount(r.baseline) === 0)
    return `${name}: none of its ${plural(r.test.length, 'test fact')} could be checked (the facts that could not be used are listed below).`;
  if (r.withDkn) return null;
  const facts = r.train.length + r.test.length;
  if (r.train.length === 0)
    return (
      `${name}: ${plural(facts, 'fact')} with ${formatCount(Math.round(testShare * 100))}% held out (rounded up) leave no training fact, ` +
      `so there are no degenerate neurons D_r to judge with: add facts to the relation (it needs at least ${fewestFacts(testShare)}).`
    );
  return (
    `${name}: the degenerate-pair search over its ${plural(r.train.length, 'training fact')} found no pair, ` +
    'so D_r is empty and nothing is judged with DKN: add facts to the relation.'
  );
}

export interface FactCheckGaps {
  /** No statement of the scope was judged: there is no confusion matrix to draw. */
  empty: boolean;
  /** What is missing and why, with the fix: the totals' reason first, then one per relation. */
  notes: string[];
}

/**
 * What a scope's result lacks, in words: a check with few facts can leave a relation without a
 * training fact (the held-out share rounds up) or without degenerate pairs, and then the totals,
 * which sum only the relations with D_r, are empty. Nothing is drawn for an empty scope.
 */
export function factCheckGaps(report: FactCheckReport, scope: Scope): FactCheckGaps {
  const m = scopedMetrics(report, scope);
  const relations = m.relation ? [m.relation] : report.relations;
  const notes = relations.flatMap((r) => relationGap(r, report.testShare) ?? []);
  const empty = statementCount(m.baseline) === 0;
  if (empty && !m.relation) {
    const judged = report.relations.some((r) => r.withDkn);
    notes.unshift(
      report.relations.length === 0
        ? 'No fact could be checked: the data set has no fact with a prompt and a wrong object in this language.'
        : judged
          ? 'No test statement could be checked, so there is nothing to total.'
          : 'No relation has degenerate neurons D_r, so nothing is judged with DKN, and the totals (over the relations with D_r, both methods on the same statements) are empty. Choose a relation under “Confusion matrices for” to see its baseline.',
    );
  }
  return { empty, notes };
}

const CELL = 64;
/** A confusion matrix's extent with its labels and metrics line. */
const CONFUSION_WIDTH = 260;
const CONFUSION_HEIGHT = 48 + 2 * CELL + 30;

function Confusion({
  x,
  y,
  title,
  metrics,
  emptyNote,
}: {
  x: number;
  y: number;
  title: string;
  metrics: CheckMetrics | null;
  emptyNote: string;
}) {
  const left = x + 98;
  const top = y + 48;
  const c = metrics?.confusion;
  const total = c ? c.tp + c.fp + c.fn + c.tn : 0;
  const cells = c
    ? [
        { r: 0, k: 0, name: 'TP', n: c.tp },
        { r: 0, k: 1, name: 'FN', n: c.fn },
        { r: 1, k: 0, name: 'FP', n: c.fp },
        { r: 1, k: 1, name: 'TN', n: c.tn },
      ]
    : [];
  return (
    <g>
      <text x={x} y={y + 12} fontSize={12} fontWeight={700} fill={INK}>
        {title}
      </text>
      <text x={left + CELL} y={y + 28} textAnchor="middle" fontSize={TEXT_SIZE} fill={MUTED}>
        judged
      </text>
      {['true', 'wrong'].map((label, k) => (
        <text
          key={label}
          x={left + (k + 0.5) * CELL}
          y={top - 4}
          textAnchor="middle"
          fontSize={11}
          fill={INK}
        >
          {label}
        </text>
      ))}
      {['true', 'wrong'].map((label, r) => (
        <text
          key={label}
          x={left - 6}
          y={top + (r + 0.5) * CELL + 4}
          textAnchor="end"
          fontSize={11}
          fill={INK}
        >
          {label} statement
        </text>
      ))}
      {metrics ? (
        cells.map((cell) => {
          const fill = interpolateBlues(0.08 + 0.75 * (total ? cell.n / total : 0));
          return (
            <g key={cell.name}>
              <rect
                x={left + cell.k * CELL}
                y={top + cell.r * CELL}
                width={CELL - 2}
                height={CELL - 2}
                fill={fill}
              />
              <text
                x={left + (cell.k + 0.5) * CELL - 1}
                y={top + (cell.r + 0.5) * CELL - 4}
                textAnchor="middle"
                fontSize={18}
                fontWeight={700}
                fill={textOn(fill)}
              >
                {formatCount(cell.n)}
              </text>
              <text
                x={left + (cell.k + 0.5) * CELL - 1}
                y={top + (cell.r + 0.5) * CELL + 13}
                textAnchor="middle"
                fontSize={TEXT_SIZE}
                fill={textOn(fill)}
              >
                {cell.name}
              </text>
            </g>
          );
        })
      ) : (
        <>
          <rect x={left} y={top} width={2 * CELL - 2} height={2 * CELL - 2} fill="#f3f4f7" />
          <text x={left + CELL} y={top + CELL + 4} textAnchor="middle" fontSize={11} fill={MUTED}>
            {emptyNote}
          </text>
        </>
      )}
      <text x={left - 90} y={top + 2 * CELL + 18} fontSize={11} fill={INK}>
        {metrics
          ? `precision ${formatMetric(metrics.precision)} · recall ${formatMetric(metrics.recall)} · F1 ${formatMetric(metrics.f1)}`
          : ''}
      </text>
    </g>
  );
}

export interface FactCheckFigureProps {
  report: FactCheckReport;
  context: FigureContext;
  scope: Scope;
  width?: number;
}

/** Both confusion matrices of a scope, side by side. */
export function ConfusionFigure({ report, context, scope, width = 560 }: FactCheckFigureProps) {
  const m = scopedMetrics(report, scope);
  const caption = [
    `Positive class: ${POSITIVE_CLASS}. Each test fact is stated twice, with its object and with a wrong one; ` +
      'TP: a true statement judged true, FP: a wrong one judged true; precision is undefined (–) when nothing is judged true.',
    `With DKN: judged true when the mean attribution over the relation’s degenerate neurons D_r is ≥ ${report.threshold.toExponential()}. ` +
      `Baseline: judged true when the object is the model’s top prediction. ${report.language}, seed ${report.seed}, ${formatCount(Math.round(report.testShare * 100))}% of each relation held out.`,
  ];
  const top = TITLE_HEIGHT + 6;
  // Side by side, each in half the width, where both fit; else one under the other.
  const beside = width / 2 + 16 + CONFUSION_WIDTH <= width;
  const second = beside ? { x: 16 + width / 2, y: top } : { x: 16, y: top + CONFUSION_HEIGHT };
  const bottom = second.y + CONFUSION_HEIGHT;
  return (
    <TitledFigure
      width={width}
      bottom={bottom}
      label={`Fact-check confusion matrices, ${scopeLabel(scope)}`}
      title={`Fact checking · ${scopeLabel(scope)}`}
      context={context}
      caption={caption}
    >
      <Confusion
        x={16}
        y={top}
        title="With DKN"
        metrics={m.withDkn}
        emptyNote="no D_r: not judged"
      />
      <Confusion
        x={second.x}
        y={second.y}
        title="Baseline (top prediction)"
        metrics={m.baseline}
        emptyNote=""
      />
    </TitledFigure>
  );
}

/** F1 per relation (and over all), with DKN and baseline. */
export function F1BarsFigure({
  report,
  context,
  width = 560,
}: Omit<FactCheckFigureProps, 'scope'>) {
  const groups = ['all', ...report.relations.map((r) => relationLabel(r.relation))];
  const series = [
    {
      label: 'with DKN',
      color: DKN_COLOR,
      values: [report.overall.withDkn.f1, ...report.relations.map((r) => r.withDkn?.f1 ?? null)],
    },
    {
      label: 'baseline (top prediction)',
      color: BASELINE_COLOR,
      values: [report.overall.baseline.f1, ...report.relations.map((r) => r.baseline.f1)],
    },
  ];
  const plotHeight = 140;
  const panelH = barPanelHeight({ width, plotHeight, groups, series, title: '' });
  const caption = [
    `F1 = 2TP / (2TP + FP + FN), positive class: ${POSITIVE_CLASS}. ` +
      '“all” sums the relations that have degenerate neurons (both methods on the same statements); ' +
      '– : no value (no D_r, or no statement judged true and none true).',
  ];
  const top = TITLE_HEIGHT + 4;
  return (
    <TitledFigure
      width={width}
      bottom={top + panelH}
      label="F1 per relation, with and without DKN"
      title="Fact-check F1 per relation"
      context={context}
      caption={caption}
    >
      <BarPanel
        x={0}
        y={top}
        width={width}
        plotHeight={plotHeight}
        title="F1"
        groups={groups}
        series={series}
        format={formatMetric}
        valueLabels
        domain={[0, 1]}
      />
    </TitledFigure>
  );
}

/** One row per relation and method, with the confusion counts: the CSV export. */
export function factCheckCsv(report: FactCheckReport): string {
  const row = (relation: string, method: string, m: CheckMetrics | null) => [
    relation,
    method,
    POSITIVE_CLASS,
    m?.confusion.tp,
    m?.confusion.fp,
    m?.confusion.fn,
    m?.confusion.tn,
    m?.precision,
    m?.recall,
    m?.f1,
    m?.accuracy,
  ];
  return toCsv(
    [
      'relation',
      'method',
      'positive_class',
      'tp',
      'fp',
      'fn',
      'tn',
      'precision',
      'recall',
      'f1',
      'accuracy',
    ],
    [
      row('*', 'dkn', report.overall.withDkn),
      row('*', 'baseline', report.overall.baseline),
      ...report.relations.flatMap((r) => [
        row(relationLabel(r.relation), 'dkn', r.withDkn),
        row(relationLabel(r.relation), 'baseline', r.baseline),
      ]),
    ],
  );
}

export interface FactCheckViewProps {
  report: FactCheckReport;
  context: FigureContext;
  selected?: Neuron | null;
  onSelectNeuron?: (layer: number, unit: number) => void;
  state?: FactCheckViewState;
  onStateChange?: (state: FactCheckViewState) => void;
  width?: number;
}

export function FactCheckView(props: FactCheckViewProps) {
  const { report, context, width = 560 } = props;
  const [state, setState] = useControllable(
    props.state,
    props.onStateChange,
    DEFAULT_FACT_CHECK_STATE,
  );
  const confusion = () => (
    <ConfusionFigure report={report} context={context} scope={state.scope} width={width} />
  );
  const f1 = () => <F1BarsFigure report={report} context={context} width={width} />;
  const basename = figureBasename(context, 'factcheck');
  const m = scopedMetrics(report, state.scope);
  const gaps = factCheckGaps(report, state.scope);
  // F1 bars need a statement somewhere: a relation's baseline is judged whenever it has one.
  const anyStatement = report.relations.some((r) => statementCount(r.baseline) > 0);
  const totalled = statementCount(report.overall.baseline) > 0;
  const rows: { relation: string; method: string; metrics: CheckMetrics | null }[] = [
    ...(totalled
      ? [
          { relation: 'all', method: 'with DKN', metrics: report.overall.withDkn },
          { relation: 'all', method: 'baseline', metrics: report.overall.baseline },
        ]
      : []),
    ...report.relations.flatMap((r) => [
      { relation: relationLabel(r.relation), method: 'with DKN', metrics: r.withDkn },
      { relation: relationLabel(r.relation), method: 'baseline', metrics: r.baseline },
    ]),
  ];
  return (
    <section className="kn-analysis" aria-label="Fact checking" data-testid="factcheck-view">
      <div className="kn-analysis-toolbar">
        <ScopePicker
          label="Confusion matrices for"
          relations={report.relations.map((r) => ({
            relation: r.relation,
            facts: r.train.length + r.test.length,
          }))}
          value={state.scope}
          onChange={(scope) => setState({ ...state, scope })}
        />
      </div>
      {gaps.notes.length > 0 && (
        <div className="kn-gaps" role="status" data-testid="factcheck-gaps">
          {gaps.notes.map((note, i) => (
            <p key={i}>{note}</p>
          ))}
        </div>
      )}
      {!gaps.empty && (
        <>
          <div className="kn-analysis-figure">{confusion()}</div>
          <ExportMenu
            label="Export the confusion matrices"
            basename={`${basename}-confusion`}
            figure={confusion}
            csv={() => factCheckCsv(report)}
          />
        </>
      )}
      {m.relation && (
        <NeuronButtons
          title={`D_r of ${relationLabel(m.relation.relation)} (count > ${m.relation.dkn.threshold})`}
          neurons={m.relation.dkn.neurons}
          selected={props.selected}
          onSelectNeuron={props.onSelectNeuron}
          testId="relation-dkn"
        />
      )}
      {anyStatement && (
        <>
          <div className="kn-analysis-figure">{f1()}</div>
          <ExportMenu
            label="Export the F1 bars"
            basename={`${basename}-f1`}
            figure={f1}
            csv={() => factCheckCsv(report)}
          />
        </>
      )}
      <table className="kn-table" data-testid="factcheck-table">
        <caption>Precision, recall and F1 · positive class: {POSITIVE_CLASS}</caption>
        <thead>
          <tr>
            <th scope="col">relation</th>
            <th scope="col">method</th>
            {['TP', 'FP', 'FN', 'TN', 'precision', 'recall', 'F1'].map((h) => (
              <th key={h} scope="col" className="kn-num">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              <td>{r.relation}</td>
              <td>{r.method}</td>
              {r.metrics ? (
                <>
                  <td className="kn-num">{r.metrics.confusion.tp}</td>
                  <td className="kn-num">{r.metrics.confusion.fp}</td>
                  <td className="kn-num">{r.metrics.confusion.fn}</td>
                  <td className="kn-num">{r.metrics.confusion.tn}</td>
                  <td className="kn-num">{formatMetric(r.metrics.precision)}</td>
                  <td className="kn-num">{formatMetric(r.metrics.recall)}</td>
                  <td className="kn-num">{formatMetric(r.metrics.f1)}</td>
                </>
              ) : (
                <td colSpan={7} className="kn-muted">
                  no degenerate neurons in the train facts (D_r empty): not judged
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {report.failures.length > 0 && (
        <p className="kn-muted">
          {formatCount(report.failures.length)} fact{report.failures.length === 1 ? '' : 's'} could
          not be used (e.g. {report.failures[0].factId}: {report.failures[0].message}).
        </p>
      )}
    </section>
  );
}
