/**
 * Language overlap of the shown fact: each language's knowledge neurons, the ones they share
 * (LIKN) and the ones only some languages have, as a Venn diagram (two or three languages) or an
 * UpSet plot. The maps come from the neuron map's results where it has them; the others are
 * attributed here (with an estimate first) and kept for the neuron map too. When every prompt
 * has its map the overlap costs nothing and is computed as soon as it is wanted (by this tab,
 * the lab or the edits, which choose neurons from it).
 */
import { useEffect, useEffectEvent, useMemo } from 'react';
import type { Fact } from '../../facts';
import { LanguageOverlapView } from '../../views/analysis';
import type { OverlapAnswer, OverlapProgress } from '../../worker-api';
import { formatCount, formatSeconds } from '../format';
import type { Job } from '../state';
import { useEstimate } from '../useEstimate';
import { useLongCall } from '../useLongCall';
import { type AnalysisContext, resultKey } from './control';
import { RunShell } from './parts';
import { type HeldMaps, type OverlapControl, type TabBase, backendName } from './types';

const NONE: Job[] = [];

export function useOverlap(
  ctx: AnalysisContext,
  fact: Fact | undefined,
  maps: HeldMaps,
  wanted: boolean,
): OverlapControl {
  const { client, settings, tau } = ctx;
  const call = useLongCall<OverlapAnswer, OverlapProgress>(
    client,
    fact && resultKey(ctx, 'overlap', fact, tau),
  );
  const held = fact ? maps.of(fact) : [];
  // The prompts without a map, as a string: the jobs change only when it does.
  const missing = (fact?.prompts ?? [])
    .flatMap((p, i) => (held.some((r) => r.prompt === p.text && r.object === p.object) ? [] : [i]))
    .join(',');
  const pending = useMemo<Job[]>(
    () =>
      !fact || missing === ''
        ? NONE
        : missing.split(',').map((i) => ({ fact, index: +i, prompt: fact.prompts[+i] })),
    [fact, missing],
  );
  const idle = call.state.phase === 'idle';
  const estimate = useEstimate(client, ctx.info?.key, wanted && idle ? pending : NONE, settings);

  const run = () => {
    if (!client || !fact) return;
    call.start(async (runId, onProgress) => {
      const answer = await client.factOverlap(
        { runId, fact, settings, tau, known: maps.of(fact) },
        onProgress,
      );
      maps.keep(fact, answer.computed);
      return answer;
    });
  };
  // With every map held the overlap is only a selection: no need to ask.
  const auto = wanted && idle && !!fact && pending.length === 0;
  const autoRun = useEffectEvent(run);
  useEffect(() => {
    if (auto) autoRun();
  }, [auto, call.start]);
  return { call, pending, estimate, run };
}

/** The figure's subject: the fact's first prompt and its object. */
export const factSubject = (fact: Fact): string =>
  fact.prompts[0] ? `${fact.prompts[0].text} → ${fact.prompts[0].object}` : fact.id;

export function OverlapTab(props: TabBase & { fact: Fact; control: OverlapControl }) {
  const { info, fact, control } = props;
  const { call, pending, estimate } = control;
  const result = call.state.phase === 'done' ? call.state.result.overlap : null;
  return (
    <div className="analysis-tab" data-testid="overlap-tab">
      <RunShell
        call={call}
        info={info}
        canRun={pending.length > 0}
        action={{ label: 'Compare the languages', testId: 'run-overlap', run: control.run }}
        measure={(p) => ({
          done: p.done,
          total: p.total,
          text: p.current && `Attributing ${p.current.language}: ${p.current.text}`,
        })}
      >
        <p>
          {formatCount(pending.length)} of the fact’s {formatCount(fact.prompts.length)} prompts
          have no map yet ({pending.map((j) => j.prompt.language).join(', ')}): they are attributed
          first.
        </p>
        {estimate.phase === 'ready' && (
          <p className="note" data-testid="analysis-estimate">
            About{' '}
            {formatCount(
              estimate.estimate.total.counts.forwardTokens +
                estimate.estimate.total.counts.backwardTokens,
            )}{' '}
            token-block evaluations in {formatCount(estimate.estimate.total.counts.forward)} forward
            and {formatCount(estimate.estimate.total.counts.backward)} backward block evaluations,{' '}
            <strong>{formatSeconds(estimate.estimate.total.seconds)}</strong> on {backendName(info)}{' '}
            here.
          </p>
        )}
        {estimate.phase === 'error' && (
          <p className="error" role="alert">
            {estimate.error}
          </p>
        )}
      </RunShell>
      {result && (
        <>
          {result.failures.length > 0 && (
            <ul className="error" data-testid="overlap-failures">
              {result.failures.map((f) => (
                <li key={f.language}>
                  {f.language}: {f.message}
                </li>
              ))}
            </ul>
          )}
          <p className="note" data-testid="overlap-maps">
            Maps:{' '}
            {result.prompts
              .map((p) => `${p.language} ${p.reused ? 'from the neuron map' : 'attributed now'}`)
              .join(', ')}
            .
          </p>
          <LanguageOverlapView
            overlap={result.overlap}
            context={{ model: info.label, subject: factSubject(fact) }}
            taus={Object.fromEntries(result.languages.map((l) => [l.language, l.tau]))}
            width={props.chartWidth}
            selected={props.selected}
            onSelectNeuron={props.onSelectNeuron}
            state={props.analysis.overlap}
            onStateChange={(overlap) => props.dispatch({ type: 'analysis', update: { overlap } })}
          />
        </>
      )}
    </div>
  );
}
