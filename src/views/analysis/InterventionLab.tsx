/**
 * The intervention lab: choose a set of neurons, run it (the app calls the worker's lab service),
 * and read the result: P(object) before and after, with the top predictions, in every language
 * side by side; and the mean effect per relation, related vs unrelated prompts, for suppression
 * and enhancement, with the authors' aggregation as a toggle.
 */
import { useId } from 'react';
import type { InterventionEffect, PromptEffect } from '../../analysis/interventions';
import type { LabResult } from '../../analysis/services';
import type { NeuronSetChoice, NeuronSetSources } from '../../analysis/neuron-sets';
import { ExportMenu } from '../ExportMenu';
import { formatCount, formatProbability, neuronLabel } from '../format';
import { RadioGroup } from '../kit/controls';
import { type FigureContext, figureBasename } from '../kit/figure';
import type { Neuron } from '../types';
import { useControllable } from '../useControllable';
import { type TokenLike, TokenText, joinTokens } from '../TokenText';
import { toCsv } from './csv';
import { EffectBarsFigure } from './EffectBars';
import { NeuronSetChooser, choiceProblem } from './NeuronSetChooser';
import { formatChange } from './scales';
import { DEFAULT_INTERVENTION_LAB_STATE, type InterventionLabViewState } from './viewState';

export interface InterventionLabViewProps {
  /** Width of the effect bars' figure (one 320 px panel per language when left out). */
  width?: number;
  /** The current fact's KN per language and degenerate groups. */
  sources: NeuronSetSources;
  layers: number;
  units: number;
  context: FigureContext;
  /** The last run's result (null: none yet). */
  result: LabResult | null;
  /** The fact whose prompts the before/after table shows (default: the result's first). */
  factId?: string;
  /** How a fact id reads (e.g. its subject, where ids are opaque); default: the id. */
  factLabel?: (factId: string) => string;
  /** A run is in progress: the Run button waits. */
  running?: boolean;
  onRun: (choice: NeuronSetChoice) => void;
  selected?: Neuron | null;
  onSelectNeuron?: (layer: number, unit: number) => void;
  state?: InterventionLabViewState;
  onStateChange?: (state: InterventionLabViewState) => void;
  /** Top predictions shown per slot (5). */
  topK?: number;
}

/** Every prompt effect of a lab result: the CSV export. */
export function labCsv(result: LabResult): string {
  const rows = result.effects.flatMap((e) =>
    e.languages.flatMap((l) =>
      (['related', 'unrelated'] as const).flatMap((which) =>
        l[which].map((p) => [
          e.factId,
          e.relation ?? '',
          e.intervention.name,
          e.intervention.kind,
          e.intervention.neurons.map((n) => `${n.layer}:${n.unit}`).join(' '),
          l.language,
          which,
          which === 'related' ? e.factId : (l.unrelatedFactId ?? ''),
          p.text,
          p.object,
          p.before.probability,
          p.after.probability,
          p.relativeChange,
          topTokens(p.before),
          topTokens(p.after),
        ]),
      ),
    ),
  );
  return toCsv(
    [
      'fact',
      'relation',
      'set',
      'intervention',
      'neurons',
      'language',
      'prompts',
      'prompt_fact',
      'prompt',
      'object',
      'p_before',
      'p_after',
      'relative_change',
      'top_before',
      'top_after',
    ],
    rows,
  );
}

/** The top-1 token of each slot, joined: what the model says. */
export const topTokens = (p: PromptEffect['before']) =>
  joinTokens(p.slots.flatMap((s) => (s.top[0] ? [s.top[0]] : [])));

export function InterventionLabView(props: InterventionLabViewProps) {
  const { result, context, topK = 5 } = props;
  const [state, setState] = useControllable(
    props.state,
    props.onStateChange,
    DEFAULT_INTERVENTION_LAB_STATE,
  );
  const factId = props.factId ?? result?.effects[0]?.factId;
  const shown = result?.effects.find(
    (e) => e.factId === factId && e.intervention.kind === state.kind,
  );
  const problem = choiceProblem(state.choice, props.layers, props.units);
  const hintId = useId();
  const kinds = [...new Set(result?.effects.map((e) => e.intervention.kind) ?? [])];
  const facts = new Set(result?.effects.map((e) => e.factId) ?? []).size;
  const figure = (r: LabResult) => (
    <EffectBarsFigure
      effects={r.effects}
      name={r.name}
      mode={state.aggregation}
      context={context}
      width={props.width}
    />
  );
  return (
    <section className="kn-analysis" aria-label="Intervention lab" data-testid="lab-view">
      <div className="kn-analysis-toolbar">
        <NeuronSetChooser
          sources={props.sources}
          layers={props.layers}
          units={props.units}
          value={state.choice}
          onChange={(choice) => setState({ ...state, choice })}
          selected={props.selected}
          onSelectNeuron={props.onSelectNeuron}
        />
        <div className="kn-run">
          <button
            type="button"
            className="primary"
            disabled={!state.choice || !!problem || props.running}
            aria-describedby={hintId}
            onClick={() => state.choice && !problem && props.onRun(state.choice)}
          >
            {props.running ? 'Running…' : 'Run suppress and enhance'}
          </button>
          {(!state.choice || problem) && (
            <span
              id={hintId}
              className={problem ? 'kn-error' : 'kn-muted'}
              data-testid="lab-run-hint"
            >
              {problem ?? 'Choose the neurons to intervene on first.'}
            </span>
          )}
        </div>
      </div>
      {result && (
        <>
          <h3 className="kn-analysis-heading" data-testid="lab-result-title">
            {result.name} · {formatCount(facts)} fact{facts === 1 ? '' : 's'}
            {result.empty.length > 0 &&
              ` · ${formatCount(result.empty.length)} without such neurons (not run)`}
          </h3>
          {result.warnings.length > 0 && (
            <ul className="kn-muted">
              {result.warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          )}
          {kinds.length > 1 && (
            <div className="kn-analysis-toolbar">
              <RadioGroup
                legend="Table"
                value={state.kind}
                options={[
                  ['suppress', 'suppress (×0)'],
                  ['enhance', 'enhance (×2)'],
                ]}
                onChange={(kind) => setState({ ...state, kind })}
              />
            </div>
          )}
          {shown && (
            <BeforeAfter effect={shown} topK={topK} label={props.factLabel ?? ((id) => id)} />
          )}
          <div className="kn-analysis-toolbar">
            <RadioGroup
              legend="Aggregation"
              value={state.aggregation}
              options={[
                ['plain', 'every effect'],
                ['reference', 'reference (authors’ outlier rule)'],
              ]}
              onChange={(aggregation) => setState({ ...state, aggregation })}
            />
          </div>
          <div className="kn-analysis-figure">{figure(result)}</div>
          <ExportMenu
            label="Export the intervention effects"
            basename={figureBasename(context, 'interventions')}
            figure={() => figure(result)}
            csv={() => labCsv(result)}
          />
        </>
      )}
    </section>
  );
}

/** One fact's prompts under one intervention, one column per language. */
function BeforeAfter({
  effect,
  topK,
  label,
}: {
  effect: InterventionEffect;
  topK: number;
  label: (factId: string) => string;
}) {
  const { intervention } = effect;
  return (
    <div data-testid="before-after">
      <p className="kn-muted">
        {intervention.kind === 'suppress' ? 'Suppressing (×0)' : 'Enhancing (×2)'}{' '}
        {formatCount(intervention.neurons.length)} neuron
        {intervention.neurons.length === 1 ? '' : 's'} (
        {intervention.neurons.map(neuronLabel).join(', ')}) of fact{' '}
        <strong>{label(effect.factId)}</strong> at the object position.
      </p>
      <div className="kn-analysis-columns">
        {effect.languages.map((l) => (
          <section
            key={l.language}
            className="kn-lab-language"
            aria-label={`Language ${l.language}`}
          >
            {l.related.map((p, i) => (
              <PromptColumn key={i} language={l.language} effect={p} topK={topK} />
            ))}
            {l.unrelated.map((p, i) => (
              <p key={`u${i}`} className="kn-muted kn-lab-unrelated">
                Unrelated ({l.unrelatedFactId && label(l.unrelatedFactId)}):{' '}
                <span className="kn-prompt">{p.text}</span> → {p.object}:{' '}
                {formatProbability(p.before.probability)} → {formatProbability(p.after.probability)}{' '}
                ({formatChange(p.relativeChange)})
              </p>
            ))}
          </section>
        ))}
      </div>
    </div>
  );
}

/** One prompt's P(object) and top predictions before and after (also the edit view's). */
export function PromptColumn({
  language,
  effect,
  topK,
}: {
  language: string;
  effect: PromptEffect;
  topK: number;
}) {
  const id = useId();
  return (
    <div className="kn-lab-prompt">
      <h4 id={id}>
        <span className="kn-lang">{language}</span> <span className="kn-prompt">{effect.text}</span>
      </h4>
      <p>
        P(<strong>{effect.object}</strong>) {formatProbability(effect.before.probability)} →{' '}
        <strong>{formatProbability(effect.after.probability)}</strong>{' '}
        <span className={effect.relativeChange < 0 ? 'kn-down' : 'kn-up'}>
          ({formatChange(effect.relativeChange)})
        </span>
      </p>
      {effect.before.slots.map((slot, s) => {
        const after = effect.after.slots[s];
        const rows = Math.min(topK, Math.max(slot.top.length, after?.top.length ?? 0));
        return (
          <table key={s} className="kn-table" aria-labelledby={id}>
            {effect.before.slots.length > 1 && (
              <caption>
                token {s + 1} of {effect.before.slots.length}:{' '}
                <TokenText token={{ id: slot.tokenId, token: slot.token, text: slot.text }} />
              </caption>
            )}
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">before</th>
                <th scope="col" className="kn-num">
                  P
                </th>
                <th scope="col">after</th>
                <th scope="col" className="kn-num">
                  P
                </th>
              </tr>
            </thead>
            <tbody>
              {Array.from({ length: rows }, (_, r) => {
                const b = slot.top[r];
                const a = after?.top[r];
                return (
                  <tr key={r}>
                    <td className="kn-num">{r + 1}</td>
                    <TokenCell token={b} isObject={b?.id === slot.tokenId} />
                    <td className="kn-num">{b ? formatProbability(b.probability) : ''}</td>
                    <TokenCell token={a} isObject={a?.id === slot.tokenId} />
                    <td className="kn-num">{a ? formatProbability(a.probability) : ''}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        );
      })}
    </div>
  );
}

function TokenCell({ token, isObject }: { token: TokenLike | undefined; isObject: boolean }) {
  return (
    <td className={isObject ? 'kn-cell-object' : undefined}>
      {token !== undefined && <TokenText token={token} />}
      {isObject && <span className="kn-sr-only"> (object)</span>}
    </td>
  );
}
