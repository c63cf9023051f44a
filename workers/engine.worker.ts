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
import { runProof } from '../src/runtime/proof';
import { WASM_HEAP_BYTES, createWebRuntime, type WebRuntime } from '../src/runtime/web';
import { cachedModels, modelId, removeCachedModel } from '../src/weights';
import { assessSource, backendsOf } from '../src/worker-api/assess';
import { AnalysisEngine } from '../src/worker-api/analysis-engine';
import type { EngineApi, EngineEvent, InitOptions } from '../src/worker-api/api';
import { Engine, type SourceFactory } from '../src/worker-api/engine';
import { toUserError } from '../src/worker-api/errors';
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

const sources: SourceFactory = async (request, onDownload) =>
  openSource(request, {
    appUrl: new URL(import.meta.env.BASE_URL, self.location.origin).href,
    openCache: modelCache,
    onDownload,
  });

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
      (signal) =>
        keepingCacheClean(request, modelCache, () =>
          theEngine().load(request, signal, fireAndForget(onProgress)),
        ),
      onProgress,
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
      const deviceMemory = (navigator as { deviceMemory?: number }).deviceMemory;
      const backends = backendsOf({
        backend: rt.info.backend,
        limits: rt.limits,
        threads: rt.info.threads ?? 1,
        wasmHeapBytes: WASM_HEAP_BYTES,
        ...(deviceMemory ? { deviceMemoryGiB: deviceMemory } : {}),
      });
      return await assessSource(source, backends, { float32As16: request.float32As16 });
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
    const result = await guarded(
      'running the attribution',
      request.runId,
      (signal) => theEngine().attribute(request, signal, fireAndForget(onProgress)),
      onProgress,
    );
    return transfer(result, [result.scores.buffer, result.activations.buffer]);
  },

  ...queuedCalls(guarded, () => ({ engine: theEngine(), analyses: theAnalyses() })),

  async cancel(runId) {
    runs.cancel(runId);
  },
};

expose(api);
