/**
 * The intervention lab: choose a neuron set (a language's KN, LIKN, a degenerate group, or
 * neurons picked by hand), suppress and enhance it, and read P(object) and the top predictions
 * before and after in every language; over every fact of the data set run, the per-relation
 * effect bars, related vs unrelated prompts. The shown fact's sets come from its overlap and
 * degenerate search; the data set's from its run.
 */
import { useMemo } from 'react';
import type { Fact } from '../../facts';
import { RadioGroup } from '../../views/kit/controls';
import { InterventionLabView } from '../../views/analysis';
import type {
  AnalysisEstimate,
  AnalysisEstimateRequest,
  DatasetAnswer,
  DegenerateResult,
  FactOverlap,
  LabProgress,
  LabResult,
} from '../../worker-api';
import {
  type NeuronSetChoice,
  type NeuronSetSources,
  factSources,
  sourcesFromDataset,
} from '../../analysis/neuron-sets';
import type { AnalysisState } from '../analysis-state';
import type { DatasetFacts } from '../dataset-source';
import { type LongCall, useLongCall } from '../useLongCall';
import type { Query } from '../useQuery';
import { type AnalysisContext, resultKey, useRestorable } from './control';
import { factSubject } from './OverlapTab';
import { factLabel } from '../ResultsPanel';
import { NeedsOverlap, RunShell } from './parts';
import type { OverlapControl, TabBase } from './types';

export type LabCall = LongCall<LabResult, LabProgress>;

/** The facts intervened on, each with its sets, and the sets the chooser shows. */
interface LabPlan {
  facts: Fact[];
  targets: { factId: string; sources: NeuronSetSources }[];
  sources: NeuronSetSources;
  /** The fact the before/after table shows. */
  shown: string;
}

export interface LabControl {
  call: LabCall;
  plan: LabPlan | undefined;
  estimate: Query<AnalysisEstimate>;
  run(choice: NeuronSetChoice): void;
}

export function useLab(
  ctx: AnalysisContext,
  fact: Fact | undefined,
  /** The explorer's facts: unrelated prompts for the shown fact are drawn from them. */
  facts: Fact[],
  overlap: FactOverlap | null,
  degenerate: DegenerateResult | null,
  dataset: { facts: DatasetFacts; run: DatasetAnswer } | undefined,
  wanted: boolean,
): LabControl {
  const { client, settings, tau, analysis, dispatch } = ctx;
  const state = analysis.lab;
  const call = useLongCall<LabResult, LabProgress>(
    client,
    state.target === 'fact'
      ? fact && resultKey(ctx, 'lab', fact, facts, tau)
      : dataset &&
          resultKey(ctx, 'lab-dataset', dataset.facts.key, analysis.dataset.degenerate, tau),
  );
  const plan = useMemo<LabPlan | undefined>(() => {
    if (state.target === 'fact') {
      if (!fact) return undefined;
      const sources = factSources(overlap, degenerate);
      return { facts, targets: [{ factId: fact.id, sources }], sources, shown: fact.id };
    }
    if (!dataset) return undefined;
    const byFact = sourcesFromDataset(dataset.run.records, dataset.run.degenerate);
    const targets = dataset.facts.facts
      .filter((f) => byFact[f.id])
      .map((f) => ({ factId: f.id, sources: byFact[f.id] }));
    const shown = targets.find((t) => t.factId === fact?.id) ?? targets[0];
    if (!shown) return undefined;
    return { facts: dataset.facts.facts, targets, sources: shown.sources, shown: shown.factId };
  }, [state.target, fact, facts, overlap, degenerate, dataset]);

  const choice = state.view.choice;
  const request = useMemo<AnalysisEstimateRequest | undefined>(
    () =>
      plan && choice
        ? { kind: 'lab', facts: plan.facts, choice, targets: plan.targets, settings }
        : undefined,
    [plan, choice, settings],
  );
  const run = (c: NeuronSetChoice) => {
    if (!client || !plan) return;
    dispatch({
      type: 'analysis',
      update: {
        ran: { ...analysis.ran, lab: true },
        lab: { ...state, view: { ...state.view, choice: c } },
      },
    });
    call.start((runId, onProgress) =>
      client.interventionLab(
        { runId, facts: plan.facts, choice: c, targets: plan.targets, settings },
        onProgress,
      ),
    );
  };
  const estimate = useRestorable(ctx, call, request, wanted, analysis.ran.lab, () => {
    if (choice) run(choice);
  });
  return { call, plan, estimate, run };
}

export interface LabTabProps extends TabBase {
  fact: Fact | undefined;
  control: LabControl;
  /** The shown fact's overlap, where its sets of KN come from. */
  overlap: OverlapControl;
  hasDataset: boolean;
}

export function LabTab(props: LabTabProps) {
  const { info, fact, control, analysis, dispatch } = props;
  const { call, plan, estimate } = control;
  const state = analysis.lab;
  const update = (u: Partial<AnalysisState>) => dispatch({ type: 'analysis', update: u });
  const running = call.state.phase === 'running';
  // Facts of the bundled set have opaque ids: name them by their subject.
  const labelOf = (id: string) => {
    const f = plan?.facts.find((x) => x.id === id);
    return f ? factLabel(f) : id;
  };
  const subject =
    state.target === 'fact' ? fact && factSubject(fact) : 'every fact of the data set run';
  return (
    <div className="analysis-tab" data-testid="lab-tab">
      <div className="kn-analysis-toolbar">
        <RadioGroup
          legend="Intervene on"
          value={state.target}
          options={[
            ['fact', 'the shown fact'],
            ['dataset', 'every fact of the data set run'],
          ]}
          onChange={(target) => update({ lab: { ...state, target } })}
        />
      </div>
      {state.target === 'fact' && fact && props.overlap.call.state.phase !== 'done' && (
        <NeedsOverlap overlap={props.overlap} testId="lab-needs-overlap" buttonTestId="lab-find-kn">
          The sets of knowledge neurons come from the fact’s language overlap (and the degenerate
          groups from its degenerate search). Hand-picked neurons need neither.
        </NeedsOverlap>
      )}
      {state.target === 'dataset' && !props.hasDataset && (
        <p className="note" data-testid="lab-needs-dataset">
          Run a data set first (the Dataset runs tab): its facts’ knowledge neurons are the sets
          intervened on, one per fact.
        </p>
      )}
      {plan && subject && (
        <>
          {state.target === 'fact' && plan.facts.length < 2 && (
            <p className="note" data-testid="lab-no-unrelated">
              The fact is the only one of your facts: add another to measure unrelated prompts too.
            </p>
          )}
          {state.target === 'dataset' && (
            <p className="note">
              The chosen kind of set is taken for each of the {plan.targets.length} facts; the sets
              below are {labelOf(plan.shown)}’s.
            </p>
          )}
          <RunShell
            call={call}
            info={info}
            estimate={estimate}
            unit="prompts"
            canRun={!!state.view.choice}
            measure={(p) => ({
              done: p.facts.done + (p.total ? p.done / p.total : 0),
              total: Math.max(1, p.facts.total),
              text: p.factId && `Fact ${p.factId}`,
            })}
          />
          <InterventionLabView
            sources={plan.sources}
            layers={info.config.numLayers}
            units={info.config.intermediateSize}
            context={{ model: info.label, subject }}
            width={props.chartWidth}
            result={call.state.phase === 'done' ? call.state.result : null}
            factId={plan.shown}
            factLabel={labelOf}
            running={running}
            onRun={control.run}
            selected={props.selected}
            onSelectNeuron={props.onSelectNeuron}
            state={state.view}
            onStateChange={(view) => update({ lab: { ...state, view } })}
          />
        </>
      )}
    </div>
  );
}
