/**
 * The explorer's views as tabs: the neuron map (steps 2 to 4) and the analyses. The tab open and
 * each view's state are in the explorer's state (so in the link); the analyses' calls live here,
 * above the tabs, so that a result stays while another tab is open and one tab can use another's
 * (the lab and the edits take their neuron sets from the overlap and the degenerate search, the
 * lab's per-relation bars from the dataset run).
 */
import type { ReactNode } from 'react';
import type { Fact } from '../../facts';
import type { EditAnswer, EngineClient, ModelInfo, ServiceProgress } from '../../worker-api';
import { factSources } from '../../analysis/neuron-sets';
import { TABS, type Tab } from '../analysis-state';
import { useDatasetFacts } from '../dataset-source';
import type { ExplorerState } from '../state';
import { useLongCall } from '../useLongCall';
import type { AnalysisContext } from './control';
import { DatasetTab, useDataset } from './DatasetTab';
import { DegenerateTab, useDegenerate } from './DegenerateTab';
import { CompareTab, type CompareInputs } from './CompareTab';
import { EditsTab } from './EditsTab';
import { FactCheckTab, useFactCheck } from './FactCheckTab';
import { LabTab, useLab } from './LabTab';
import { OverlapTab, useOverlap } from './OverlapTab';
import { FactPicker } from './parts';
import { ViewHelp } from '../ViewHelp';
import type { HeldMaps, TabBase } from './types';
import { useContainerWidth } from '../../views/useContainerWidth';

const TAB_LABELS: Record<Tab, string> = {
  map: 'Neuron map',
  overlap: 'Language overlap',
  degenerate: 'Degenerate neurons',
  lab: 'Intervention lab',
  edits: 'Weight edits',
  dataset: 'Dataset runs',
  factcheck: 'Fact check',
  compare: 'Two models',
};

/** The tabs' visible labels where the main area is narrow (the name stays the long label). */
const TAB_SHORT_LABELS: Record<Tab, string> = {
  map: 'Map',
  overlap: 'Overlap',
  degenerate: 'Degenerate',
  lab: 'Lab',
  edits: 'Edits',
  dataset: 'Datasets',
  factcheck: 'Fact check',
  compare: 'Compare',
};

/** What each tab is for, under its heading. */
const TAB_INTROS: Record<Exclude<Tab, 'map'>, string> = {
  overlap:
    'Which knowledge neurons of the fact each language has, and which they share (language-independent, LIKN).',
  degenerate:
    'Neurons that store the fact redundantly: suppressing one alone changes little, suppressing them together does.',
  lab: 'Suppress (×0) or enhance (×2) a set of neurons at the object position and see what changes, in every language.',
  edits:
    'Change the model itself: erase the value vectors of a set of neurons, or move them towards a new object. Reversible.',
  dataset:
    'Every fact × language of a data set: knowledge neurons per layer (KN, LIKN, DKN) and how often each neuron is selected.',
  factcheck:
    'Judge statements true or false with the relation’s degenerate neurons, against the model’s top prediction.',
  compare:
    'The same facts on a second model: the maps of both side by side by relative layer depth, and where each model’s knowledge neurons sit.',
};

/** Wider, a chart of a few bars or circles only spreads out. */
const MAX_CHART_WIDTH = 1100;

const FACT_TABS = new Set<Tab>(['overlap', 'degenerate', 'edits', 'compare']);

export interface AnalysisTabsProps {
  client: EngineClient | undefined;
  info: ModelInfo | undefined;
  state: ExplorerState;
  dispatch: TabBase['dispatch'];
  /** The shown fact. */
  fact: Fact | undefined;
  maps: HeldMaps;
  selected: TabBase['selected'];
  onSelectNeuron: TabBase['onSelectNeuron'];
  /** The model changed in the worker (a weight edit was applied or reverted). */
  onModelInfo: (info: ModelInfo) => void;
  /** The second model and what the compare tab needs of the first. */
  compare: CompareInputs;
  /** The neuron map tab's panels. */
  children: ReactNode;
}

export function AnalysisTabs(props: AnalysisTabsProps) {
  const { client, info, state, dispatch, fact, maps } = props;
  const a = state.analysis;
  const tab = a.tab;
  const ctx: AnalysisContext = {
    client,
    info,
    settings: state.settings,
    tau: state.tau,
    analysis: a,
    dispatch,
  };
  const onFact = tab === 'lab' ? a.lab.target === 'fact' : FACT_TABS.has(tab);
  const onData = tab === 'dataset' || (tab === 'lab' && a.lab.target === 'dataset');
  // Each analysis is asked for (estimated, restored) while a tab that shows or uses it is open.
  const overlap = useOverlap(ctx, fact, maps, onFact);
  const degenerate = useDegenerate(ctx, fact, maps, onFact && tab !== 'overlap');
  const dataFacts = useDatasetFacts(a.dataset.source, state.facts, onData || tab === 'factcheck');
  const data = dataFacts.phase === 'ready' ? dataFacts.value : undefined;
  const dataset = useDataset(ctx, data, onData);
  const datasetDone =
    data && dataset.call.state.phase === 'done'
      ? { facts: data, run: dataset.call.state.result.run }
      : undefined;
  const overlapResult =
    overlap.call.state.phase === 'done' ? overlap.call.state.result.overlap : null;
  const degenerateResult =
    degenerate?.call.state.phase === 'done' ? degenerate.call.state.result.result : null;
  const lab = useLab(
    ctx,
    fact,
    state.facts,
    overlapResult,
    degenerateResult,
    datasetDone,
    tab === 'lab',
  );
  const factcheck = useFactCheck(ctx, data, tab === 'factcheck');
  // An edit's report outlives the edit: its key is the model's id, not its (edited) key.
  const edit = useLongCall<EditAnswer, ServiceProgress>(client, info?.id);
  // The charts take the main area's width, up to where they stop gaining from it.
  const [body, bodyWidth] = useContainerWidth<HTMLDivElement>(720);
  const chartWidth = Math.min(bodyWidth, MAX_CHART_WIDTH);

  const panel = () => {
    if (tab === 'map') return props.children;
    if (!client || !info) return <p className="note">Load a model first (Model, on the left).</p>;
    const base: TabBase = {
      ...ctx,
      client,
      info,
      selected: props.selected,
      onSelectNeuron: props.onSelectNeuron,
      chartWidth,
    };
    if (onFact && !fact)
      return (
        <p className="note" data-testid="needs-fact">
          Add a fact first (Facts, on the left): this view is about one fact.
        </p>
      );
    switch (tab) {
      case 'overlap':
        return <OverlapTab {...base} fact={fact!} control={overlap} />;
      case 'degenerate':
        return <DegenerateTab {...base} fact={fact!} control={degenerate!} />;
      case 'lab':
        return (
          <LabTab
            {...base}
            fact={fact}
            control={lab}
            overlap={overlap}
            hasDataset={!!datasetDone}
          />
        );
      case 'edits':
        return (
          <EditsTab
            {...base}
            fact={fact!}
            facts={state.facts}
            call={edit}
            sources={factSources(overlapResult, degenerateResult)}
            overlap={overlap}
            onModelInfo={props.onModelInfo}
          />
        );
      case 'dataset':
        return (
          <DatasetTab {...base} data={dataFacts} control={dataset} explorerFacts={state.facts} />
        );
      case 'compare':
        return <CompareTab {...base} fact={fact!} compare={props.compare} />;
      case 'factcheck':
        if (dataFacts.phase === 'error')
          return (
            <p className="error" role="alert">
              The data set could not be read: {dataFacts.error}.
            </p>
          );
        return data ? (
          <FactCheckTab {...base} data={data} control={factcheck} />
        ) : (
          <p className="note">Reading the data set…</p>
        );
    }
  };

  return (
    <div className="tabs">
      <div className="tab-list" role="tablist" aria-label="Views">
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={`tab-${t}`}
            aria-selected={t === tab}
            aria-controls="tab-panel"
            tabIndex={t === tab ? 0 : -1}
            onClick={() => dispatch({ type: 'analysis', update: { tab: t } })}
            onKeyDown={(e) => {
              // Arrow keys move between tabs, as the tabs pattern has it.
              const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
              if (!step) return;
              const next = TABS[(TABS.indexOf(t) + step + TABS.length) % TABS.length];
              dispatch({ type: 'analysis', update: { tab: next } });
              document.getElementById(`tab-${next}`)?.focus();
            }}
            data-testid={`tab-${t}`}
            aria-label={TAB_LABELS[t]}
          >
            <span className="tab-label-long">{TAB_LABELS[t]}</span>
            <span className="tab-label-short">{TAB_SHORT_LABELS[t]}</span>
          </button>
        ))}
      </div>
      <div
        role="tabpanel"
        id="tab-panel"
        aria-labelledby={`tab-${tab}`}
        className={tab === 'map' ? 'tab-panel tab-map' : 'tab-panel'}
        data-tab={tab}
      >
        {tab === 'map' ? (
          <>
            {/* With a fact, the help sits in the maps' heading row. */}
            {!fact && <ViewHelp view="map" />}
            {panel()}
          </>
        ) : (
          <section className="panel" aria-labelledby="analysis-heading">
            <div className="row wrap analysis-head">
              <h2 id="analysis-heading" className="grow">
                {TAB_LABELS[tab]}
              </h2>
              {fact && onFact && (
                <FactPicker facts={state.facts} shown={fact} dispatch={dispatch} />
              )}
            </div>
            <p className="note">{TAB_INTROS[tab]}</p>
            <ViewHelp key={tab} view={tab} />
            <div ref={body}>{panel()}</div>
          </section>
        )}
      </div>
    </div>
  );
}
