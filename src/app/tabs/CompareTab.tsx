/**
 * Two models side by side: a second model (a bundled demo model, a Hub id or a folder from disk)
 * in its own engine worker (../useComparison.ts), the explorer's facts run on both, and the shown
 * fact's maps aligned by relative depth with their knowledge neurons' overlap by depth
 * (src/views/analysis/ModelComparison.tsx). The first model's work is the neuron map's.
 */
import { type FormEvent, useMemo, useState } from 'react';
import type { AttributionResult } from '../../attribution/attribute';
import type { Fact } from '../../facts';
import { ModelComparisonView } from '../../views/analysis';
import type { ComparedLanguage, ComparedModel } from '../../views/analysis';
import { checkHubId, modelLabel, parseHubRef, sameModel } from '../../weights';
import type { ModelInfo } from '../../worker-api';
import type { BundledModel } from '../bundled';
import { errorText } from '../errors';
import { formatCount, formatPercent, formatSeconds } from '../format';
import { LoadProgress } from '../ModelPanel';
import { folderFromInput } from '../picked-files';
import { jobsByLanguage, mostParaphrases } from '../paraphrase-maps';
import { factLabel } from '../ResultsPanel';
import { type Job, tauFor } from '../state';
import type { Comparison } from '../useComparison';
import type { RunState } from '../useRun';
import { type TabBase, backendName } from './types';

/** What the compare tab needs of the app besides the comparison: the first model's maps and run. */
export interface CompareInputs {
  comparison: Comparison;
  bundled: BundledModel[] | undefined;
  /** The first model's map of a job (the neuron map's results). */
  resultOf(job: Job): AttributionResult | undefined;
  /** The first model's jobs without a map that can run, whether its run is on, and the run. */
  firstRunnable: Job[];
  firstRunning: boolean;
  runFirst(): void;
  cancelFirst(): void;
}

export interface CompareTabProps extends TabBase {
  fact: Fact;
  compare: CompareInputs;
}

/** A model as the figures name it: marked while a weight edit is in force. */
export const comparedLabel = (info: ModelInfo): string =>
  info.edits.length ? `${info.label} (edited)` : info.label;

const comparedModel = (info: ModelInfo): ComparedModel => ({
  label: comparedLabel(info),
  layers: info.config.numLayers,
  units: info.config.intermediateSize,
});

type Source = 'bundled' | 'hub' | 'folder';

/** The compact "Compare with" control: a demo model, a Hub id, or a folder from disk. */
function CompareWith({
  comparison,
  bundled,
}: {
  comparison: Comparison;
  bundled: BundledModel[] | undefined;
}) {
  const ref = comparison.ref;
  const [source, setSource] = useState<Source>(
    ref?.kind === 'hub' ? 'hub' : ref?.kind === 'files' ? 'folder' : 'bundled',
  );
  const [hubId, setHubId] = useState(ref?.kind === 'hub' ? modelLabel(ref) : '');
  const [hubError, setHubError] = useState<string>();
  const loadHub = (e: FormEvent) => {
    e.preventDefault();
    const next = parseHubRef(hubId);
    try {
      checkHubId(next.id);
    } catch (err) {
      setHubError(errorText(err));
      return;
    }
    setHubError(undefined);
    comparison.pick(next);
  };
  return (
    <div className="row wrap compare-with" data-testid="compare-with">
      <label>
        Compare with{' '}
        <select
          value={source}
          onChange={(e) => setSource(e.target.value as Source)}
          aria-label="Where the second model comes from"
          data-testid="compare-source"
        >
          <option value="bundled">a demo model</option>
          <option value="hub">a Hugging Face model</option>
          <option value="folder">a folder from disk</option>
        </select>
      </label>
      {source === 'bundled' && (
        <select
          value={ref?.kind === 'bundled' ? ref.name : ''}
          onChange={(e) =>
            e.target.value && comparison.pick({ kind: 'bundled', name: e.target.value })
          }
          aria-label="The second model"
          data-testid="compare-model"
        >
          <option value="">choose…</option>
          {(bundled ?? []).map((m) => (
            <option key={m.name} value={m.name}>
              {m.name}
            </option>
          ))}
        </select>
      )}
      {source === 'hub' && (
        <form className="row" onSubmit={loadHub}>
          <input
            type="text"
            value={hubId}
            onChange={(e) => setHubId(e.target.value)}
            placeholder="owner/name or owner/name@revision"
            aria-label="The second model’s Hub id"
            spellCheck={false}
          />
          <button type="submit" disabled={!hubId.trim()}>
            Load
          </button>
        </form>
      )}
      {source === 'folder' && (
        <input
          type="file"
          {...{ webkitdirectory: '' }}
          multiple
          aria-label="The second model’s folder"
          onChange={(e) => {
            if (!e.target.files?.length) return;
            const folder = folderFromInput(e.target.files);
            comparison.pick({ kind: 'files', label: folder.label }, folder);
          }}
        />
      )}
      {ref && (
        <button type="button" onClick={comparison.clear} data-testid="compare-stop">
          Stop comparing
        </button>
      )}
      {hubError && (
        <p className="error" role="alert">
          {hubError}
        </p>
      )}
    </div>
  );
}

/** The second model's load: progress with Cancel, its summary, its error, or what it waits for. */
function SecondModelStatus({ comparison }: { comparison: Comparison }) {
  const { ref, engine, model } = comparison;
  if (!ref) return null;
  const s = model.status;
  if (engine.state.phase === 'error')
    return (
      <p className="error" role="alert">
        The second engine could not start: {engine.state.error}
      </p>
    );
  return (
    <div className="model-status" data-testid="compare-status" data-phase={s.phase}>
      {s.phase === 'none' && (
        <p className="note">Starting a second engine for {modelLabel(ref)}…</p>
      )}
      {s.phase === 'loading' && (
        <LoadProgress model={s.ref} progress={s.progress} onCancel={model.cancel} />
      )}
      {s.phase === 'ready' && (
        <p className="note" data-testid="compare-summary">
          <strong>{s.info.label}</strong>: {s.info.config.modelType}, {s.info.config.numLayers}{' '}
          layers × {formatCount(s.info.config.intermediateSize)} FFN units, on {backendName(s.info)}
          , in a worker of its own.
        </p>
      )}
      {s.phase === 'error' && sameModel(s.ref, ref) && (
        <p className="error" role="alert" data-testid="compare-error">
          {s.error}
        </p>
      )}
      {s.phase === 'waiting' && s.reason === 'download' && (
        <p className="row">
          The comparison uses <strong>{modelLabel(s.ref)}</strong> from the Hugging Face Hub, not
          downloaded in this browser yet.
          <button type="button" onClick={() => model.load(s.ref)}>
            Download and load it
          </button>
        </p>
      )}
      {s.phase === 'waiting' && s.reason === 'pick-folder' && (
        <p role="alert">
          The comparison uses a model folder from the disk of whoever made it,{' '}
          <strong>{modelLabel(s.ref)}</strong>: choose “a folder from disk” above and pick it.
        </p>
      )}
    </div>
  );
}

const runDone = (run: RunState) =>
  run.items.reduce((s, i) => {
    if (i.status.state === 'running') return s + i.status.done / Math.max(1, i.status.total);
    return s + (i.status.state === 'queued' ? 0 : 1);
  }, 0);

/** What is left to run on both models, the button, and the second model's progress. */
function RunBoth({
  compare,
  first,
  second,
}: {
  compare: CompareInputs;
  first: ModelInfo;
  second: ModelInfo;
}) {
  const { comparison } = compare;
  // A run of an earlier second model (or other settings) is not this one's.
  const latest = comparison.run.run;
  const current = latest.items.some((i) => i.key === comparison.run.keyOf(i.job));
  const run: RunState = current ? latest : { phase: 'idle', items: [] };
  const running = latest.phase === 'running' || compare.firstRunning;
  const toRun = comparison.runnable.length + compare.firstRunnable.length;
  const estimate = comparison.estimate;
  const failed = run.items.filter((i) => i.status.state === 'error');
  return (
    <div className="compare-run" data-testid="compare-run-panel">
      {toRun > 0 && !running && (
        <div className="row wrap">
          <button
            type="button"
            className="primary"
            data-testid="compare-run"
            onClick={() => {
              if (compare.firstRunnable.length) compare.runFirst();
              if (comparison.runnable.length) comparison.run.start(comparison.runnable);
            }}
          >
            Run on both models
          </button>
          <span className="note" data-testid="compare-estimate">
            {formatCount(compare.firstRunnable.length)} map
            {compare.firstRunnable.length === 1 ? '' : 's'} on {comparedLabel(first)} (see Run on
            the left), {formatCount(comparison.runnable.length)} on {second.label}
            {estimate.phase === 'ready' &&
              comparison.runnable.length > 0 &&
              `, about ${formatSeconds(estimate.estimate.total.seconds)} on ${backendName(second)}`}
            {estimate.phase === 'estimating' && ' (estimating…)'}.
          </span>
        </div>
      )}
      {estimate.phase === 'error' && (
        <p className="error" role="alert">
          {estimate.error}
        </p>
      )}
      {run.phase !== 'idle' && (
        <div className="row wrap" data-testid="compare-progress" data-phase={run.phase}>
          <progress
            max={run.items.length}
            value={runDone(run)}
            aria-label={`Run on ${second.label}`}
          />
          <span aria-live="polite">
            {second.label}:{' '}
            {run.phase === 'running' && `running, ${formatPercent(runDone(run), run.items.length)}`}
            {run.phase === 'finished' &&
              `finished${failed.length ? `, ${failed.length} failed` : ''}.`}
            {run.phase === 'cancelled' && 'cancelled.'}
          </span>
          {running && (
            <button
              type="button"
              data-testid="compare-cancel"
              onClick={() => {
                comparison.run.cancel();
                compare.cancelFirst();
              }}
            >
              Cancel
            </button>
          )}
        </div>
      )}
      {estimate.phase === 'ready' &&
        estimate.jobs.map((job, i) => {
          const e = estimate.estimate.items[i];
          return e && !e.ok ? (
            <p key={`${job.fact.id}:${job.index}`} className="error" data-testid="compare-refused">
              {factLabel(job.fact)} · {job.prompt.language} cannot run on {second.label}: {e.error}
            </p>
          ) : null;
        })}
      {failed.map((i) => (
        <p key={i.key} className="error">
          {factLabel(i.job.fact)} · {i.job.prompt.language}:{' '}
          {i.status.state === 'error' && i.status.error}
        </p>
      ))}
    </div>
  );
}

export function CompareTab(props: CompareTabProps) {
  const { compare, fact, info, tau, chartWidth } = props;
  const { comparison } = compare;
  const second = comparison.info;
  const models = useMemo<[ComparedModel, ComparedModel] | undefined>(
    () => (second ? [comparedModel(info), comparedModel(second)] : undefined),
    [info, second],
  );
  const { resultOf } = compare;
  const secondResultOf = comparison.resultOf;
  // One paraphrase per language, the first unless the user picks another (a language with fewer
  // shows its last), named in its heading; the neuron map's default is the first too.
  const most = mostParaphrases(fact);
  const [paraphrase, setParaphrase] = useState(0);
  const shown = Math.min(paraphrase, Math.max(0, most - 1));
  const languages = useMemo<ComparedLanguage[]>(
    () =>
      jobsByLanguage(fact).map((jobs) => {
        const at = Math.min(shown, jobs.length - 1);
        const job = jobs[at];
        const { language, text, object } = job.prompt;
        return {
          language,
          tau: tauFor(tau, language),
          prompt:
            `${text} → ${object}` +
            (jobs.length > 1 ? ` (paraphrase ${at + 1} of ${jobs.length})` : ''),
          maps: [resultOf(job), secondResultOf(job)] as const,
        };
      }),
    [fact, tau, resultOf, secondResultOf, shown],
  );
  return (
    <div className="compare-tab" data-testid="compare-tab">
      <CompareWith
        key={comparison.ref ? 'on' : 'off'}
        comparison={comparison}
        bundled={compare.bundled}
      />
      <SecondModelStatus comparison={comparison} />
      {!comparison.ref && (
        <p className="note">
          Choose a second model: the explorer’s facts run on it too (in a worker of its own), and
          this tab shows the shown fact’s maps of both models by relative depth. A model compared
          with itself while a weight edit is in force (Weight edits) shows the edit’s effect.
        </p>
      )}
      {second && models && (
        <>
          <RunBoth compare={compare} first={info} second={second} />
          {most > 1 && (
            <label className="row" data-testid="compare-paraphrase">
              Paraphrase shown{' '}
              <select value={shown} onChange={(e) => setParaphrase(Number(e.target.value))}>
                {Array.from({ length: most }, (_, k) => (
                  <option key={k} value={k}>
                    {k === 0 ? 'the first' : `number ${k + 1}`}
                  </option>
                ))}
              </select>
              <span className="note">
                each model’s map of one paraphrase per language (the neuron map’s paraphrase-refined
                map is not compared)
              </span>
            </label>
          )}
          <ModelComparisonView
            models={models}
            languages={languages}
            context={{
              model: `${models[0].label} vs ${models[1].label}`,
              subject: factLabel(fact),
            }}
            width={chartWidth}
            onOpenFirst={props.onSelectNeuron}
          />
        </>
      )}
    </div>
  );
}
