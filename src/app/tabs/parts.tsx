/**
 * Pieces every analysis tab uses: the shown fact's picker, the run shell (an analysis's estimate
 * and run button, then its call's progress with Cancel, its error or its cancellation), and the
 * prompt to find the fact's knowledge neurons first.
 */
import type { ReactNode } from 'react';
import type { Fact } from '../../facts';
import type { AnalysisEstimate, ModelInfo } from '../../worker-api';
import { formatCount, formatPercent, formatSeconds } from '../format';
import { factLabel } from '../ResultsPanel';
import type { Action } from '../state';
import type { CallState, LongCall } from '../useLongCall';
import type { Query } from '../useQuery';
import { type OverlapControl, backendName } from './types';

/** Which of the explorer's facts the tab is about (the same fact as the neuron map's). */
export function FactPicker({
  facts,
  shown,
  dispatch,
}: {
  facts: Fact[];
  shown: Fact;
  dispatch: (a: Action) => void;
}) {
  return (
    <label className="analysis-fact">
      Fact
      <select
        value={shown.id}
        onChange={(e) => dispatch({ type: 'select', factId: e.target.value })}
        data-testid="analysis-fact"
      >
        {facts.map((f) => (
          <option key={f.id} value={f.id}>
            {factLabel(f)} ({f.prompts.map((p) => p.language).join(', ')})
          </option>
        ))}
      </select>
    </label>
  );
}

/** What an analysis will cost, and what of it is stored from an earlier run. */
function EstimateNote({
  estimate,
  backend,
  unit,
}: {
  estimate: Query<AnalysisEstimate>;
  backend: string;
  /** What the estimate's items are ("fact × language items", "prompts"). */
  unit?: string;
}) {
  if (estimate.phase === 'loading') return <p className="note">Estimating…</p>;
  if (estimate.phase === 'error')
    return (
      <p className="error" role="alert">
        {estimate.error}
      </p>
    );
  if (estimate.phase !== 'ready') return null;
  const e = estimate.value;
  return (
    <p
      className="note"
      data-testid="analysis-estimate"
      data-items={e.items}
      data-stored={e.stored}
      data-complete={e.complete}
      data-token-blocks={e.tokenBlocks}
    >
      {e.complete ? (
        'Stored from an earlier run: shown without computing.'
      ) : (
        <>
          About {formatCount(e.blocks)} block evaluations ({formatCount(e.tokenBlocks)}{' '}
          token-block), <strong>{formatSeconds(e.seconds)}</strong> on {backend} here
          {unit && `, for ${formatCount(e.items)} ${unit}`}
          {e.stored > 0 && `; ${formatCount(e.stored)} stored from an earlier run are reused`}.
        </>
      )}
      {e.failures.length > 0 && (
        <span className="error">
          {' '}
          {formatCount(e.failures.length)} cannot run: {e.failures[0].factId} (
          {e.failures[0].language}
          ): {e.failures[0].message}
          {e.failures.length > 1 && ` (and ${e.failures.length - 1} more)`}
        </span>
      )}
      {!e.persistent && ' Results will not be kept.'}
    </p>
  );
}

/**
 * A running call's progress bar, what it is doing and Cancel; then its error or "Cancelled".
 * Nothing when idle or done.
 */
export function CallStatus<R, P>({
  call,
  onCancel,
  measure,
  cancelledNote,
}: {
  call: CallState<R, P>;
  onCancel: () => void;
  /** Work done and to do, and a line on what is being done. */
  measure: (p: P) => { done: number; total: number; text?: ReactNode };
  cancelledNote?: string;
}) {
  if (call.phase === 'running') {
    const m = call.progress ? measure(call.progress) : { done: 0, total: 1 };
    return (
      <div
        className="run-progress"
        data-testid="analysis-progress"
        data-phase="running"
        data-done={m.done}
        data-total={m.total}
      >
        <div className="row">
          <progress max={m.total} value={m.done} aria-label="Progress" />
          <span aria-live="polite">Running: {formatPercent(m.done, m.total)}</span>
          <button type="button" onClick={onCancel} data-testid="cancel-analysis">
            Cancel
          </button>
        </div>
        {m.text && <p className="note">{m.text}</p>}
      </div>
    );
  }
  if (call.phase === 'error')
    return (
      <p className="error" role="alert" data-testid="analysis-error">
        {call.error}
      </p>
    );
  if (call.phase === 'cancelled')
    return (
      <p className="note" data-testid="analysis-cancelled">
        Cancelled.{cancelledNote && ` ${cancelledNote}`}
      </p>
    );
  return null;
}

/** The button that starts an analysis. */
export interface RunAction {
  label: string;
  testId: string;
  run: () => void;
  /** Disabled for another reason than a running call (it always is then). */
  disabled?: boolean;
}

/**
 * An analysis's run: until it has an answer (and while it can run), the worker's estimate, what
 * else the tab says about the run (`children`) and the button that starts it; then the call's
 * progress with Cancel, its error or "Cancelled".
 */
export function RunShell<R, P>({
  call,
  info,
  estimate,
  unit,
  canRun = true,
  action,
  children,
  measure,
  cancelledNote,
}: {
  call: LongCall<R, P>;
  info: ModelInfo;
  /** Left out where `children` say what the run costs. */
  estimate?: Query<AnalysisEstimate>;
  /** What the estimate's items are. */
  unit?: string;
  /** Whether there is anything to run (a data set with facts, a chosen set...). */
  canRun?: boolean;
  /** Left out where the view has the button. */
  action?: RunAction;
  children?: ReactNode;
  measure: (p: P) => { done: number; total: number; text?: ReactNode };
  cancelledNote?: string;
}) {
  return (
    <>
      {canRun && call.state.phase !== 'done' && (
        <>
          {estimate && <EstimateNote estimate={estimate} backend={backendName(info)} unit={unit} />}
          {children}
          {action && (
            <button
              type="button"
              className="primary"
              disabled={call.state.phase === 'running' || action.disabled}
              onClick={action.run}
              data-testid={action.testId}
            >
              {action.label}
            </button>
          )}
        </>
      )}
      <CallStatus
        call={call.state}
        onCancel={call.cancel}
        measure={measure}
        cancelledNote={cancelledNote}
      />
    </>
  );
}

/**
 * What a tab that works on the fact's neuron sets shows until its overlap is computed: why, and
 * the button that computes it, with the call's progress.
 */
export function NeedsOverlap({
  overlap,
  testId,
  buttonTestId,
  children,
}: {
  overlap: OverlapControl;
  testId: string;
  buttonTestId?: string;
  /** Why the tab needs it. */
  children: ReactNode;
}) {
  const { state, cancel } = overlap.call;
  return (
    <div className="analysis-needs" data-testid={testId}>
      <p className="note">{children}</p>
      <button
        type="button"
        disabled={state.phase === 'running'}
        onClick={overlap.run}
        data-testid={buttonTestId}
      >
        Find the fact’s knowledge neurons
      </button>
      <CallStatus call={state} onCancel={cancel} measure={(p) => p} />
    </div>
  );
}
