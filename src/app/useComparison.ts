/**
 * The second model of a comparison (the compare tab): the same facts run on it as on the first.
 * It lives in an engine worker of its own (one worker holds one model, one set of device
 * buffers), started only while a second model is chosen, so the first model's work, results and
 * runs are never touched. Its maps go to the same result cache under its own model key: a reload
 * shows them without running. Its loads, estimates, runs and Cancel are the first model's hooks
 * (useModelSlot, useEstimate, useRun) on the second worker.
 */
import { useCallback, useMemo } from 'react';
import type { RuntimeRequest } from '../runtime/backend-choice';
import type { AttributionResult, ModelInfo } from '../worker-api';
import { type ModelRef, sameModel } from '../weights';
import type { PickedFolder } from './picked-files';
import type { ResultCache } from './result-cache';
import type { Action, ExplorerState, Job } from './state';
import { type Engine, useEngine } from './useEngine';
import { type EstimateState, runnableJobs, useEstimate } from './useEstimate';
import type { ModelControl } from './useModel';
import { useModelSlot } from './useModelSlot';
import { type RunControl, useRun } from './useRun';

export interface Comparison {
  /** The second model the state names (null: none). */
  ref: ModelRef | null;
  engine: Engine;
  model: ModelControl;
  /** The second model, once loaded. */
  info: ModelInfo | undefined;
  run: RunControl;
  estimate: EstimateState;
  /** Jobs without a map on the second model; those of them that can run. */
  pending: Job[];
  runnable: Job[];
  resultOf(job: Job): AttributionResult | undefined;
  /** Compares with this model from now on, and loads it (a folder's files with it). */
  pick(ref: ModelRef, folder?: PickedFolder): void;
  /** Ends the comparison: the second worker and its model go. */
  clear(): void;
}

export function useComparison(
  request: RuntimeRequest,
  state: ExplorerState,
  dispatch: (a: Action) => void,
  jobs: Job[],
  cache: ResultCache | undefined,
): Comparison {
  const ref = state.analysis.compare.model;
  const engine = useEngine(request, false, !!ref);
  const slot = useModelSlot(engine.client, ref, !!state.float32As16);
  const { model, pick: loadPicked } = slot;

  const pick = useCallback(
    (next: ModelRef, folder?: PickedFolder) => {
      dispatch({ type: 'analysis', update: { compare: { model: next } } });
      loadPicked(next, folder);
    },
    [dispatch, loadPicked],
  );

  const status = model.status;
  const info =
    status.phase === 'ready' && ref && sameModel(status.ref, ref) ? status.info : undefined;
  const run = useRun(engine.client, info?.key, jobs, state.settings, cache);
  const { results, keyOf } = run;
  const resultOf = useCallback(
    (job: Job) => {
      const key = keyOf(job);
      return key === undefined ? undefined : results.get(key);
    },
    [keyOf, results],
  );
  const pending = useMemo(() => jobs.filter((j) => !resultOf(j)), [jobs, resultOf]);
  const running = run.run.phase === 'running';
  const none = useMemo<Job[]>(() => [], []);
  const estimate = useEstimate(engine.client, info?.key, running ? none : pending, state.settings);
  const runnable = useMemo(() => runnableJobs(pending, estimate), [pending, estimate]);

  const clear = useCallback(() => {
    run.cancel();
    dispatch({ type: 'analysis', update: { compare: { model: null } } });
  }, [run, dispatch]);

  return {
    ref,
    engine,
    model,
    info,
    run,
    estimate,
    pending,
    runnable,
    resultOf,
    pick,
    clear,
  };
}
