/**
 * Step 4, the shown fact: one neuron map per language that has a result, the model's
 * predictions for each language, and the selected neuron in detail (its score in every map the
 * session has, and the tokens its value vector promotes and demotes). The views in src/views
 * draw them; this panel fetches what they show from the engine.
 */
import { useCallback, useEffect, useMemo, useRef } from 'react';
import type { AttributionSettings } from '../attribution/settings';
import type { Fact } from '../facts';
import type { AttributionResult, EngineClient, ModelInfo } from '../worker-api';
import {
  type LanguageMap,
  type Neuron,
  type NeuronFactScore,
  NeuronMaps,
  NeuronPanel,
  type PredictionRow,
  PredictionsTable,
} from '../views';
import { stabilityOf } from '../analysis/paraphrase';
import { maxScore } from '../views/color';
import { ParaphraseControl, ParaphraseNote } from './ParaphraseControl';
import { ViewHelp } from './ViewHelp';
import {
  type LanguageView,
  type ParaphraseMode,
  type ResultOf,
  jobsByLanguage,
  languageViews,
} from './paraphrase-maps';
import { type Action, type Job, tauFor } from './state';
import { useQuery } from './useQuery';

/** Tokens listed per slot and per direction of a value vector. */
const TOP_K = 10;

/**
 * Per language, the first of the fact's prompts in it that has a map, else its first prompt.
 * (The paraphrase-refined map of the shown fact is languageViews'.)
 */
function languageResults(
  fact: Fact,
  resultOf: ResultOf,
): { job: Job; result?: AttributionResult }[] {
  return jobsByLanguage(fact).map((jobs) => {
    const withResult = jobs.find((j) => resultOf(j));
    return withResult ? { job: withResult, result: resultOf(withResult) } : { job: jobs[0] };
  });
}

export const factLabel = (f: Fact): string => f.subject ?? f.prompts[0]?.text ?? f.id;

function Predictions({
  client,
  fact,
  settings,
}: {
  client: EngineClient;
  fact: Fact;
  settings: AttributionSettings;
}) {
  const { tapMode, multiToken } = settings;
  const ask = useMemo(
    () => async () => {
      const rows: PredictionRow[] = [];
      for (const [first] of jobsByLanguage(fact)) {
        const { text, object, language } = first.prompt;
        try {
          const [prediction] = await client.predict({
            prompt: text,
            object,
            topK: TOP_K,
            tapMode,
            multiToken,
          });
          rows.push({ language, prompt: text, object, prediction });
        } catch {
          // A prompt the model cannot read: the fact list says why.
        }
      }
      return rows;
    },
    [client, fact, tapMode, multiToken],
  );
  const q = useQuery(ask);
  return (
    <div className="results-predictions">
      <h3>What the model predicts</h3>
      {q.phase === 'loading' && <p className="note">Predicting…</p>}
      {q.phase === 'error' && (
        <p className="error" role="alert">
          {q.error}
        </p>
      )}
      {q.phase === 'ready' && <PredictionsTable rows={q.value} topK={TOP_K} />}
    </div>
  );
}

function SelectedNeuron({
  client,
  info,
  neuron,
  facts,
  resultOf,
  tau,
  shown,
  onClose,
}: {
  client: EngineClient;
  info: ModelInfo;
  neuron: Neuron;
  facts: Fact[];
  resultOf: ResultOf;
  tau: Record<string, number>;
  /** The shown fact and its views: a paraphrase-refined language reads its stability. */
  shown: { fact: Fact; views: readonly LanguageView[] };
  onClose: () => void;
}) {
  const { layer, unit } = neuron;
  // A neuron opened from an analysis view, or below the maps on a narrow screen: bring it into view.
  const panel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    panel.current?.scrollIntoView({ block: 'nearest' });
  }, [layer, unit]);
  const ask = useMemo(
    () => () =>
      Promise.all(
        (['promoted', 'suppressed'] as const).map((direction) =>
          client.valueVectorTokens({ layer, unit, k: TOP_K, direction }),
        ),
      ),
    [client, layer, unit],
  );
  const tokens = useQuery(ask);
  const scores: NeuronFactScore[] = facts.flatMap((fact) =>
    languageResults(fact, resultOf).flatMap(({ job, result }): NeuronFactScore[] => {
      const refined =
        fact.id === shown.fact.id
          ? shown.views.find((v) => v.language === job.prompt.language && v.refinement)
          : undefined;
      if (refined?.map && refined.refinement) {
        // The refined map's row: its mean score, and how many paraphrases select the neuron.
        const { map } = refined.map;
        const s = stabilityOf(refined.refinement, neuron);
        return [
          {
            fact: factLabel(fact),
            language: job.prompt.language,
            score: map.scores[layer * map.units + unit],
            tau: refined.refinement.tau,
            stability: { ...s, p: refined.refinement.p },
          },
        ];
      }
      return result
        ? [
            {
              fact: factLabel(fact),
              language: job.prompt.language,
              score: result.scores[layer * result.units + unit],
              maxScore: maxScore(result.scores),
              tau: tauFor(tau, job.prompt.language),
            },
          ]
        : [];
    }),
  );
  const logits = (i: 0 | 1) =>
    tokens.phase === 'ready'
      ? tokens.value[i].map((t) => ({ id: t.id, token: t.token, text: t.text, logit: t.score }))
      : [];
  return (
    <div className="results-neuron" ref={panel}>
      <NeuronPanel
        neuron={neuron}
        model={info.label}
        scores={scores}
        promoted={logits(0)}
        demoted={logits(1)}
        onClose={onClose}
      />
      {tokens.phase === 'loading' && <p className="note">Reading the value vector…</p>}
      {tokens.phase === 'error' && (
        <p className="error" role="alert">
          {tokens.error}
        </p>
      )}
    </div>
  );
}

export function ResultsPanel({
  client,
  info,
  fact,
  facts,
  settings,
  resultOf,
  tau,
  dispatch,
  selected,
  onSelect,
  paraphrases,
}: {
  client: EngineClient | undefined;
  info: ModelInfo | undefined;
  fact: Fact | undefined;
  facts: Fact[];
  settings: AttributionSettings;
  resultOf: ResultOf;
  tau: Record<string, number>;
  dispatch: (a: Action) => void;
  /** The neuron in detail (chosen here or in any analysis view); null closes it. */
  selected: Neuron | null;
  onSelect: (neuron: Neuron | null) => void;
  /** How a fact with several prompts in a language is shown (first, or refined at p). */
  paraphrases: ParaphraseMode;
}) {
  const onTau = useCallback(
    (language: string, t: number) => dispatch({ type: 'tau', language, tau: t }),
    [dispatch],
  );
  const onParaphrases = useCallback(
    (mode: ParaphraseMode) => dispatch({ type: 'analysis', update: { paraphrases: mode } }),
    [dispatch],
  );
  const views = useMemo(
    () => (fact ? languageViews(fact, resultOf, tau, paraphrases) : []),
    [fact, resultOf, tau, paraphrases],
  );
  if (!fact) return null;
  const maps: LanguageMap[] = views.flatMap((v) => (v.map ? [v.map] : []));
  const missing = views.filter((v) => !v.map).map((v) => v.language);
  return (
    <section
      className="panel"
      aria-labelledby="results-heading"
      data-testid="results-panel"
      data-maps={maps.length}
    >
      <div className="results-head">
        <h2 id="results-heading">
          Neuron maps: <span className="fact-title">{factLabel(fact)}</span>
        </h2>
        <ViewHelp view="map" />
      </div>
      <div className="results-layout">
        <div className="results-maps">
          {maps.length === 0 ? (
            <>
              <ParaphraseControl views={views} mode={paraphrases} onChange={onParaphrases} />
              <p className="note">No map for this fact yet: run it (Run, on the left).</p>
            </>
          ) : (
            <NeuronMaps
              maps={maps}
              onTauChange={onTau}
              selected={selected}
              onSelectNeuron={(layer, unit) => onSelect({ layer, unit })}
              controls={
                <ParaphraseControl views={views} mode={paraphrases} onChange={onParaphrases} />
              }
              notes={<ParaphraseNote views={views} />}
            />
          )}
          {maps.length > 0 && missing.length > 0 && (
            <p className="note">Not run yet in {missing.join(', ')}.</p>
          )}
        </div>
        {client && info && (
          // Beside the maps and in view while they scroll: a click on a neuron opens it here.
          // Keyed by the model: another model's predictions and tokens are asked anew.
          <aside className="results-side" key={info.key} aria-label="The selected neuron">
            {selected ? (
              <SelectedNeuron
                client={client}
                info={info}
                neuron={selected}
                facts={facts}
                resultOf={resultOf}
                tau={tau}
                shown={{ fact, views }}
                onClose={() => onSelect(null)}
              />
            ) : (
              maps.length > 0 && (
                <p className="note" data-testid="neuron-hint">
                  Click a neuron on a map or in a list to see its scores and the tokens it promotes
                  here.
                </p>
              )
            )}
            <Predictions client={client} fact={fact} settings={settings} />
          </aside>
        )}
      </div>
    </section>
  );
}
