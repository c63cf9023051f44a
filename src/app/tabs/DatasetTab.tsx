/**
 * Dataset runs: attribution and knowledge neurons (and, optionally, degenerate pairs) for every
 * fact x language of a data set, with progress, Cancel, and the layer distributions of KN, LIKN
 * and DKN and the selection-frequency heatmaps per relation and overall. Each finished item is
 * stored in the worker as it ends, so a run stopped by Cancel or a reload resumes where it
 * stopped and says how many results it reused. A results folder of the kne command line, picked
 * or dropped on the tab, is shown by the same views without computing anything.
 */
import { proxy } from 'comlink';
import { type DragEvent, useMemo, useState } from 'react';
import { promptRate } from '../../analysis/dataset';
import { keyDigest } from '../../analysis/results';
import type { DatasetRun } from '../../analysis/services';
import type { Fact } from '../../facts';
import { LayerDistributionView, SelectionFrequencyView } from '../../views/analysis';
import type {
  AnalysisEstimate,
  AnalysisEstimateRequest,
  DatasetAnswer,
  DatasetProgress,
} from '../../worker-api';
import { type AnalysisState, DEFAULT_FACTSET_SOURCE, type DatasetSource } from '../analysis-state';
import type { DatasetFacts } from '../dataset-source';
import { saveDataset } from '../dataset-store';
import { errorText } from '../errors';
import { bundledFactSet } from '../factset';
import { FactUpload } from '../FactUpload';
import { formatCount } from '../format';
import {
  type FolderFile,
  type OpenedResults,
  filesOfDrop,
  filesOfPicker,
  openResultsFolder,
} from '../results-folder';
import { type LongCall, useLongCall } from '../useLongCall';
import { type Query, useQuery } from '../useQuery';
import { type AnalysisContext, markRan, resultKey, useRestorable } from './control';
import { RunShell } from './parts';
import type { TabBase } from './types';

export interface DatasetOutcome {
  run: DatasetAnswer;
  /** Items the run found stored and did not compute again. */
  reused: number;
}

export type DatasetCall = LongCall<DatasetOutcome, DatasetProgress>;

const STEPS = { attribution: 'attribution', degenerate: 'degenerate pairs' } as const;

export interface DatasetControl {
  call: DatasetCall;
  /** Undefined until the data set is read, and for one without facts. */
  request: AnalysisEstimateRequest | undefined;
  estimate: Query<AnalysisEstimate>;
  run(): void;
}

export function useDataset(
  ctx: AnalysisContext,
  data: DatasetFacts | undefined,
  wanted: boolean,
): DatasetControl {
  const { client, settings, tau, analysis } = ctx;
  const { degenerate } = analysis.dataset;
  const call = useLongCall<DatasetOutcome, DatasetProgress>(
    client,
    data && resultKey(ctx, 'dataset', data.key, degenerate, tau),
  );
  const request = useMemo<AnalysisEstimateRequest | undefined>(
    () =>
      data && data.facts.length
        ? { kind: 'dataset', facts: data.facts, settings, tau, degenerate }
        : undefined,
    [data, settings, tau, degenerate],
  );
  const run = () => {
    if (!client || !data) return;
    markRan(ctx, 'dataset');
    call.start(async (runId, onProgress) => {
      let reused = 0;
      const answer = await client.datasetRun(
        { runId, facts: data.facts, settings, tau, degenerate },
        proxy((p: DatasetProgress) => {
          reused = p.reused;
          onProgress(p);
        }),
      );
      return { run: answer, reused };
    });
  };
  // A finished run (every item stored) shows again by itself; a stopped one waits for Resume.
  const estimate = useRestorable(ctx, call, request, wanted, analysis.ran.dataset, run);
  return { call, request, estimate, run };
}

export interface DatasetTabProps extends TabBase {
  data: Query<DatasetFacts>;
  control: DatasetControl;
  explorerFacts: Fact[];
}

export function DatasetTab(props: DatasetTabProps) {
  const { info, control, analysis, dispatch } = props;
  const { call, request, estimate } = control;
  const state = analysis.dataset;
  const update = (u: Partial<AnalysisState>) => dispatch({ type: 'analysis', update: u });
  const setSource = (source: DatasetSource) => update({ dataset: { ...state, source } });
  const data = props.data.phase === 'ready' ? props.data.value : undefined;
  const running = call.state.phase === 'running';

  const e = estimate.phase === 'ready' ? estimate.value : undefined;
  const resumable = e && e.stored > 0 && !e.complete;
  const outcome = call.state.phase === 'done' ? call.state.result : null;
  const [folder, setFolder] = useState<FolderState>();
  const open = (files: Promise<FolderFile[]>) => {
    setFolder({ phase: 'reading' });
    files.then(openResultsFolder).then(
      (results) => setFolder({ phase: 'open', results }),
      (e: unknown) => setFolder({ phase: 'error', message: errorText(e) }),
    );
  };
  const onDrop = (ev: DragEvent) => {
    if (running || !ev.dataTransfer.types.includes('Files')) return;
    ev.preventDefault();
    open(filesOfDrop(ev.dataTransfer));
  };
  const views = {
    info,
    state,
    update,
    selected: props.selected,
    onSelectNeuron: props.onSelectNeuron,
    chartWidth: props.chartWidth,
  };
  return (
    <div
      className="analysis-tab"
      data-testid="dataset-tab"
      onDragOver={(ev) => {
        if (!running && ev.dataTransfer.types.includes('Files')) ev.preventDefault();
      }}
      onDrop={onDrop}
    >
      <ResultsFolderPicker
        folder={folder}
        disabled={running}
        onPick={(list) => open(Promise.resolve(filesOfPicker(list)))}
        onClose={() => setFolder(undefined)}
      />
      {folder?.phase === 'open' ? (
        <FolderResults results={folder.results} {...views} />
      ) : (
        <>
          <SourcePicker
            source={state.source}
            explorerFacts={props.explorerFacts.length}
            onChange={setSource}
            disabled={running}
          />
          {props.data.phase === 'loading' && <p className="note">Reading the data set…</p>}
          {props.data.phase === 'error' && (
            <p className="error" role="alert" data-testid="dataset-error">
              The data set could not be read: {props.data.error}.
            </p>
          )}
          {data && (
            <p data-testid="dataset-label">
              <strong>Data set:</strong> {data.label}, in{' '}
              {data.languages.join(', ') || 'no language'}.
            </p>
          )}
          {data && data.facts.length === 0 && (
            <p className="note">It has no facts yet: choose or upload some.</p>
          )}
          <label className="check">
            <input
              type="checkbox"
              checked={state.degenerate}
              disabled={running}
              onChange={(ev) => update({ dataset: { ...state, degenerate: ev.target.checked } })}
              data-testid="dataset-dkn"
            />{' '}
            Also search degenerate pairs (the DKN of the layer distributions; slower)
          </label>
          <RunShell
            call={call}
            info={info}
            estimate={estimate}
            unit="fact × language items"
            canRun={!!request}
            action={{
              label: resumable
                ? `Resume (${formatCount(e.items - e.stored)} items left)`
                : 'Run the data set',
              testId: 'run-dataset',
              run: control.run,
              disabled: !e,
            }}
            cancelledNote="The items finished so far are stored: running again resumes from them."
            measure={(p) => ({
              done: p.done,
              total: p.total,
              text: (
                <span data-testid="dataset-progress" data-reused={p.reused}>
                  {formatCount(p.done)} of {formatCount(p.total)} items
                  {p.reused > 0 && `, ${formatCount(p.reused)} reused from an earlier run`}
                  {promptRate(p) && ` · ${promptRate(p)}`}
                  {p.current &&
                    ` · now ${p.current.factId} (${p.current.language}): ${STEPS[p.current.step]}`}
                </span>
              ),
            })}
          >
            {resumable && (
              <p className="note" data-testid="dataset-resumable">
                A run of this data set stopped after {formatCount(e.stored)} of{' '}
                {formatCount(e.items)} items; they are stored in this browser.
              </p>
            )}
          </RunShell>
          {outcome && data && <DatasetResults outcome={outcome} data={data} {...views} />}
        </>
      )}
    </div>
  );
}

type FolderState =
  | { phase: 'reading' }
  | { phase: 'open'; results: OpenedResults }
  | { phase: 'error'; message: string };

/** Opens a results folder of kne: the folder picker, or a folder dropped anywhere on the tab. */
function ResultsFolderPicker({
  folder,
  disabled,
  onPick,
  onClose,
}: {
  folder: FolderState | undefined;
  disabled: boolean;
  onPick: (files: FileList) => void;
  onClose: () => void;
}) {
  return (
    <fieldset className="dataset-folder" disabled={disabled} data-testid="results-folder">
      <legend>Results of the kne command line</legend>
      <label>
        Open a results folder (the --out of kne attribute or kne merge), or drop it here:{' '}
        <input
          type="file"
          multiple
          // The folder picker: React has no prop for it.
          ref={(el) => el?.setAttribute('webkitdirectory', '')}
          onChange={(ev) => {
            if (ev.target.files?.length) onPick(ev.target.files);
            ev.target.value = '';
          }}
          data-testid="results-folder-input"
        />
      </label>
      {folder?.phase === 'reading' && <p className="note">Reading the folder…</p>}
      {folder?.phase === 'error' && (
        <p className="error" role="alert" data-testid="results-folder-error">
          The folder could not be opened: {folder.message}.
        </p>
      )}
      {folder?.phase === 'open' && (
        <button type="button" onClick={onClose} data-testid="results-folder-close">
          Close the folder
        </button>
      )}
    </fieldset>
  );
}

type ViewProps = Pick<TabBase, 'info' | 'selected' | 'onSelectNeuron' | 'chartWidth'> & {
  state: AnalysisState['dataset'];
  update: (u: Partial<AnalysisState>) => void;
};

/** A results folder: what it is, then the dataset views of its records. */
function FolderResults({ results, ...views }: ViewProps & { results: OpenedResults }) {
  const { manifest, run, name } = results;
  const { model, settings } = manifest;
  const sameModel = keyDigest(views.info.key) === model.digest;
  return (
    <>
      <p data-testid="results-folder-summary" data-items={run.records.length}>
        <strong>Results folder:</strong> {name}, {formatCount(manifest.facts)} facts in{' '}
        {manifest.languages.join(', ')}: {formatCount(run.records.length)} fact × language items
        {run.degenerate.length > 0 &&
          `, ${formatCount(run.degenerate.length)} degenerate-pair searches`}
        , by {manifest.tool} with {model.id} ({settings.method}, {settings.steps} steps).
      </p>
      {!sameModel && (
        <p className="note" data-testid="results-folder-other-model">
          The folder is of {model.id}, not of the model loaded now ({views.info.id}): its neurons
          are not opened in the neuron map.
        </p>
      )}
      <DatasetViews
        {...views}
        run={run}
        label={name}
        model={model.id}
        onSelectNeuron={sameModel ? views.onSelectNeuron : undefined}
      />
    </>
  );
}

function DatasetResults({
  outcome,
  data,
  ...views
}: ViewProps & { outcome: DatasetOutcome; data: DatasetFacts }) {
  const { run, reused } = outcome;
  const items = run.records.length;
  return (
    <>
      <p data-testid="dataset-summary" data-items={items} data-reused={reused}>
        {formatCount(items)} fact × language items: {formatCount(items - reused)} computed now,{' '}
        {formatCount(reused)} reused from an earlier run.
        {!run.persistent &&
          ' These results are not kept (a weight edit is in force, or the browser keeps no data).'}
      </p>
      <DatasetViews {...views} run={run} label={data.label} model={views.info.label} />
    </>
  );
}

/** The failures, layer distributions and selection frequencies of a dataset run. */
function DatasetViews({
  run,
  label,
  model,
  state,
  update,
  selected,
  onSelectNeuron,
  chartWidth,
}: Omit<ViewProps, 'onSelectNeuron' | 'info'> & {
  run: DatasetRun;
  label: string;
  model: string;
  onSelectNeuron?: (layer: number, unit: number) => void;
}) {
  const context = { model, subject: label };
  return (
    <>
      {run.failures.length > 0 && (
        <details data-testid="dataset-failures">
          <summary className="error">
            {formatCount(run.failures.length)} item{run.failures.length === 1 ? '' : 's'} could not
            run
          </summary>
          <ul>
            {run.failures.map((f) => (
              <li key={`${f.factId}/${f.language}`}>
                {f.factId} ({f.language}): {f.message}
              </li>
            ))}
          </ul>
        </details>
      )}
      <h3>Layer distributions</h3>
      <LayerDistributionView
        aggregates={run.aggregates}
        languages={run.languages}
        context={context}
        degenerateSearched={run.degenerate.length > 0}
        width={chartWidth}
        state={state.layers}
        onStateChange={(layers) => update({ dataset: { ...state, layers } })}
      />
      <h3>How often each neuron is selected</h3>
      <SelectionFrequencyView
        aggregates={run.aggregates}
        layers={run.layers}
        units={run.units}
        context={context}
        width={chartWidth}
        selected={selected}
        onSelectNeuron={onSelectNeuron}
        state={state.frequency}
        onStateChange={(frequency) => update({ dataset: { ...state, frequency } })}
      />
    </>
  );
}

/** Where the data set comes from: the explorer's facts, the bundled set, or an upload. */
function SourcePicker({
  source,
  explorerFacts,
  onChange,
  disabled,
}: {
  source: DatasetSource;
  explorerFacts: number;
  onChange: (s: DatasetSource) => void;
  disabled: boolean;
}) {
  const set = useQuery(source.kind === 'factset' ? bundledFactSet : undefined);
  const factset = source.kind === 'factset' ? source : DEFAULT_FACTSET_SOURCE;
  return (
    <fieldset className="dataset-source" disabled={disabled} data-testid="dataset-source">
      <legend>Data set</legend>
      <label className="kn-choice">
        <input
          type="radio"
          name="dataset-source"
          checked={source.kind === 'explorer'}
          onChange={() => onChange({ kind: 'explorer' })}
        />{' '}
        your facts ({formatCount(explorerFacts)})
      </label>
      <label className="kn-choice">
        <input
          type="radio"
          name="dataset-source"
          checked={source.kind === 'factset'}
          onChange={() => onChange(factset)}
          data-testid="source-factset"
        />{' '}
        the bundled fact set
      </label>
      {source.kind === 'factset' && (
        <div className="dataset-factset">
          {set.phase === 'ready' && (
            <div className="row wrap" role="group" aria-label="Relations">
              {set.value.relations.map((r) => (
                <label key={r.id} className="check">
                  <input
                    type="checkbox"
                    checked={source.relations.includes(r.id)}
                    onChange={(e) => {
                      const relations = e.target.checked
                        ? [...source.relations, r.id]
                        : source.relations.filter((x) => x !== r.id);
                      if (relations.length) onChange({ ...source, relations });
                    }}
                    data-testid={`relation-${r.id}`}
                  />{' '}
                  {r.id} · {r.label.en ?? r.id}
                </label>
              ))}
            </div>
          )}
          {set.phase === 'error' && (
            <p className="error" role="alert">
              The bundled fact set could not be loaded: {set.error}
            </p>
          )}
          <label>
            Facts per relation{' '}
            <input
              type="number"
              min={1}
              max={10000}
              value={source.perRelation}
              onChange={(e) => {
                const n = Math.round(Number(e.target.value));
                if (n >= 1 && n <= 10_000) onChange({ ...source, perRelation: n });
              }}
              data-testid="per-relation"
            />
          </label>
        </div>
      )}
      <label className="kn-choice">
        <input
          type="radio"
          name="dataset-source"
          checked={source.kind === 'upload'}
          onChange={() => {}}
          disabled
        />{' '}
        {source.kind === 'upload'
          ? `the uploaded file “${source.name}”`
          : 'an uploaded file: paste facts or choose a file below'}
      </label>
      <UploadDataset onUpload={onChange} />
    </fieldset>
  );
}

function UploadDataset({ onUpload }: { onUpload: (s: DatasetSource) => void }) {
  const [problem, setProblem] = useState<string>();
  return (
    <div className="dataset-upload">
      <FactUpload
        onAdd={(facts, name) => {
          saveDataset(name, facts).then(
            (digest) => onUpload({ kind: 'upload', name, digest }),
            (e: unknown) => setProblem(`The upload could not be kept: ${errorText(e)}`),
          );
        }}
      />
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
