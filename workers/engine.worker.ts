/**
 * The engine's Web Worker: hosts onnxruntime-web and exposes `EngineApi` (src/worker-api) over
 * comlink. onnxruntime is imported lazily by src/runtime/web.ts, so it lands in its own chunk:
 * its WASM threads start workers from that chunk's URL, not from this file.
 *
 * This file wires the browser to the `Engine`: where model files come from (the app's own
 * /models/, the Hub through Cache Storage, picked files), run ids and cancellation, progress
 * callbacks, errors turned into user-facing messages, and the GPU device's `lost` promise.
 */
import { expose, releaseProxy, transfer } from 'comlink';
import { runProof } from '../src/runtime/proof';
import { createWebRuntime, type WebRuntime } from '../src/runtime/web';
import {
  FileListSource,
  UrlSource,
  cachedModels,
  hubSource,
  removeCachedModel,
} from '../src/weights';
import {
  BUNDLED_NAME,
  type EngineApi,
  type EngineEvent,
  type InitOptions,
  type LoadEvent,
  type ModelRequest,
} from '../src/worker-api/api';
import { AnalysisEngine } from '../src/worker-api/analysis-engine';
import { Engine, type SourceFactory } from '../src/worker-api/engine';
import { EngineError, toUserError } from '../src/worker-api/errors';
import { IdbResultStore } from '../src/worker-api/idb-store';
import { keepBodyErrors } from '../src/worker-api/model-cache';
import { Runs } from '../src/worker-api/runs';

/** The Cache Storage bucket that keeps Hub downloads for offline use. */
const MODEL_CACHE = 'kne-models-v1';

let started: { key: string; runtime: Promise<WebRuntime> } | undefined;
let engine: Engine | undefined;
let analyses: AnalysisEngine | undefined;
const runs = new Runs();
const listeners: ((e: EngineEvent) => void)[] = [];
let deviceLost: string | undefined;

function optionsKey(o: InitOptions): string {
  return JSON.stringify([o.backend ?? 'auto', o.engine ?? 'native', o.logLevel ?? 'error']);
}

async function runtime(): Promise<WebRuntime> {
  if (!started) throw new Error('the engine is not initialised: call init() first');
  return started.runtime;
}

/** Cache Storage exists only in secure contexts (https, localhost); elsewhere nothing is kept. */
async function modelCache(): Promise<Cache | undefined> {
  return typeof caches === 'undefined' ? undefined : keepBodyErrors(await caches.open(MODEL_CACHE));
}

const sources: SourceFactory = async (request: ModelRequest, onDownload) => {
  switch (request.kind) {
    case 'bundled': {
      if (!BUNDLED_NAME.test(request.name))
        throw new EngineError('EngineError', `"${request.name}" is not a bundled model name.`);
      const base = new URL(import.meta.env.BASE_URL, self.location.origin);
      return new UrlSource(request.name, new URL(`models/${request.name}/`, base).href, {
        // Past the HTTP cache: Vite's server (sirv) answers "Range: bytes=0-0" with the whole
        // file, and Chromium then keeps the cancelled body as a complete entry and serves that
        // cut copy to the next full download. The demo models are small; fetch them fresh.
        fetch: (input, init) => fetch(input, { ...init, cache: 'no-store' }),
      });
    }
    case 'hub':
      return hubSource(request.id.trim(), request.revision || 'main', {
        cache: await modelCache(),
        onProgress: onDownload,
      });
    case 'files':
      return new FileListSource(request.files, { id: `local:${request.label}` });
  }
};

/** Reports a lost GPU device to the UI; from then on every call fails with the reason. */
function watchDevice(rt: WebRuntime): void {
  rt.device?.lost.then((info) => {
    deviceLost = [info.reason, info.message].filter(Boolean).join(': ') || 'no reason given';
    const event: EngineEvent = {
      type: 'device-lost',
      message: toUserError(new Error('device lost'), { doing: '', deviceLost }).message,
    };
    for (const l of listeners) void Promise.resolve(l(event)).catch(() => {});
  });
}

function theEngine(): Engine {
  if (!engine) throw new Error('the engine is not initialised: call init() first');
  return engine;
}

function theAnalyses(): AnalysisEngine {
  if (!analyses) throw new Error('the engine is not initialised: call init() first');
  return analyses;
}

/**
 * Runs a call in the queue (cancellable by `runId`), then releases its progress callback and
 * turns any failure into an error the UI can show.
 */
async function guarded<T>(
  doing: string,
  runId: string | undefined,
  task: (signal: AbortSignal) => Promise<T>,
  callback?: unknown,
): Promise<T> {
  try {
    if (deviceLost !== undefined) throw new Error('device lost');
    return await runs.run(runId, task);
  } catch (e) {
    throw toUserError(e, { doing, deviceLost, checkpointBytes: engine?.info?.checkpointBytes });
  } finally {
    (callback as { [releaseProxy]?: () => void } | undefined)?.[releaseProxy]?.();
  }
}

/** A comlink callback called without waiting for it; a closed page must not fail the call. */
function fireAndForget<T>(cb: ((v: T) => void) | undefined): ((v: T) => void) | undefined {
  return cb && ((v) => void Promise.resolve(cb(v)).catch(() => {}));
}

/** The id UrlSource files a Hub model under in the cache ("id", or "id@revision"). */
function hubCacheId(request: Extract<ModelRequest, { kind: 'hub' }>): string {
  const revision = request.revision || 'main';
  return revision === 'main' ? request.id.trim() : `${request.id.trim()}@${revision}`;
}

/**
 * Loads a model; a Hub model that fails or is cancelled on its first download leaves nothing
 * in the cache (its config and tokenizer would otherwise be listed as a downloaded model). A
 * model that was complete in the cache before stays, whatever the failure.
 */
async function loadKeepingCacheClean(
  request: ModelRequest,
  signal: AbortSignal,
  onProgress?: (e: LoadEvent) => void,
) {
  const cache = request.kind === 'hub' ? await modelCache() : undefined;
  const id = request.kind === 'hub' ? hubCacheId(request) : '';
  const before = cache ? (await cachedModels(cache)).some((m) => m.id === id) : true;
  try {
    return await theEngine().load(request, signal, onProgress);
  } catch (e) {
    if (cache && !before) await removeCachedModel(cache, id);
    throw e;
  }
}

const api: EngineApi = {
  async init(options = {}) {
    const key = optionsKey(options);
    if (started && started.key !== key) {
      throw new Error(
        `init: already started with ${started.key}; create a new engine client for ${key}`,
      );
    }
    if (!started) {
      const pending = createWebRuntime(options).then((rt) => {
        engine = new Engine(rt, sources);
        // Analysis results live in IndexedDB, so dataset runs resume after a reload.
        analyses = new AnalysisEngine(engine, () => IdbResultStore.open());
        watchDevice(rt);
        return rt;
      });
      started = { key, runtime: pending };
      pending.catch(() => {
        if (started?.runtime === pending) started = undefined; // allow a retry
      });
    }
    return (await started.runtime).info;
  },

  // In the queue: the proof creates sessions, which must not overlap a model's (WebGPU EP).
  async selfTest() {
    const rt = await runtime();
    return guarded('checking the engine', undefined, () => runProof(rt));
  },

  async subscribe(listener) {
    listeners.push(listener);
  },

  loadModel(request, runId, onProgress) {
    return guarded(
      'loading the model',
      runId,
      (signal) => loadKeepingCacheClean(request, signal, fireAndForget(onProgress)),
      onProgress,
    );
  },

  async modelInfo() {
    return engine?.info ?? null;
  },

  unloadModel() {
    return guarded('freeing the model', undefined, () => theEngine().unload());
  },

  async cachedModels() {
    const cache = await modelCache();
    return cache ? cachedModels(cache) : [];
  },

  async removeCachedModel(id) {
    const cache = await modelCache();
    return cache ? removeCachedModel(cache, id) : 0;
  },

  estimate(request) {
    return guarded('estimating the run', undefined, () => theEngine().estimate(request));
  },

  async attribute(request, onProgress) {
    const result = await guarded(
      'running the attribution',
      request.runId,
      (signal) => theEngine().attribute(request, signal, fireAndForget(onProgress)),
      onProgress,
    );
    return transfer(result, [result.scores.buffer, result.activations.buffer]);
  },

  predict(request) {
    return guarded('predicting', undefined, () => theEngine().predict(request));
  },

  valueVectorTokens(request) {
    return guarded('projecting the value vector', undefined, () =>
      theEngine().valueVectorTokens(request),
    );
  },

  factOverlap(call, onProgress) {
    return guarded(
      'comparing the languages',
      call.runId,
      (signal) => theAnalyses().overlap(call, signal, fireAndForget(onProgress)),
      onProgress,
    );
  },

  degenerate(call, onProgress) {
    return guarded(
      'searching degenerate neurons',
      call.runId,
      (signal) => theAnalyses().degenerate(call, signal, fireAndForget(onProgress)),
      onProgress,
    );
  },

  interventionLab(call, onProgress) {
    return guarded(
      'running the interventions',
      call.runId,
      (signal) => theAnalyses().lab(call, signal, fireAndForget(onProgress)),
      onProgress,
    );
  },

  applyEdit(call, onProgress) {
    return guarded(
      'editing the weights',
      call.runId,
      (signal) => theAnalyses().applyEdit(call, signal, fireAndForget(onProgress)),
      onProgress,
    );
  },

  revertEdit(id) {
    return guarded('reverting the edit', undefined, () => theAnalyses().revertEdit(id));
  },

  datasetRun(call, onProgress) {
    return guarded(
      'running the data set',
      call.runId,
      (signal) => theAnalyses().datasetRun(call, signal, fireAndForget(onProgress)),
      onProgress,
    );
  },

  factCheck(call, onProgress) {
    return guarded(
      'checking facts',
      call.runId,
      (signal) => theAnalyses().factCheck(call, signal, fireAndForget(onProgress)),
      onProgress,
    );
  },

  estimateAnalysis(request) {
    return guarded('estimating the analysis', undefined, () => theAnalyses().estimate(request));
  },

  async cancel(runId) {
    runs.cancel(runId);
  },
};

expose(api);
