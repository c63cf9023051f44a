/**
 * Fact checking with degenerate knowledge neurons, on the data set's facts (those with a wrong
 * object in the chosen language): per relation, D_r from the training facts' degenerate pairs,
 * then each test fact stated with its object and a wrong one; the confusion matrices and the F1
 * per relation with DKN and with the top-prediction baseline. Its work is stored like a dataset
 * run's, so it resumes.
 */
import { useMemo } from 'react';
import { promptRate } from '../../analysis/dataset';
import { FactCheckView } from '../../views/analysis';
import { relationLabel } from '../../views/analysis/controls';
import type {
  AnalysisEstimate,
  AnalysisEstimateRequest,
  FactCheckAnswer,
  FactCheckProgress,
} from '../../worker-api';
import type { AnalysisState } from '../analysis-state';
import type { DatasetFacts } from '../dataset-source';
import { formatCount } from '../format';
import { type LongCall, useLongCall } from '../useLongCall';
import type { Query } from '../useQuery';
import { type AnalysisContext, markRan, resultKey, useRestorable } from './control';
import { RunShell } from './parts';
import type { TabBase } from './types';

export type FactCheckCall = LongCall<FactCheckAnswer, FactCheckProgress>;

const PHASES = {
  train: 'degenerate pairs of the training facts',
  test: 'the test facts’ statements',
} as const;

export interface FactCheckControl {
  call: FactCheckCall;
  /** The language checked, and the relations that can be (with their facts). */
  language: string;
  relations: { relation: string | null; facts: number }[];
  /** The relation checked; null: all. */
  relation: string | null;
  estimate: Query<AnalysisEstimate>;
  run(): void;
}

export function useFactCheck(
  ctx: AnalysisContext,
  data: DatasetFacts | undefined,
  wanted: boolean,
): FactCheckControl {
  const { client, settings, tau, analysis } = ctx;
  const state = analysis.factcheck;
  const languages = data?.languages ?? [];
  const language =
    state.language && languages.includes(state.language) ? state.language : (languages[0] ?? 'en');
  // Relations with facts that can be checked in the language: a prompt and a wrong object.
  const relations = useMemo(() => {
    const counts = new Map<string | null, number>();
    for (const f of data?.facts ?? [])
      if (f.prompts.some((p) => p.language === language) && f.wrongObjects?.[language]?.length)
        counts.set(f.relation ?? null, (counts.get(f.relation ?? null) ?? 0) + 1);
    return [...counts].map(([relation, facts]) => ({ relation, facts }));
  }, [data, language]);
  const relation = relations.some((r) => r.relation === state.relation) ? state.relation : null;
  const call = useLongCall<FactCheckAnswer, FactCheckProgress>(
    client,
    data && resultKey(ctx, 'factcheck', data.key, language, relation, tau),
  );
  const request = useMemo<Extract<AnalysisEstimateRequest, { kind: 'factcheck' }> | undefined>(
    () =>
      data && relations.length
        ? {
            kind: 'factcheck',
            facts: data.facts,
            relations: relation === null ? undefined : [relation],
            language,
            settings,
            tau,
          }
        : undefined,
    [relations, data, relation, language, settings, tau],
  );
  const run = () => {
    if (!client || !request) return;
    markRan(ctx, 'factcheck');
    call.start((runId, onProgress) => client.factCheck({ ...request, runId }, onProgress));
  };
  const estimate = useRestorable(ctx, call, request, wanted, analysis.ran.factcheck, run);
  return { call, language, relations, relation, estimate, run };
}

export function FactCheckTab(props: TabBase & { data: DatasetFacts; control: FactCheckControl }) {
  const { info, data, control, analysis, dispatch } = props;
  const { call, language, relations, relation, estimate } = control;
  const state = analysis.factcheck;
  const update = (u: Partial<AnalysisState>) => dispatch({ type: 'analysis', update: u });
  const running = call.state.phase === 'running';

  const report = call.state.phase === 'done' ? call.state.result : null;
  return (
    <div className="analysis-tab" data-testid="factcheck-tab">
      <p>
        <strong>Data set:</strong> {data.label} (the Dataset runs tab chooses it).
      </p>
      <div className="row wrap">
        <label>
          Language
          <select
            value={language}
            disabled={running}
            onChange={(e) => update({ factcheck: { ...state, language: e.target.value } })}
            data-testid="factcheck-language"
          >
            {data.languages.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          Relation
          <select
            value={relation === null ? -1 : relations.findIndex((r) => r.relation === relation)}
            disabled={running}
            onChange={(e) => {
              const i = Number(e.target.value);
              update({ factcheck: { ...state, relation: i < 0 ? null : relations[i].relation } });
            }}
            data-testid="factcheck-relation"
          >
            <option value={-1}>All relations</option>
            {relations.map((r, i) => (
              <option key={i} value={i}>
                {relationLabel(r.relation)} ({formatCount(r.facts)} facts)
              </option>
            ))}
          </select>
        </label>
      </div>
      {relations.length === 0 && (
        <p className="note">
          None of the data set’s facts has a wrong object in {language}: checking needs one per fact
          (the bundled fact set has them).
        </p>
      )}
      <RunShell
        call={call}
        info={info}
        estimate={estimate}
        unit="training items (the test statements come on top)"
        canRun={relations.length > 0}
        action={{ label: 'Check the facts', testId: 'run-factcheck', run: control.run }}
        cancelledNote="What finished is stored: checking again resumes from it."
        measure={(p) => ({
          done: p.done,
          total: p.total,
          text: `${PHASES[p.phase]}: ${formatCount(p.done)} of ${formatCount(p.total)}${
            p.reused ? ` (${formatCount(p.reused)} stored)` : ''
          }${promptRate(p) ? ` · ${promptRate(p)}` : ''}`,
        })}
      />
      {report && (
        <>
          {report.failures.length > 0 && (
            <p className="note">
              {formatCount(report.failures.length)} fact(s) could not be used:{' '}
              {report.failures.map((f) => `${f.factId} (${f.message})`).join('; ')}
            </p>
          )}
          <FactCheckView
            report={report}
            context={{ model: info.label, subject: data.label }}
            selected={props.selected}
            onSelectNeuron={props.onSelectNeuron}
            state={state.view}
            onStateChange={(view) => update({ factcheck: { ...state, view } })}
            width={props.chartWidth}
          />
        </>
      )}
    </div>
  );
}
