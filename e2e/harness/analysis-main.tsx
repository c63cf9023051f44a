/**
 * Test-only page that mounts the analysis views (src/views/analysis) with data the test process
 * computed on planted models (e2e/analysis-fixture.ts) and handed over as
 * `window.__KNE_ANALYSIS__` before the page loaded. `?case=` picks the view. Selections and
 * view-state changes are echoed into <output> elements for the test to read.
 */
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import '../../src/app/styles.css';
import '../../src/views/views.css';
import '../../src/views/analysis/analysis.css';
import type { Neuron } from '../../src/views';
import {
  DEFAULT_INTERVENTION_LAB_STATE,
  DEFAULT_SELECTION_FREQUENCY_STATE,
  DegenerateView,
  FactCheckView,
  InterventionLabView,
  LanguageOverlapView,
  LayerDistributionView,
  SelectionFrequencyView,
  type InterventionLabViewState,
} from '../../src/views/analysis';
import type { AnalysisFixture } from '../analysis-fixture';
import { HOSTILE } from './analysis-hostile';
import { fromWire } from './analysis-wire';

declare global {
  interface Window {
    __KNE_ANALYSIS__?: string;
    __idbStep?: (step: string) => Promise<unknown>;
  }
}

const data = fromWire<AnalysisFixture>(window.__KNE_ANALYSIS__ ?? 'null')!;
const france = 'The capital of France is [MASK] . → Paris';

/** Echoes what the views report, for the test. */
function useEcho() {
  const [selected, setSelected] = useState<Neuron | null>(null);
  const [state, setState] = useState<unknown>(null);
  const echo = (
    <>
      <output data-testid="selected">{selected ? `${selected.layer}:${selected.unit}` : ''}</output>
      <output data-testid="view-state">{state === null ? '' : JSON.stringify(state)}</output>
    </>
  );
  return {
    echo,
    selected,
    onSelectNeuron: (layer: number, unit: number) => setSelected({ layer, unit }),
    onStateChange: setState,
  };
}

function Overlap({ which }: { which: 'overlap' | 'overlap3' | 'overlap5' }) {
  const e = useEcho();
  const overlap = which === 'overlap' ? data.overlap.overlap : data[which];
  const taus =
    which === 'overlap'
      ? Object.fromEntries(data.overlap.languages.map((l) => [l.language, l.tau]))
      : undefined;
  return (
    <section className="panel">
      <LanguageOverlapView
        overlap={overlap}
        context={{ model: data.model, subject: which === 'overlap' ? france : 'hand-made sets' }}
        taus={taus}
        selected={e.selected}
        onSelectNeuron={e.onSelectNeuron}
        onStateChange={e.onStateChange}
      />
      {e.echo}
    </section>
  );
}

function Distribution() {
  const e = useEcho();
  return (
    <section className="panel">
      <LayerDistributionView
        aggregates={data.dataset.aggregates}
        languages={data.dataset.languages}
        context={{ model: data.model, subject: dataset }}
        degenerateSearched
        onStateChange={e.onStateChange}
      />
      {e.echo}
    </section>
  );
}

const dataset = `planted facts (${data?.facts.length})`;

function Lab() {
  const e = useEcho();
  const [result, setResult] = useState(data.lab);
  const [runs, setRuns] = useState<string[]>([]);
  // The view state as a link would restore it: the set the fixture's result was run with.
  const [state, setState] = useState<InterventionLabViewState>({
    ...DEFAULT_INTERVENTION_LAB_STATE,
    choice: data.lab.choice,
  });
  return (
    <section className="panel">
      <InterventionLabView
        sources={data.labSources}
        layers={data.layers}
        units={data.units}
        context={{ model: data.model, subject: france }}
        result={result}
        onRun={(choice) => {
          setRuns((r) => [...r, JSON.stringify(choice)]);
          // The harness has no worker: "running" over every fact shows the relation-wide result.
          setResult(data.labAll);
        }}
        selected={e.selected}
        onSelectNeuron={e.onSelectNeuron}
        state={state}
        onStateChange={(s) => {
          setState(s);
          e.onStateChange(s);
        }}
      />
      <output data-testid="runs">{runs.join('\n')}</output>
      {e.echo}
    </section>
  );
}

function Degenerate() {
  const e = useEcho();
  return (
    <section className="panel">
      <DegenerateView
        result={data.degenerate}
        context={{ model: data.model, subject: 'The color of sea is [MASK] . → blue' }}
        selected={e.selected}
        onSelectNeuron={e.onSelectNeuron}
        onStateChange={e.onStateChange}
      />
      {e.echo}
    </section>
  );
}

function FactCheck() {
  const e = useEcho();
  return (
    <section className="panel">
      <FactCheckView
        report={data.factCheck}
        context={{ model: data.model, subject: dataset }}
        selected={e.selected}
        onSelectNeuron={e.onSelectNeuron}
        onStateChange={e.onStateChange}
      />
      {e.echo}
    </section>
  );
}

function Frequency({ large }: { large: boolean }) {
  const e = useEcho();
  const big = data.largeFrequency;
  return (
    <section className="panel">
      <SelectionFrequencyView
        aggregates={
          large
            ? {
                overall: { relation: null, facts: big.facts, frequency: { en: big.counts } },
                relations: [],
              }
            : data.dataset.aggregates
        }
        layers={large ? big.layers : data.layers}
        units={large ? big.units : data.units}
        context={{ model: large ? 'mGPT' : data.model, subject: large ? 'seeded counts' : dataset }}
        selected={e.selected}
        onSelectNeuron={e.onSelectNeuron}
        onStateChange={e.onStateChange}
      />
      {e.echo}
    </section>
  );
}

/** Every view with markup in the user's text (languages, relations, prompts, the subject). */
function Hostile() {
  const h = data.hostile;
  const context = { model: '<i>model</i>', subject: HOSTILE };
  const none = () => {};
  return (
    <section className="panel">
      <LanguageOverlapView overlap={h.overlap} context={context} />
      <LayerDistributionView
        aggregates={h.dataset.aggregates}
        languages={h.dataset.languages}
        context={context}
        degenerateSearched
        state={{ scope: { relation: HOSTILE }, measure: 'count' }}
      />
      <InterventionLabView
        sources={{ kn: { [HOSTILE]: [{ layer: 1, unit: 3 }] }, degenerate: [] }}
        layers={data.layers}
        units={data.units}
        context={context}
        result={h.lab}
        onRun={none}
      />
      <DegenerateView result={h.degenerate} context={context} />
      <FactCheckView
        report={h.factCheck}
        context={context}
        state={{ scope: { relation: HOSTILE } }}
      />
      <SelectionFrequencyView
        aggregates={h.dataset.aggregates}
        layers={data.layers}
        units={data.units}
        context={context}
        state={{ ...DEFAULT_SELECTION_FREQUENCY_STATE, scope: { relation: HOSTILE } }}
      />
    </section>
  );
}

/** Runs a step of the IndexedDB store's check in a worker (the `idb` case; the test calls it). */
function idbStep(step: string): Promise<unknown> {
  const worker = new Worker(new URL('./analysis-idb.worker.ts', import.meta.url), {
    type: 'module',
    name: 'idb-check',
  });
  return new Promise((resolve) => {
    worker.onmessage = (e) => {
      resolve(e.data);
      worker.terminate();
    };
    worker.postMessage(step);
  });
}

const CASES: Record<string, () => React.ReactNode> = {
  hostile: () => <Hostile />,
  idb: () => <p data-testid="idb-ready">IndexedDB store check</p>,
  lab: () => <Lab />,
  degenerate: () => <Degenerate />,
  factcheck: () => <FactCheck />,
  frequency: () => <Frequency large={false} />,
  'frequency-large': () => <Frequency large />,
  overlap: () => <Overlap which="overlap" />,
  overlap3: () => <Overlap which="overlap3" />,
  overlap5: () => <Overlap which="overlap5" />,
  distribution: () => <Distribution />,
};
const name = new URLSearchParams(window.location.search).get('case') ?? 'overlap';
const Case = CASES[name] ?? CASES.overlap;
if (name === 'idb') window.__idbStep = idbStep;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <main className="app-main" style={{ maxWidth: 1440 }}>
      <Case />
    </main>
  </StrictMode>,
);
