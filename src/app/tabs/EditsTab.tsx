/**
 * Weight edits (Dai et al.): erase the value vectors of a neuron set of the shown fact, or move
 * them towards a new object, and read every prompt of the fact before and after, in every
 * language. An edit stays applied (the whole app then works on the edited model, and caches
 * nothing) until it is reverted; a revert predicts the prompts again to show they are restored.
 */
import { useState } from 'react';
import type { Fact } from '../../facts';
import { RadioGroup } from '../../views/kit/controls';
import {
  NeuronSetChooser,
  WeightEditView,
  choiceProblem,
  chosenNeurons,
} from '../../views/analysis';
import { formatProbability } from '../../views/format';
import type { EditAnswer, FactEdit, ModelInfo, ServiceProgress } from '../../worker-api';
import { type NeuronSetSources, neuronSetName } from '../../analysis/neuron-sets';
import type { AnalysisState, EditFormState } from '../analysis-state';
import { errorText } from '../errors';
import type { LongCall } from '../useLongCall';
import { factTitle } from '../format';
import { factSubject } from './OverlapTab';
import { CallStatus, NeedsOverlap } from './parts';
import type { OverlapControl, TabBase } from './types';

export type EditCall = LongCall<EditAnswer, ServiceProgress>;

/** A prompt predicted again after a revert, against its probability before the edit. */
interface Restored {
  language: string;
  text: string;
  object: string;
  before: number;
  edited: number;
  now: number;
}

/** Reverting swaps the original tensors back, so the predictions are the same bit for bit. */
const TOLERANCE = 1e-6;

export interface EditsTabProps extends TabBase {
  fact: Fact;
  /** The session's facts, to name the fact of each edit in force. */
  facts: Fact[];
  call: EditCall;
  /** The fact's sets (its overlap and degenerate groups). */
  sources: NeuronSetSources;
  /** The overlap they come from, to compute it here when it is missing. */
  overlap: OverlapControl;
  onModelInfo: (info: ModelInfo) => void;
}

export function EditsTab(props: EditsTabProps) {
  const { client, info, settings, fact, call, sources, analysis, dispatch } = props;
  const form = analysis.edit;
  const editedFact = (id: string) => {
    const f = props.facts.find((x) => x.id === id);
    return f ? factTitle(f) : 'no longer in the list';
  };
  const setForm = (edit: EditFormState) =>
    dispatch({ type: 'analysis', update: { edit } satisfies Partial<AnalysisState> });
  const [revert, setRevert] = useState<
    { phase: 'running' } | { phase: 'error'; error: string } | { phase: 'done'; rows: Restored[] }
  >();

  const { numLayers: layers, intermediateSize: units } = info.config;
  const problem = choiceProblem(form.choice, layers, units);
  const neurons = form.choice && !problem ? chosenNeurons(form.choice, sources, layers, units) : [];
  const languages = [...new Set(fact.prompts.map((p) => p.language))];
  const newObjects = Object.fromEntries(
    Object.entries(form.newObjects).filter(([l, o]) => languages.includes(l) && o.trim()),
  );
  const ready = neurons.length > 0 && (form.kind === 'erase' || Object.keys(newObjects).length > 0);
  const running = call.state.phase === 'running';

  const apply = () => {
    if (!form.choice || !ready) return;
    const edit: FactEdit =
      form.kind === 'erase'
        ? { kind: 'erase' }
        : { kind: 'update', newObjects, lambda: form.lambda };
    setRevert(undefined);
    call.start(async (runId, onProgress) => {
      const answer = await client.applyEdit(
        { runId, fact, neurons, edit, settings, label: neuronSetName(form.choice!) },
        onProgress,
      );
      props.onModelInfo(answer.info);
      return answer;
    });
  };

  const answer = call.state.phase === 'done' ? call.state.result : null;
  const undo = async (ids: string[]) => {
    setRevert({ phase: 'running' });
    try {
      let now = info;
      for (const id of ids) now = await client.revertEdit(id);
      props.onModelInfo(now);
      const rows: Restored[] = [];
      if (answer && !now.edits.some((e) => e.id === answer.edit.id))
        for (const p of answer.report.prompts) {
          const [prediction] = await client.predict({
            prompt: p.text,
            object: p.object,
            tapMode: settings.tapMode,
            multiToken: settings.multiToken,
          });
          rows.push({
            language: p.language,
            text: p.text,
            object: p.object,
            before: p.before.probability,
            edited: p.after.probability,
            now: prediction.probability,
          });
        }
      setRevert({ phase: 'done', rows });
    } catch (e) {
      setRevert({ phase: 'error', error: errorText(e) });
    }
  };

  const applied = answer && info.edits.some((e) => e.id === answer.edit.id);
  return (
    <div className="analysis-tab" data-testid="edits-tab">
      {props.overlap.call.state.phase !== 'done' && (
        <NeedsOverlap overlap={props.overlap} testId="edit-needs-overlap">
          {info.edits.length
            ? 'The model is edited: its knowledge neurons are found again on the edited weights. '
            : ''}
          The sets of knowledge neurons come from the fact’s language overlap; hand-picked neurons
          need none.
        </NeedsOverlap>
      )}
      <div className="kn-analysis-toolbar">
        <NeuronSetChooser
          sources={sources}
          layers={info.config.numLayers}
          units={info.config.intermediateSize}
          value={form.choice}
          onChange={(choice) => setForm({ ...form, choice })}
          selected={props.selected}
          onSelectNeuron={props.onSelectNeuron}
        />
      </div>
      <div className="kn-analysis-toolbar">
        <RadioGroup
          legend="Edit"
          value={form.kind}
          options={[
            ['erase', 'erase (set the value vectors to zero)'],
            ['update', 'update towards a new object'],
          ]}
          onChange={(kind) =>
            setForm({
              ...form,
              kind,
              // Offer the fact set's first wrong object where the user has written none.
              newObjects: Object.fromEntries(
                languages.map((l) => [l, form.newObjects[l] ?? fact.wrongObjects?.[l]?.[0] ?? '']),
              ),
            })
          }
        />
      </div>
      {form.kind === 'update' && (
        <fieldset className="row wrap edit-update">
          <legend>New object</legend>
          {languages.map((l) => (
            <label key={l}>
              {l}
              <input
                type="text"
                value={form.newObjects[l] ?? ''}
                onChange={(e) =>
                  setForm({ ...form, newObjects: { ...form.newObjects, [l]: e.target.value } })
                }
                data-testid={`edit-new-${l}`}
              />
            </label>
          ))}
          <label>
            λ
            <input
              type="number"
              step={0.5}
              value={form.lambda}
              onChange={(e) => {
                const v = Number(e.target.value);
                if (Number.isFinite(v) && Math.abs(v) <= 100) setForm({ ...form, lambda: v });
              }}
              data-testid="edit-lambda"
            />
          </label>
        </fieldset>
      )}
      <div className="row">
        <button
          type="button"
          className="primary"
          disabled={!ready || running}
          onClick={apply}
          data-testid="apply-edit"
        >
          {form.kind === 'erase' ? 'Erase' : 'Update'} the value vectors of {neurons.length} neuron
          {neurons.length === 1 ? '' : 's'}
        </button>
        {!form.choice && <span className="note">Choose the neurons to edit.</span>}
        {problem && (
          <span className="error" data-testid="edit-run-hint">
            {problem}
          </span>
        )}
      </div>
      <CallStatus call={call.state} onCancel={call.cancel} measure={(p) => p} />

      {info.edits.length > 0 && (
        <div className="active-edits" data-testid="active-edits">
          <h3>Edits in force</h3>
          <ul>
            {info.edits.map((e) => (
              <li key={e.id}>
                {e.kind} of {e.label} ({e.neurons.length} neuron{e.neurons.length === 1 ? '' : 's'}
                ), fact {editedFact(e.factId)}{' '}
                <button
                  type="button"
                  disabled={revert?.phase === 'running'}
                  onClick={() => void undo([e.id])}
                >
                  Revert
                </button>
              </li>
            ))}
          </ul>
          {info.edits.length > 1 && (
            <button
              type="button"
              disabled={revert?.phase === 'running'}
              onClick={() => void undo(info.edits.map((e) => e.id).reverse())}
            >
              Revert all
            </button>
          )}
        </div>
      )}
      {revert?.phase === 'error' && (
        <p className="error" role="alert">
          {revert.error}
        </p>
      )}
      {revert?.phase === 'done' && revert.rows.length > 0 && <RestoredTable rows={revert.rows} />}

      {answer && (
        <>
          <p className="note" data-testid="edit-status" data-applied={applied ? 'yes' : 'no'}>
            {applied
              ? 'This edit is in force: every result of the app is now of the edited model.'
              : 'This edit has been reverted; its report is what it did while applied.'}
          </p>
          <WeightEditView
            report={answer.report}
            context={{ model: info.label, subject: factSubject(fact) }}
            selected={props.selected}
            onSelectNeuron={props.onSelectNeuron}
            width={props.chartWidth}
          />
        </>
      )}
    </div>
  );
}

function RestoredTable({ rows }: { rows: Restored[] }) {
  const restored = rows.every((r) => Math.abs(r.now - r.before) <= TOLERANCE);
  return (
    <div data-testid="edit-restored" data-restored={restored ? 'yes' : 'no'}>
      <p>
        {restored
          ? 'Reverted: every prompt is predicted as before the edit.'
          : 'Reverted, but some predictions differ from before the edit (another edit may still be in force).'}
      </p>
      <table className="kn-table">
        <thead>
          <tr>
            <th scope="col">language</th>
            <th scope="col">prompt</th>
            <th scope="col" className="kn-num">
              P before
            </th>
            <th scope="col" className="kn-num">
              P edited
            </th>
            <th scope="col" className="kn-num">
              P now
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              <td>{r.language}</td>
              <td>
                <span className="kn-prompt">{r.text}</span> → {r.object}
              </td>
              <td className="kn-num">{formatProbability(r.before)}</td>
              <td className="kn-num">{formatProbability(r.edited)}</td>
              <td className="kn-num">{formatProbability(r.now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
