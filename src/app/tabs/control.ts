/**
 * What the analyses' controllers share: the app's context (possibly without a model yet), the
 * key their results are kept under, and `useRestorable`, the estimate-then-run pattern with a
 * restore: an analysis the state says was run answers again by itself when the worker holds
 * its whole answer (a reload, a link opened in the same browser).
 */
import { useEffect, useEffectEvent } from 'react';
import type { AttributionSettings } from '../../attribution/settings';
import type {
  AnalysisEstimate,
  AnalysisEstimateRequest,
  EngineClient,
  ModelInfo,
} from '../../worker-api';
import type { AnalysisState } from '../analysis-state';
import type { Action } from '../state';
import { useAnalysisEstimate } from '../useAnalysisEstimate';
import type { LongCall } from '../useLongCall';
import type { Query } from '../useQuery';

export interface AnalysisContext {
  client: EngineClient | undefined;
  info: ModelInfo | undefined;
  settings: AttributionSettings;
  tau: Record<string, number>;
  analysis: AnalysisState;
  dispatch: (a: Action) => void;
}

/**
 * The key of a result: the model as it is (its key names weight edits), the settings, and what
 * else the result depends on; undefined without a model.
 */
export const resultKey = (ctx: AnalysisContext, ...parts: unknown[]): string | undefined =>
  ctx.info ? JSON.stringify([ctx.info.key, ctx.settings, ...parts]) : undefined;

/** Marks an analysis as run in the state (so a link or a reload asks for it again). */
export function markRan(ctx: AnalysisContext, which: keyof AnalysisState['ran']): void {
  if (!ctx.analysis.ran[which])
    ctx.dispatch({ type: 'analysis', update: { ran: { ...ctx.analysis.ran, [which]: true } } });
}

/**
 * The estimate of `request` for the loaded model while the analysis is `wanted` (its tab is open)
 * and has no answer, and the restore: when `ran` and the estimate says the worker holds the whole answer, `run`.
 */
export function useRestorable<R, P>(
  ctx: AnalysisContext,
  call: LongCall<R, P>,
  request: AnalysisEstimateRequest | undefined,
  wanted: boolean,
  ran: boolean,
  run: () => void,
): Query<AnalysisEstimate> {
  const { phase } = call.state;
  // Asked only once the model is loaded (the worker answers NoModelError before), and again
  // for another model: a tab opened from a link asks while the model is still loading.
  const key = ctx.info?.key;
  const estimate = useAnalysisEstimate(
    ctx.client,
    key !== undefined && wanted && phase !== 'running' && phase !== 'done' ? request : undefined,
    `${phase} ${key}`,
  );
  const restore =
    wanted && ran && phase === 'idle' && estimate.phase === 'ready' && estimate.value.complete;
  const autoRun = useEffectEvent(run);
  useEffect(() => {
    if (restore) autoRun();
  }, [restore]);
  return estimate;
}
