/**
 * Step 3, the run: the settings, what the run will cost before it starts (passes, block
 * evaluations, seconds on this device), then progress per fact and language, and Cancel.
 */
import type { MultiTokenMode } from '../attribution/prompt';
import {
  type AttributionMethod,
  type AttributionSettings,
  STEPS,
  TAP_MODES,
  resolveSettings,
  takesSteps,
  tapModeProblem,
} from '../attribution/settings';
import type { Fact } from '../facts';
import type { TapMode } from '../model';
import type { ModelInfo } from '../worker-api';
import { formatCount, formatPercent, formatSeconds } from './format';
import type { Action } from './state';
import type { EstimateState } from './useEstimate';
import type { RunItem, RunState } from './useRun';

const METHODS: { value: AttributionMethod; label: string }[] = [
  { value: 'amig', label: 'AMIG (default)' },
  { value: 'ig', label: 'Integrated gradients (Dai et al.)' },
  { value: 'grad-x-act', label: 'Gradient × activation (an approximation, one pass)' },
];

const TAPS: { value: TapMode; label: string }[] = [
  { value: 'post-activation', label: 'after the activation (default)' },
  { value: 'pre-activation', label: 'before the activation (GPT reference mode)' },
  { value: 'gate', label: 'the gate activation silu(gate) alone (LLaMA family)' },
];

/** Why the settings' tap cannot run on the loaded model, if it cannot. */
function tapProblem(settings: AttributionSettings, info: ModelInfo | undefined) {
  return info && tapModeProblem(info.config.family, info.config.modelType, settings.tapMode);
}

const MULTI: { value: MultiTokenMode; label: string }[] = [
  { value: 'per-token', label: 'each token at its own slot, averaged (default)' },
  { value: 'reference', label: 'all tokens at one slot, summed (reference mode)' },
];

function Settings({
  settings,
  info,
  dispatch,
  disabled,
}: {
  settings: AttributionSettings;
  info: ModelInfo | undefined;
  dispatch: (a: Action) => void;
  disabled: boolean;
}) {
  const set = (s: Partial<AttributionSettings>) => dispatch({ type: 'settings', settings: s });
  const oneStep = !takesSteps(settings.method);
  return (
    <div className="settings">
      <fieldset disabled={disabled}>
        <legend>Attribution</legend>
        <label>
          Method
          <select
            value={settings.method}
            onChange={(e) => set({ method: e.target.value as AttributionMethod })}
            data-testid="setting-method"
          >
            {METHODS.map((m) => (
              <option key={m.value} value={m.value}>
                {m.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Steps m
          <input
            type="number"
            min={STEPS.min}
            max={STEPS.max}
            value={resolveSettings(settings).steps}
            disabled={oneStep}
            onChange={(e) => {
              const m = Math.round(Number(e.target.value));
              if (m >= STEPS.min && m <= STEPS.max) set({ steps: m });
            }}
            data-testid="setting-steps"
          />
        </label>
        <label>
          Tap
          <select
            value={settings.tapMode}
            onChange={(e) => set({ tapMode: e.target.value as TapMode })}
            data-testid="setting-tap"
          >
            {TAPS.filter(
              // The loaded model's family's taps; the chosen one stays listed to show it.
              (t) =>
                !info ||
                TAP_MODES[info.config.family].includes(t.value) ||
                t.value === settings.tapMode,
            ).map((t) => (
              <option
                key={t.value}
                value={t.value}
                disabled={!!info && !TAP_MODES[info.config.family].includes(t.value)}
              >
                {t.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Objects of several tokens
          <select
            value={settings.multiToken}
            onChange={(e) => set({ multiToken: e.target.value as MultiTokenMode })}
            data-testid="setting-multi"
          >
            {MULTI.map((t) => (
              <option key={t.value} value={t.value}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
    </div>
  );
}

function EstimateLine({
  estimate,
  info,
}: {
  estimate: EstimateState;
  info: ModelInfo | undefined;
}) {
  if (estimate.phase === 'estimating')
    return (
      <p className="note">
        Estimating the run (the first time, this times a few blocks of the model on this device)…
      </p>
    );
  if (estimate.phase === 'error')
    return (
      <p className="error" role="alert">
        {estimate.error}
      </p>
    );
  if (estimate.phase !== 'ready') return null;
  const { total } = estimate.estimate;
  const bad = estimate.estimate.items.filter((i) => !i.ok).length;
  const backend = info?.backend === 'webgpu' ? 'WebGPU' : 'WASM';
  return (
    <p
      data-testid="estimate"
      data-passes={total.passes}
      data-forward={total.counts.forward}
      data-backward={total.counts.backward}
      data-token-blocks={total.counts.forwardTokens + total.counts.backwardTokens}
    >
      <strong>
        {total.prompts} prompt{total.prompts === 1 ? '' : 's'} to run
      </strong>
      : {formatCount(total.passes)} attribution pass{total.passes === 1 ? '' : 'es'} (one per object
      token), {formatCount(total.counts.forwardTokens + total.counts.backwardTokens)} token-block
      evaluations (one position through one block) in {formatCount(total.counts.forward)} forward
      and {formatCount(total.counts.backward)} backward block evaluations, about{' '}
      <strong>{formatSeconds(total.seconds)}</strong> on {backend} here.
      {bad > 0 && (
        <span className="error">
          {' '}
          {bad} prompt{bad === 1 ? '' : 's'} cannot run (see the facts).
        </span>
      )}
    </p>
  );
}

function itemLabel(item: RunItem, facts: Fact[]): string {
  const f = facts.find((x) => x.id === item.job.fact.id) ?? item.job.fact;
  return `${f.subject ?? f.prompts[0]?.text ?? f.id} · ${item.job.prompt.language}`;
}

function Progress({
  run,
  facts,
  onCancel,
}: {
  run: RunState;
  facts: Fact[];
  onCancel: () => void;
}) {
  if (run.phase === 'idle') return null;
  const total = run.items.length;
  const done = run.items.reduce((s, i) => {
    if (i.status.state === 'running') return s + i.status.done / Math.max(1, i.status.total);
    return s + (i.status.state === 'queued' ? 0 : 1);
  }, 0);
  const failed = run.items.filter((i) => i.status.state === 'error').length;
  return (
    <div className="run-progress" data-testid="run-progress" data-phase={run.phase}>
      <div className="row">
        <progress max={total} value={done} aria-label="Run progress" />
        <span aria-live="polite">
          {run.phase === 'running' && `Running: ${formatPercent(done, total)}`}
          {run.phase === 'finished' && `Finished${failed ? `, ${failed} failed` : ''}.`}
          {run.phase === 'cancelled' && 'Cancelled.'}
        </span>
        {run.phase === 'running' && (
          <button type="button" onClick={onCancel} data-testid="cancel-run">
            Cancel
          </button>
        )}
      </div>
      <ol className="run-items">
        {run.items.map((item) => (
          <li key={item.key} data-state={item.status.state}>
            {itemLabel(item, facts)}: {item.status.state === 'queued' && 'waiting'}
            {/* The last step still runs at done = total: "done" is said once, when it is. */}
            {item.status.state === 'running' &&
              `running, ${formatPercent(Math.min(item.status.done, item.status.total - 1), item.status.total)}`}
            {item.status.state === 'done' &&
              (item.status.from === 'cache' ? 'done (cached)' : 'done')}
            {item.status.state === 'cancelled' && 'cancelled'}
            {item.status.state === 'error' && <span className="error">{item.status.error}</span>}
          </li>
        ))}
      </ol>
    </div>
  );
}

export function RunPanel({
  settings,
  info,
  facts,
  dispatch,
  estimate,
  pending,
  runnable,
  run,
  onRun,
  onCancel,
}: {
  settings: AttributionSettings;
  info: ModelInfo | undefined;
  facts: Fact[];
  dispatch: (a: Action) => void;
  estimate: EstimateState;
  /** Prompts without a map for these settings. */
  pending: number;
  /** Of those, the prompts that can run (the estimate refuses the others, with the reason). */
  runnable: number;
  run: RunState;
  onRun: () => void;
  onCancel: () => void;
}) {
  const running = run.phase === 'running';
  const blocked = !info
    ? 'Load a model first.'
    : facts.length === 0
      ? 'Add a fact first.'
      : tapProblem(settings, info);
  return (
    <section className="panel" aria-labelledby="run-heading" data-testid="run-panel">
      <h2 id="run-heading">Run</h2>
      <Settings settings={settings} info={info} dispatch={dispatch} disabled={running} />
      {blocked ? (
        <p className="note" data-testid="run-blocked">
          {blocked}
        </p>
      ) : pending === 0 ? (
        <p className="note" data-testid="all-ready">
          Every prompt has its map for these settings.
        </p>
      ) : (
        <EstimateLine estimate={estimate} info={info} />
      )}
      <div className="row">
        <button
          type="button"
          className="primary"
          onClick={onRun}
          disabled={!!blocked || running || runnable === 0}
          data-testid="run"
        >
          {runnable > 0 ? `Run ${runnable} prompt${runnable === 1 ? '' : 's'}` : 'Run'}
        </button>
      </div>
      <Progress run={run} facts={facts} onCancel={onCancel} />
    </section>
  );
}
