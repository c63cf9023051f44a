/**
 * The second model of a comparison (the compare tab): the same facts run on it as on the first.
 * It lives in an engine worker of its own (one worker holds one model, one set of device
 * buffers), started only while a second model is chosen, so the first model's work, results and
 * runs are never touched. Its maps go to the same result cache under its own model key: a reload
 * shows them without running. Its loads, estimates, runs and Cancel are the first model's hooks
 * (useModel, useEstimate, useRun) on the second worker.
 */
import { useCallback, useEffect, useMemo, useRef } from 'react';
import type { RuntimeRequest } from '../runtime/backend-choice';
import type { AttributionResult, EngineClient, ModelInfo } from '../worker-api';
import { type ModelRef, sameModel } from '../weights';
import type { PickedFolder } from './picked-files';
import type { ResultCache } from './result-cache';
import type { Action, ExplorerState, Job } from './state';
import { type Engine, useEngine } from './useEngine';
import { type EstimateState, runnableJobs, useEstimate } from './useEstimate';
import { type ModelControl, useModel } from './useModel';
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
  const model = useModel(engine.client, !!state.float32As16);
  const { restore, load } = model;

  // A model picked while the second engine starts: loaded (with its folder) once it runs, as
  // picked, without asking again for a download.
  const requested = useRef<{ model: ModelRef; client: EngineClient } | undefined>(undefined);
  const picked = useRef<{ ref: ModelRef; folder?: PickedFolder } | undefined>(undefined);
  useEffect(() => {
    const held = picked.current;
    const client = engine.client;
    if (!held || !client) return;
    picked.current = undefined;
    if (!ref || !sameModel(held.ref, ref)) return;
    requested.current = { model: held.ref, client };
    load(held.ref, held.folder);
  }, [engine.client, ref, load]);

  // Like the first model: loaded once per change of model and once per engine; a Hub model not
  // yet downloaded and a folder not picked in this page wait for the user.
  useEffect(() => {
    const client = engine.client;
    if (!client || !ref || model.cached === undefined) return;
    const last = requested.current;
    if (last && last.client === client && sameModel(last.model, ref)) return;
    requested.current = { model: ref, client };
    restore(ref);
  }, [engine.client, ref, model.cached, restore]);

  // The 16-bit setting changed: the second model loads again with it, as the first does.
  const precision = useRef(!!state.float32As16);
  useEffect(() => {
    if (precision.current === !!state.float32As16) return;
    precision.current = !!state.float32As16;
    const s = model.status;
    if ((s.phase === 'ready' || s.phase === 'error') && s.ref.kind !== 'files') load(s.ref);
  }, [state.float32As16, model.status, load]);

  const pick = useCallback(
    (next: ModelRef, folder?: PickedFolder) => {
      dispatch({ type: 'analysis', update: { compare: { model: next } } });
      if (engine.client) {
        requested.current = { model: next, client: engine.client };
        load(next, folder);
      } else picked.current = { ref: next, folder };
    },
    [dispatch, engine.client, load],
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
