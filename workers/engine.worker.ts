/**
 * The engine's Web Worker: hosts onnxruntime-web and exposes `EngineApi` (src/worker-api) over
 * comlink. onnxruntime is imported lazily by src/runtime/web.ts, so it lands in its own chunk:
 * its WASM threads start workers from that chunk's URL, not from this file.
 */
import { expose } from 'comlink';
import { runProof } from '../src/runtime/proof';
import { createWebRuntime, type WebRuntime } from '../src/runtime/web';
import type { EngineApi, InitOptions } from '../src/worker-api/api';

let started: { key: string; runtime: Promise<WebRuntime> } | undefined;

function optionsKey(o: InitOptions): string {
  return JSON.stringify([o.backend ?? 'auto', o.engine ?? 'native', o.logLevel ?? 'error']);
}

async function runtime(): Promise<WebRuntime> {
  if (!started) throw new Error('the engine is not initialised: call init() first');
  return started.runtime;
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
      const pending = createWebRuntime(options);
      started = { key, runtime: pending };
      pending.catch(() => {
        if (started?.runtime === pending) started = undefined; // allow a retry
      });
    }
    return (await started.runtime).info;
  },

  async selfTest() {
    return runProof(await runtime());
  },
};

expose(api);
