/**
 * The explorer: pick a model, enter facts, run AMIG, see the neuron maps, share the view. The
 * state lives in the address (./useExplorerState), results in IndexedDB (./result-cache), the
 * models and their computations in the engine worker (./useEngine, src/worker-api).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { parseRuntimeRequest } from '../runtime/backend-choice';
import { type BundledModel, availableBundled } from './bundled';
import type { Fact } from '../facts';
import { FactsPanel } from './FactsPanel';
import type { PromptState } from './FactList';
import { ModelPanel } from './ModelPanel';
import type { PickedFolder } from './picked-files';
import { ProofPanel } from './ProofPanel';
import { type ResultCache, openResultCache } from './result-cache';
import { ResultsPanel } from './ResultsPanel';
import { RunPanel } from './RunPanel';
import { SharePanel } from './SharePanel';
import { type Job, type ModelRef, jobsOf, sameModel } from './state';
import { StatusBar } from './StatusBar';
import { useEngine } from './useEngine';
import { useEstimate } from './useEstimate';
import { useExplorerState } from './useExplorerState';
import { useModel } from './useModel';
import { useRun } from './useRun';

export function App() {
  const request = useMemo(() => parseRuntimeRequest(window.location.search), []);
  const engine = useEngine(request);
  const { state, dispatch, restored, linkError } = useExplorerState();
  const model = useModel(engine.client);
  const [bundled, setBundled] = useState<BundledModel[]>();
  const [cache, setCache] = useState<ResultCache>();

  useEffect(() => {
    void availableBundled().then(setBundled);
    void openResultCache().then(setCache);
  }, []);

  // A new user starts on the first demo model.
  useEffect(() => {
    if (restored && !state.model && bundled?.[0])
      dispatch({ type: 'model', model: { kind: 'bundled', name: bundled[0].name } });
  }, [restored, state.model, bundled, dispatch]);

  // The state's model (from a link, a reload, the default) loads once per change of model;
  // a Hub model not yet downloaded and a local folder wait for the user.
  const requested = useRef<ModelRef | undefined>(undefined);
  const { restore, load } = model;
  useEffect(() => {
    if (!engine.client || !state.model || model.cached === undefined) return;
    if (sameModel(requested.current, state.model)) return;
    requested.current = state.model;
    restore(state.model);
  }, [engine.client, state.model, model.cached, restore]);

  const pick = useCallback(
    (ref: ModelRef, folder?: PickedFolder) => {
      requested.current = ref;
      dispatch({ type: 'model', model: ref });
      load(ref, folder);
    },
    [dispatch, load],
  );

  const status = model.status;
  const info =
    status.phase === 'ready' && sameModel(status.ref, state.model) ? status.info : undefined;
  const jobs = useMemo(() => jobsOf(state.facts), [state.facts]);
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
  // Estimating waits behind a running attribution in the worker: not while one runs.
  const running = run.run.phase === 'running';
  const noJobs = useMemo<Job[]>(() => [], []);
  const estimate = useEstimate(
    engine.client,
    info?.key,
    running ? noJobs : pending,
    state.settings,
  );

  const stateOf = useCallback(
    (fact: Fact, index: number): PromptState => {
      const job = { fact, index, prompt: fact.prompts[index] };
      if (resultOf(job)) return { kind: 'ready' };
      const key = keyOf(job);
      const item = run.run.items.find((i) => i.key === key);
      if (item?.status.state === 'running')
        return {
          kind: 'running',
          percent: Math.floor((100 * item.status.done) / item.status.total),
        };
      if (item?.status.state === 'error') return { kind: 'error', message: item.status.error };
      if (estimate.phase === 'ready') {
        const at = estimate.jobs.findIndex((j) => j.fact.id === fact.id && j.index === index);
        const e = estimate.estimate.items[at];
        if (e && !e.ok) return { kind: 'error', message: e.error };
      }
      return { kind: 'pending' };
    },
    [resultOf, keyOf, run.run.items, estimate],
  );

  const shown = state.facts.find((f) => f.id === state.view.factId) ?? state.facts[0];

  return (
    <div className="app">
      <header className="app-header">
        <h1>Knowledge Neuron Explorer</h1>
        <p className="tagline">
          Where do multilingual language models store facts? Find the feed-forward neurons behind a
          fact with AMIG, in your browser.
        </p>
      </header>
      <main className="app-main">
        {engine.deviceLost && (
          <p className="banner error" role="alert" data-testid="device-lost">
            {engine.deviceLost}
          </p>
        )}
        {linkError && (
          <p className="banner error" role="alert" data-testid="link-error">
            {linkError}
          </p>
        )}
        {engine.state.phase === 'error' && (
          <p className="banner error" role="alert">
            The engine could not start: {engine.state.error}
          </p>
        )}
        {cache && !cache.persistent && (
          <p className="banner note">
            This browser does not let the page keep data: results last until the page closes.
          </p>
        )}
        <ModelPanel
          control={model}
          bundled={bundled}
          selected={state.model}
          starting={!engine.client && engine.state.phase !== 'error'}
          onLoad={pick}
        />
        <FactsPanel facts={state.facts} shown={shown?.id} stateOf={stateOf} dispatch={dispatch} />
        <RunPanel
          settings={state.settings}
          info={info}
          facts={state.facts}
          dispatch={dispatch}
          estimate={estimate}
          pending={pending.length}
          run={run.run}
          onRun={() => run.start(pending)}
          onCancel={run.cancel}
        />
        <ResultsPanel
          client={engine.client}
          info={info}
          fact={shown}
          facts={state.facts}
          settings={state.settings}
          resultOf={resultOf}
          tau={state.tau}
          dispatch={dispatch}
        />
        <SharePanel state={state} />
        <details className="panel-details">
          <summary>Engine self-check</summary>
          <ProofPanel state={engine.state} />
        </details>
      </main>
      <StatusBar state={engine.state} request={request} />
    </div>
  );
}
