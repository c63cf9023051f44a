/**
 * The explorer: pick a model, enter facts, run AMIG, see the neuron maps, analyse them (language
 * overlap, degenerate neurons, interventions, weight edits, dataset runs, fact checking), share
 * the view. The state lives in the browser and the address (./useExplorerState), results in
 * IndexedDB (./result-cache, and the worker's store for the analyses), the models and their
 * computations in the engine worker (./useEngine, src/worker-api).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { parseRuntimeRequest } from '../runtime/backend-choice';
import { type BundledModel, availableBundled } from './bundled';
import type { Neuron } from '../analysis/selection';
import type { Fact } from '../facts';
import { type ModelRef, modelLabel, sameModel } from '../weights';
import type { AttributionResult } from '../worker-api';
import { FactsPanel } from './FactsPanel';
import type { PromptState } from './FactList';
import { ModelPanel } from './ModelPanel';
import type { PickedFolder } from './picked-files';
import { ProofPanel } from './ProofPanel';
import { type ResultCache, openResultCache } from './result-cache';
import { ResultsPanel } from './ResultsPanel';
import { RunPanel } from './RunPanel';
import { SharePanel } from './SharePanel';
import { type Job, jobsOf } from './state';
import { StatusBar } from './StatusBar';
import { AnalysisTabs } from './tabs/AnalysisTabs';
import type { HeldMaps } from './tabs/types';
import { DeviceLostBanner } from './DeviceLostBanner';
import { ExampleBanner, useExampleRun } from './ExampleRun';
import { testHooksEnabled } from './test-hooks';
import { useEngine } from './useEngine';
import { runnableJobs, useEstimate } from './useEstimate';
import { useExplorerState } from './useExplorerState';
import { useModelSlot } from './useModelSlot';
import { useRun } from './useRun';
import { useComparison } from './useComparison';

const factCount = (s: { facts: unknown[] }) =>
  `${s.facts.length} fact${s.facts.length === 1 ? '' : 's'}`;

export function App() {
  const request = useMemo(() => parseRuntimeRequest(window.location.search), []);
  const engine = useEngine(
    request,
    useMemo(() => testHooksEnabled(), []),
  );
  const explorer = useExplorerState();
  const { state, dispatch, restored, linkError } = explorer;
  // The state's model (from a link, a reload, the default, a pick) in the engine.
  const slot = useModelSlot(engine.client, state.model, !!state.float32As16);
  const { model, pick: loadPicked } = slot;
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

  const pick = useCallback(
    (ref: ModelRef, folder?: PickedFolder) => {
      dispatch({ type: 'model', model: ref });
      loadPicked(ref, folder);
    },
    [dispatch, loadPicked],
  );

  const status = model.status;
  const info =
    status.phase === 'ready' && sameModel(status.ref, state.model) ? status.info : undefined;
  const jobs = useMemo(() => jobsOf(state.facts), [state.facts]);
  // A model under a weight edit is not the model of its files: nothing of it is cached.
  const edited = !!info?.edits.length;
  const run = useRun(engine.client, info?.key, jobs, state.settings, edited ? undefined : cache);
  const { results, keyOf, keep } = run;
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

  // A prompt the estimate says cannot run is neither counted nor started: the fact list says why.
  const runnable = useMemo(() => runnableJobs(pending, estimate), [pending, estimate]);

  // The same facts on a second model, in a worker of its own (the compare tab).
  const comparison = useComparison(request, state, dispatch, jobs, cache);
  const compare = {
    comparison,
    bundled,
    resultOf,
    firstRunnable: runnable,
    firstRunning: running,
    runFirst: () => run.start(runnable),
    cancelFirst: run.cancel,
  };

  // A first visit runs an example by itself (./first-visit.ts).
  const example = useExampleRun({
    restored,
    openedFrom: explorer.openedFrom,
    state,
    dispatch,
    ready: !!info && estimate.phase === 'ready',
    runnable,
    run,
  });

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

  // The maps the analyses reuse, and where the maps they attribute go.
  const maps = useMemo<HeldMaps>(
    () => ({
      of: (fact) =>
        fact.prompts.flatMap((prompt, index) => {
          const r = resultOf({ fact, index, prompt });
          return r ? [r] : [];
        }),
      keep: (fact: Fact, computed: AttributionResult[]) => {
        for (const r of computed) {
          const index = fact.prompts.findIndex((p) => p.text === r.prompt && p.object === r.object);
          if (index >= 0) keep({ fact, index, prompt: fact.prompts[index] }, r);
        }
      },
    }),
    [resultOf, keep],
  );

  // A neuron clicked in any view opens in the neuron map.
  const [selected, setSelected] = useState<Neuron | null>(null);
  const openNeuron = useCallback(
    (layer: number, unit: number) => {
      setSelected({ layer, unit });
      dispatch({ type: 'analysis', update: { tab: 'map' } });
    },
    [dispatch],
  );

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
        <DeviceLostBanner
          engine={engine}
          whose={state.model ? `the engine of ${modelLabel(state.model)}` : undefined}
        />
        <DeviceLostBanner
          engine={comparison.engine}
          whose={`the second engine, of the compared model${comparison.ref ? ` ${modelLabel(comparison.ref)}` : ''} (Two models tab)`}
          testId="device-lost-compare"
        />
        {linkError && (
          <p className="banner error" role="alert" data-testid="link-error">
            {linkError}
          </p>
        )}
        {explorer.storageProblem && (
          <p className="banner note" role="status" data-testid="storage-problem">
            {explorer.storageProblem}
          </p>
        )}
        {explorer.replaced && (
          <p className="banner note" role="status" data-testid="link-replaced">
            The link replaced your previous work ({factCount(explorer.replaced)}); it is kept in
            this tab.{' '}
            <button type="button" onClick={explorer.goBack} data-testid="go-back">
              Back to it
            </button>{' '}
            <button type="button" onClick={explorer.dismissReplaced}>
              Dismiss
            </button>
          </p>
        )}
        <ExampleBanner example={example} running={running} />
        {engine.state.phase === 'error' && (
          <p className="banner error" role="alert">
            The engine could not start: {engine.state.error}
          </p>
        )}
        {restored && !explorer.persistent && (
          <p className="banner note">
            This browser does not let the page keep its state: the facts and settings last until the
            page closes, or as long as its address is kept.
          </p>
        )}
        {cache && !cache.persistent && (
          <p className="banner note">
            This browser does not let the page keep data: results last until the page closes.
          </p>
        )}
        <div className="workspace">
          {/* The facts, the run and the model in a compact column; the maps and analyses take the
              rest. The facts come first: the demo model loads by itself. */}
          <div className="workspace-side" data-testid="workspace-side">
            <FactsPanel
              facts={state.facts}
              shown={shown?.id}
              stateOf={stateOf}
              dispatch={dispatch}
            />
            <RunPanel
              settings={state.settings}
              info={info}
              facts={state.facts}
              dispatch={dispatch}
              estimate={estimate}
              pending={pending.length}
              runnable={runnable.length}
              run={run.run}
              onRun={() => run.start(runnable)}
              onCancel={run.cancel}
            />
            <ModelPanel
              control={model}
              bundled={bundled}
              selected={state.model}
              starting={!engine.client && engine.state.phase !== 'error'}
              onLoad={pick}
              float32As16={!!state.float32As16}
              onFloat32As16={(on) => dispatch({ type: 'float32As16', on })}
              threads={engine.state.phase === 'starting' ? undefined : engine.state.info?.threads}
            />
            <SharePanel state={state} />
            <details className="panel-details">
              <summary>Engine self-check</summary>
              <ProofPanel state={engine.state} />
            </details>
          </div>
          <div className="workspace-main" data-testid="workspace-main">
            {info && edited && (
              <p className="banner note" role="status" data-testid="edit-banner">
                A weight edit is in force (
                {info.edits.map((e) => `${e.kind} of ${e.label}`).join('; ')}): every result now is
                of the edited model, and none is kept.{' '}
                <button
                  type="button"
                  onClick={() => dispatch({ type: 'analysis', update: { tab: 'edits' } })}
                >
                  Weight edits
                </button>
              </p>
            )}
            <AnalysisTabs
              client={engine.client}
              info={info}
              state={state}
              dispatch={dispatch}
              fact={shown}
              maps={maps}
              selected={selected}
              onSelectNeuron={openNeuron}
              onModelInfo={model.updateInfo}
              compare={compare}
            >
              <ResultsPanel
                client={engine.client}
                info={info}
                fact={shown}
                facts={state.facts}
                settings={state.settings}
                resultOf={resultOf}
                tau={state.tau}
                dispatch={dispatch}
                selected={selected}
                onSelect={setSelected}
                paraphrases={state.analysis.paraphrases}
              />
            </AnalysisTabs>
          </div>
        </div>
      </main>
      <StatusBar state={engine.state} request={request} />
    </div>
  );
}
