/**
 * The engine's Web Worker: hosts onnxruntime-web and exposes `EngineApi` (src/worker-api) over
 * comlink. onnxruntime is imported lazily by src/runtime/web.ts, so it lands in its own chunk:
 * its WASM threads start workers from that chunk's URL, not from this file.
 *
 * This file only wires the browser to the engine: the runtime and its options, Cache Storage
 * and IndexedDB, the call queue with its cancellation, progress callbacks and user-facing
 * errors, and the GPU device's `lost` promise. Which files a model request opens, and the Hub
 * cache's clean-up, are src/worker-api/sources.ts; the pass-through calls are one table in
 * src/worker-api/queued-calls.ts.
 */
import { expose, releaseProxy, transfer } from 'comlink';
import type { WeightSummary } from '../src/model';
import { runProof } from '../src/runtime/proof';
import { WASM_HEAP_BYTES } from '../src/runtime/runtime';
import { createWebRuntime, type WebRuntime } from '../src/runtime/web';
import { cachedModels, modelId, removeCachedModel } from '../src/weights';
import { assessSource, backendsOf } from '../src/worker-api/assess';
import { AnalysisEngine } from '../src/worker-api/analysis-engine';
import type { EngineApi, EngineEvent, InitOptions, ModelRequest } from '../src/worker-api/api';
import { Engine, type SourceFactory } from '../src/worker-api/engine';
import { type ErrorContext, toUserError } from '../src/worker-api/errors';
import { IdbResultStore } from '../src/worker-api/idb-store';
import { keepBodyErrors } from '../src/worker-api/model-cache';
import { fireAndForget, queuedCalls } from '../src/worker-api/queued-calls';
import { Runs } from '../src/worker-api/runs';
import { keepingCacheClean, openSource } from '../src/worker-api/sources';

/** The Cache Storage bucket that keeps Hub downloads for offline use. */
const MODEL_CACHE = 'kne-models-v1';

let started: { key: string; runtime: Promise<WebRuntime> } | undefined;
let engine: Engine | undefined;
let analyses: AnalysisEngine | undefined;
const runs = new Runs();
const listeners: ((e: EngineEvent) => void)[] = [];
let deviceLost: string | undefined;
/** Whether this worker was started for end-to-end tests (InitOptions.testHooks). */
let testHooks = false;
/** Test hook: the next attribution destroys the GPU device at its first progress report. */
let loseDeviceInNextRun = false;

function optionsKey(o: InitOptions): string {
  return JSON.stringify([
    o.backend ?? 'auto',
    o.engine ?? null,
    o.logLevel ?? 'error',
    o.threads ?? null,
    o.testHooks ?? null,
  ]);
}

/** An adapter request that fails, as on a machine whose GPU did not come back. */
const noAdapter = async (): Promise<GPUAdapter | null> => null;

async function runtime(): Promise<WebRuntime> {
  if (!started) throw new Error('the engine is not initialised: call init() first');
  return started.runtime;
}

/** Cache Storage exists only in secure contexts (https, localhost); elsewhere nothing is kept. */
async function modelCache(): Promise<Cache | undefined> {
  return typeof caches === 'undefined' ? undefined : keepBodyErrors(await caches.open(MODEL_CACHE));
}

const sources: SourceFactory = async (request, onDownload) =>
  openSource(request, {
    appUrl: new URL(import.meta.env.BASE_URL, self.location.origin).href,
    openCache: modelCache,
    onDownload,
  });

/**
 * Reports a lost GPU device to the UI; from then on every call fails with the reason.
 * onnxruntime-web binds its WebGPU device once per instance, so a new device needs a new worker:
 * the UI makes one (src/app/useEngine.ts).
 */
function watchDevice(rt: WebRuntime): void {
  rt.device?.lost.then((info) => {
    deviceLost = [info.reason, info.message].filter(Boolean).join(': ') || 'no reason given';
    const event: EngineEvent = { type: 'device-lost', reason: deviceLost };
    for (const l of listeners) void Promise.resolve(l(event)).catch(() => {});
  });
}

/** What this page's backends allow, for the fit of a model before it is read. */
function pageBackends(rt: WebRuntime) {
  const deviceMemory = (navigator as { deviceMemory?: number }).deviceMemory;
  return backendsOf({
    backend: rt.info.backend,
    limits: rt.limits,
    threads: rt.info.threads ?? 1,
    wasmHeapBytes: WASM_HEAP_BYTES,
    ...(deviceMemory ? { deviceMemoryGiB: deviceMemory } : {}),
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
 * Whether the weights are float32 where the 16-bit setting would round them: a model being
 * loaded without the setting, or a loaded one with float32 weights it did not round.
 */
function holdsFloat32(request: unknown, weights: WeightSummary | undefined): boolean {
  const load = request as Partial<ModelRequest> | undefined;
  if (load?.kind !== undefined) return !load.float32As16;
  return !!weights && !weights.rounded && weights.float16Bytes < weights.deviceBytes;
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
  request?: unknown,
): Promise<T> {
  try {
    if (deviceLost !== undefined) throw new Error('device lost');
    return await runs.run(runId, task);
  } catch (e) {
    const info = engine?.info;
    throw toUserError(e, {
      doing,
      deviceLost,
      checkpointBytes: info?.checkpointBytes,
      model: info?.id ?? requestedModel(request),
      backend:
        started &&
        (await started.runtime.then(
          (rt) => rt.info.backend,
          () => undefined,
        )),
      settings: (request as { settings?: ErrorContext['settings'] } | undefined)?.settings,
      float32Weights: holdsFloat32(request, info?.weights),
    });
  } finally {
    (callback as { [releaseProxy]?: () => void } | undefined)?.[releaseProxy]?.();
  }
}

/** The model a load request names, for its errors. */
function requestedModel(request: unknown): string | undefined {
  const r = request as ModelRequest | undefined;
  return r?.kind ? modelId(r) : undefined;
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
      testHooks = !!options.testHooks;
      const requestAdapter = options.testHooks?.noAdapter ? noAdapter : undefined;
      const pending = createWebRuntime({ ...options, requestAdapter }).then((rt) => {
        engine = new Engine(rt, sources, { backends: pageBackends(rt) });
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

  async testHook(hook) {
    if (!testHooks) throw new Error('test hooks are off: start the engine with testHooks');
    const rt = await runtime();
    if (!rt.device) throw new Error(`${hook}: the engine runs on WASM, not on a GPU`);
    if (hook === 'lose-device-in-next-run') loseDeviceInNextRun = true;
    else {
      rt.device.destroy();
      await rt.device.lost;
    }
  },

  loadModel(request, runId, onProgress) {
    return guarded(
      'loading the model',
      runId,
      (signal) =>
        keepingCacheClean(request, modelCache, () =>
          theEngine().load(request, signal, fireAndForget(onProgress)),
        ),
      onProgress,
      request,
    );
  },

  async assessModel(request) {
    const rt = await runtime();
    try {
      // A model not downloaded yet stays out of the cache: only a load puts it there.
      const cache = await modelCache();
      const cached =
        request.kind === 'hub' &&
        !!cache &&
        (await cachedModels(cache)).some((m) => m.id === modelId(request));
      const source = await openSource(request, {
        appUrl: new URL(import.meta.env.BASE_URL, self.location.origin).href,
        openCache: cached ? modelCache : undefined,
      });
      return await assessSource(source, pageBackends(rt), { float32As16: request.float32As16 });
    } catch (e) {
      throw toUserError(e, { doing: 'reading the model’s size' });
    }
  },

  async modelInfo() {
    return engine?.info ?? null;
  },

  async cachedModels() {
    const cache = await modelCache();
    return cache ? cachedModels(cache) : [];
  },

  async removeCachedModel(id) {
    const cache = await modelCache();
    return cache ? removeCachedModel(cache, id) : 0;
  },

  async attribute(request, onProgress) {
    const report = fireAndForget(onProgress);
    let lose = loseDeviceInNextRun;
    loseDeviceInNextRun = false;
    const progress: typeof report = (p) => {
      if (lose) void runtime().then((rt) => rt.device?.destroy());
      lose = false;
      report?.(p);
    };
    const result = await guarded(
      'running the attribution',
      request.runId,
      (signal) => theEngine().attribute(request, signal, progress),
      onProgress,
      request,
    );
    return transfer(result, [result.scores.buffer, result.activations.buffer]);
  },

  ...queuedCalls(guarded, () => ({ engine: theEngine(), analyses: theAnalyses() })),

  async cancel(runId) {
    runs.cancel(runId);
  },
};

expose(api);
