/**
 * The engine's calls that only pass a request on to the engine or its analyses, as one table:
 * what each is doing (its errors say "... while <doing>"), its run id when it is cancellable,
 * and what it runs. The worker turns every row into a method that runs in its queue
 * (`queuedCalls`), so the queueing, cancellation, progress and error rules are written once.
 */
import type { AnalysisEngine } from './analysis-engine';
import type { EngineApi } from './api';
import type { Engine } from './engine';

/** What the calls run on. */
export interface CallTargets {
  engine: Engine;
  analyses: AnalysisEngine;
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
) => Promise<T>;

type Queued =
  | 'unloadModel'
  | 'estimate'
  | 'predict'
  | 'valueVectorTokens'
  | 'factOverlap'
  | 'degenerate'
  | 'interventionLab'
  | 'applyEdit'
  | 'revertEdit'
  | 'datasetRun'
  | 'factCheck'
  | 'estimateAnalysis';

type ArgOf<F> = F extends (arg: infer A, ...rest: never[]) => unknown ? A : never;
type ProgressOf<F> = F extends (arg: never, onProgress: infer P) => unknown ? P : undefined;

interface QueuedCall<K extends Queued> {
  doing: string;
  /** The caller's run id, for the calls `cancel` can abort. */
  runId?: (arg: ArgOf<EngineApi[K]>) => string;
  run(
    on: CallTargets,
    arg: ArgOf<EngineApi[K]>,
    signal: AbortSignal,
    onProgress: ProgressOf<EngineApi[K]>,
  ): ReturnType<EngineApi[K]>;
}

const CALLS: { [K in Queued]: QueuedCall<K> } = {
  unloadModel: { doing: 'freeing the model', run: (on) => on.engine.unload() },
  estimate: { doing: 'estimating the run', run: (on, request) => on.engine.estimate(request) },
  predict: { doing: 'predicting', run: (on, request) => on.engine.predict(request) },
  valueVectorTokens: {
    doing: 'projecting the value vector',
    run: (on, request) => on.engine.valueVectorTokens(request),
  },
  factOverlap: {
    doing: 'comparing the languages',
    runId: (call) => call.runId,
    run: (on, call, signal, onProgress) => on.analyses.overlap(call, signal, onProgress),
  },
  degenerate: {
    doing: 'searching degenerate neurons',
    runId: (call) => call.runId,
    run: (on, call, signal, onProgress) => on.analyses.degenerate(call, signal, onProgress),
  },
  interventionLab: {
    doing: 'running the interventions',
    runId: (call) => call.runId,
    run: (on, call, signal, onProgress) => on.analyses.lab(call, signal, onProgress),
  },
  applyEdit: {
    doing: 'editing the weights',
    runId: (call) => call.runId,
    run: (on, call, signal, onProgress) => on.analyses.applyEdit(call, signal, onProgress),
  },
  revertEdit: { doing: 'reverting the edit', run: (on, id) => on.analyses.revertEdit(id) },
  datasetRun: {
    doing: 'running the data set',
    runId: (call) => call.runId,
    run: (on, call, signal, onProgress) => on.analyses.datasetRun(call, signal, onProgress),
  },
  factCheck: {
    doing: 'checking facts',
    runId: (call) => call.runId,
    run: (on, call, signal, onProgress) => on.analyses.factCheck(call, signal, onProgress),
  },
  estimateAnalysis: {
    doing: 'estimating the analysis',
    run: (on, request) => on.analyses.estimate(request),
  },
};

/** A comlink callback called without waiting for it; a closed page must not fail the call. */
export function fireAndForget<T>(cb: ((v: T) => void) | undefined): ((v: T) => void) | undefined {
  return cb && ((v) => void Promise.resolve(cb(v)).catch(() => {}));
}

/** The table's calls as EngineApi methods run by `guard` on `targets()` (read in the queue). */
export function queuedCalls(guard: Guard, targets: () => CallTargets): Pick<EngineApi, Queued> {
  const methods: Record<string, (arg: never, onProgress?: (p: unknown) => void) => unknown> = {};
  for (const [name, call] of Object.entries(CALLS) as [Queued, QueuedCall<Queued>][])
    methods[name] = (arg, onProgress) =>
      guard(
        call.doing,
        call.runId?.(arg),
        (signal): Promise<unknown> =>
          call.run(targets(), arg, signal, fireAndForget(onProgress) as never),
        onProgress,
      );
  return methods as unknown as Pick<EngineApi, Queued>;
}
