/**
 * Degenerate neurons of one prompt of the shown fact: the paper's pair search over its top
 * knowledge neurons and the follow-up work's clusters, as a graph and as the single-vs-joint
 * suppression matrix. The prompt's KN come from its map (the neuron map's, or attributed here).
 */
import { useMemo } from 'react';
import { defaultTau } from '../../analysis/selection';
import type { Fact } from '../../facts';
import { DegenerateView } from '../../views/analysis';
import type {
  AnalysisEstimate,
  AnalysisEstimateRequest,
  DegenerateAnswer,
  DegenerateProgress,
  PromptRef,
} from '../../worker-api';
import { type AnalysisState, DEFAULT_ANALYSIS } from '../analysis-state';
import { type LongCall, useLongCall } from '../useLongCall';
import type { Query } from '../useQuery';
import { type AnalysisContext, markRan, resultKey, useRestorable } from './control';
import { RunShell } from './parts';
import type { HeldMaps, TabBase } from './types';

export type DegenerateCall = LongCall<DegenerateAnswer, DegenerateProgress>;

const PHASES: Record<DegenerateProgress['phase'], string> = {
  attribution: 'Attributing the prompt',
  pairs: 'Suppressing the top knowledge neurons one and two at a time',
  clusters: 'Checking clusters of connected neurons',
};

/** The prompt searched: the first in the chosen language (default: the fact's first). */
export function degeneratePrompt(fact: Fact, language: string | null) {
  const p = fact.prompts.find((x) => x.language === language) ?? fact.prompts[0];
  return { language: p.language, text: p.text, object: p.object };
}

export interface DegenerateControl {
  call: DegenerateCall;
  /** The prompt searched. */
  prompt: PromptRef;
  /** Its map is held: its KN start the search without an attribution. */
  held: boolean;
  estimate: Query<AnalysisEstimate>;
  run(): void;
}

export function useDegenerate(
  ctx: AnalysisContext,
  fact: Fact | undefined,
  maps: HeldMaps,
  wanted: boolean,
): DegenerateControl | undefined {
  const { client, settings, tau, analysis } = ctx;
  const language = analysis.degenerate.language;
  const prompt = useMemo(() => fact && degeneratePrompt(fact, language), [fact, language]);
  const call = useLongCall<DegenerateAnswer, DegenerateProgress>(
    client,
    prompt && resultKey(ctx, 'degenerate', prompt, defaultTau(prompt.language, tau)),
  );
  const known =
    fact && prompt
      ? maps.of(fact).find((r) => r.prompt === prompt.text && r.object === prompt.object)
      : undefined;
  const request = useMemo<Extract<AnalysisEstimateRequest, { kind: 'degenerate' }> | undefined>(
    () => prompt && { kind: 'degenerate', prompt, settings, tau, known },
    [prompt, settings, tau, known],
  );
  const run = () => {
    if (!client || !fact || !request) return;
    markRan(ctx, 'degenerate');
    call.start(async (runId, onProgress) => {
      const answer = await client.degenerate(
        { runId, prompt: request.prompt, settings, tau, known },
        onProgress,
      );
      if (answer.computed) maps.keep(fact, [answer.computed]);
      return answer;
    });
  };
  const estimate = useRestorable(ctx, call, request, wanted, analysis.ran.degenerate, run);
  return request && { call, prompt: request.prompt, held: !!known, estimate, run };
}

export function DegenerateTab(props: TabBase & { fact: Fact; control: DegenerateControl }) {
  const { info, fact, control, analysis, dispatch } = props;
  const { call, prompt, estimate } = control;
  const state = analysis.degenerate;
  const update = (u: Partial<AnalysisState>) => dispatch({ type: 'analysis', update: u });
  const result = call.state.phase === 'done' ? call.state.result.result : null;
  const languages = [...new Set(fact.prompts.map((p) => p.language))];
  return (
    <div className="analysis-tab" data-testid="degenerate-tab">
      <div className="row wrap">
        <label>
          Prompt language
          <select
            value={prompt.language}
            onChange={(e) =>
              update({
                degenerate: { language: e.target.value, view: DEFAULT_ANALYSIS.degenerate.view },
              })
            }
            data-testid="degenerate-language"
          >
            {languages.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <p className="note grow">
          <span className="kn-prompt">{prompt.text}</span> → {prompt.object}
          {control.held ? ' (its map is held: no attribution needed)' : ''}
        </p>
      </div>
      <RunShell
        call={call}
        info={info}
        estimate={estimate}
        unit="suppressed sets at most"
        action={{ label: 'Search degenerate neurons', testId: 'run-degenerate', run: control.run }}
        measure={(p) => ({ done: p.done, total: p.total, text: PHASES[p.phase] })}
      />
      {result && (
        <DegenerateView
          result={result}
          context={{ model: info.label, subject: `${prompt.text} → ${prompt.object}` }}
          selected={props.selected}
          onSelectNeuron={props.onSelectNeuron}
          state={state.view}
          onStateChange={(view) => update({ degenerate: { ...state, view } })}
          width={props.chartWidth}
        />
      )}
    </div>
  );
}
