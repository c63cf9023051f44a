import { proxy } from 'comlink';
import { useEffect, useRef, useState } from 'react';
import type { RuntimeRequest } from '../runtime/backend-choice';
import {
  createEngineClient,
  type EngineClient,
  type EngineEvent,
  type EngineInfo,
  type SelfTestResult,
} from '../worker-api';
import { deviceLostError } from '../worker-api/errors';
import { errorText } from './errors';

export type EngineState =
  | { phase: 'starting' }
  | { phase: 'testing'; info: EngineInfo }
  | { phase: 'ready'; info: EngineInfo; proof: SelfTestResult }
  | { phase: 'error'; info?: EngineInfo; error: string };

/** The GPU device was lost: the engine restarted (or restarts) without it. */
export interface DeviceLoss {
  /** The device's reason ("destroyed", "unknown: ..."). */
  reason: string;
  /** Losses in this page so far. */
  count: number;
}

export interface Engine {
  state: EngineState;
  /** The worker, once it has started; undefined before, after a failed start and while restarting. */
  client: EngineClient | undefined;
  /** The last loss of the GPU device, until dismissed. */
  lost: DeviceLoss | undefined;
  dismissLost(): void;
}

/** After this many lost devices in one page the engine restarts on WASM, without asking again. */
export const GPU_RESTARTS = 2;

/**
 * Starts the engine worker on the requested backend and runs the pipeline proof once. The
 * client is handed out as soon as the backend runs, so models load while the proof finishes.
 * When the GPU device is lost (a driver reset, the tab in the background, an allocation that
 * killed it), the worker is replaced: onnxruntime-web keeps one device per instance, and a new
 * worker asks for a new one, or runs on WASM where WebGPU does not come back. Its calls in
 * flight reject with a DeviceLostError; what the page holds (facts, results) stays.
 */
export function useEngine(request: RuntimeRequest, testHooks = false, enabled = true): Engine {
  // (testHooks: src/app/test-hooks.ts; only a test's own script turns them on. `enabled`: a
  // second engine, for a second model, starts only while it has one to hold.)
  const [state, setState] = useState<EngineState>({ phase: 'starting' });
  const [client, setClient] = useState<EngineClient>();
  const [lost, setLost] = useState<DeviceLoss>();
  const [losses, setLosses] = useState(0);
  // Test hook: the next engine's adapter request fails.
  const noAdapter = useRef(false);
  const { backend, engine, logLevel, threads } = request;

  useEffect(() => {
    if (!enabled) return;
    const c = createEngineClient();
    let live = true;
    let info: EngineInfo | undefined;
    const onEvent = (e: EngineEvent) => {
      if (!live || e.type !== 'device-lost') return;
      live = false;
      // Every call of this worker fails from now on: end them all with the reason, at once.
      c.terminate(deviceLostError(e.reason));
      setClient(undefined);
      setState({ phase: 'starting' });
      setLost((l) => ({ reason: e.reason, count: (l?.count ?? 0) + 1 }));
      setLosses((n) => n + 1);
    };
    (async () => {
      try {
        info = await c.init({
          backend: losses >= GPU_RESTARTS ? 'wasm' : backend,
          engine,
          logLevel,
          ...(threads ? { threads } : {}),
          ...(testHooks ? { testHooks: { noAdapter: noAdapter.current } } : {}),
        });
        if (!live) return;
        await c.subscribe(proxy(onEvent));
        setClient(c);
        setState({ phase: 'testing', info });
        const proof = await c.selfTest();
        if (live) setState({ phase: 'ready', info, proof });
      } catch (e) {
        if (live) setState({ phase: 'error', info, error: errorText(e) });
      }
    })();
    return () => {
      live = false;
      setClient(undefined);
      setState({ phase: 'starting' });
      c.terminate();
    };
  }, [backend, engine, logLevel, threads, testHooks, losses, enabled]);

  useEffect(() => {
    if (!testHooks) return;
    const hook = async (name: 'lose-device' | 'lose-device-in-next-run') => {
      if (!client) throw new Error('the engine has not started');
      // Losing the device ends the worker's calls, this one too.
      await client.testHook(name).catch((e: Error) => {
        if (e.name !== 'DeviceLostError') throw e;
      });
    };
    window.kneTest = {
      loseDevice: () => hook('lose-device'),
      loseDeviceInNextRun: () => hook('lose-device-in-next-run'),
      noAdapterOnRestart: () => {
        noAdapter.current = true;
      },
    };
  }, [testHooks, client]);

  return { state, client, lost, dismissLost: () => setLost(undefined) };
}
