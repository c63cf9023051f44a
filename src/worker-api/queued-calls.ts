/**
 * The engine's calls that only pass a request on, as two tables: the API's calls that the
 * `Engine` method of the same name answers, and those that the `AnalysisEngine` one does, each
 * with what it is doing (its errors say "... while <doing>") and whether `cancel` can abort it
 * (its request carries a run id). `queuedCalls` turns every row into a method that runs in the
 * worker's queue, so the queueing, cancellation, progress and error rules are written once;
 * `Serves` makes the compiler check that each target's method fits the API's call.
 */
import type { EngineApi } from './api';

interface Row {
  doing: string;
  cancellable?: true;
}

const ENGINE_CALLS = {
  unloadModel: { doing: 'freeing the model' },
  estimate: { doing: 'estimating the run' },
  predict: { doing: 'predicting' },
  valueVectorTokens: { doing: 'projecting the value vector' },
} satisfies Record<string, Row>;

const ANALYSIS_CALLS = {
  factOverlap: { doing: 'comparing the languages', cancellable: true },
  degenerate: { doing: 'searching degenerate neurons', cancellable: true },
  interventionLab: { doing: 'running the interventions', cancellable: true },
  applyEdit: { doing: 'editing the weights', cancellable: true },
  revertEdit: { doing: 'reverting the edit' },
  datasetRun: { doing: 'running the data set', cancellable: true },
  factCheck: { doing: 'checking facts', cancellable: true },
  estimateAnalysis: { doing: 'estimating the analysis' },
} satisfies Record<string, Row>;

export type EngineCall = keyof typeof ENGINE_CALLS;
export type AnalysisCall = keyof typeof ANALYSIS_CALLS;

type ArgOf<F> = F extends (arg: infer A, ...rest: never[]) => unknown ? A : never;
type ProgressOf<F> = F extends (arg: never, onProgress: infer P) => unknown ? P : undefined;

/** Methods named as the API's calls K, taking the call's argument, the queue's signal and progress. */
export type Serves<K extends keyof EngineApi> = {
  [P in K]: (
    arg: ArgOf<EngineApi[P]>,
    signal: AbortSignal,
    onProgress: ProgressOf<EngineApi[P]>,
  ) => ReturnType<EngineApi[P]>;
};

/** What the calls run on. */
export interface CallTargets {
  engine: Serves<EngineCall>;
  analyses: Serves<AnalysisCall>;
}

/**
 * The worker's queue: runs `task` after the calls before it, cancellable by `runId`, releases
 * `callback` (a comlink proxy) when done and turns a failure into an error the UI shows.
 */
export type Guard = <T>(
  doing: string,
  runId: string | undefined,
  task: (signal: AbortSignal) => Promise<T>,
  callback?: unknown,
  /** The call's request, for its errors (the settings a run used). */
  request?: unknown,
) => Promise<T>;

/** A comlink callback called without waiting for it; a closed page must not fail the call. */
export function fireAndForget<T>(cb: ((v: T) => void) | undefined): ((v: T) => void) | undefined {
  return cb && ((v) => void Promise.resolve(cb(v)).catch(() => {}));
}

type Method = (arg: unknown, signal: AbortSignal, onProgress: unknown) => Promise<unknown>;

/** The tables' calls as EngineApi methods run by `guard` on `targets()` (read in the queue). */
export function queuedCalls(
  guard: Guard,
  targets: () => CallTargets,
): Pick<EngineApi, EngineCall | AnalysisCall> {
  const methods: Record<string, (arg: unknown, onProgress?: (p: unknown) => void) => unknown> = {};
  const add = (target: keyof CallTargets, rows: Record<string, Row>) => {
    for (const [name, { doing, cancellable }] of Object.entries(rows))
      methods[name] = (arg, onProgress) =>
        guard(
          doing,
          cancellable ? (arg as { runId: string }).runId : undefined,
          (signal) => {
            const on = targets()[target] as unknown as Record<string, Method>;
            return on[name](arg, signal, fireAndForget(onProgress));
          },
          onProgress,
          arg,
        );
  };
  add('engine', ENGINE_CALLS);
  add('analyses', ANALYSIS_CALLS);
  return methods as unknown as Pick<EngineApi, EngineCall | AnalysisCall>;
}
