import { proxy } from 'comlink';
import { useEffect, useState } from 'react';
import type { RuntimeRequest } from '../runtime/backend-choice';
import {
  createEngineClient,
  type EngineClient,
  type EngineInfo,
  type SelfTestResult,
} from '../worker-api';
import { errorText } from './errors';

export type EngineState =
  | { phase: 'starting' }
  | { phase: 'testing'; info: EngineInfo }
  | { phase: 'ready'; info: EngineInfo; proof: SelfTestResult }
  | { phase: 'error'; info?: EngineInfo; error: string };

export interface Engine {
  state: EngineState;
  /** The worker, once it has started; undefined before and after a failed start. */
  client: EngineClient | undefined;
  /** Set when the GPU device was lost: every later call fails, the page must be reloaded. */
  deviceLost: string | undefined;
}

/**
 * Starts the engine worker on the requested backend and runs the pipeline proof once. The
 * client is handed out as soon as the backend runs, so models load while the proof finishes.
 */
export function useEngine(request: RuntimeRequest): Engine {
  const [state, setState] = useState<EngineState>({ phase: 'starting' });
  const [client, setClient] = useState<EngineClient>();
  const [deviceLost, setDeviceLost] = useState<string>();
  const { backend, engine, logLevel } = request;

  useEffect(() => {
    const c = createEngineClient();
    let live = true;
    let info: EngineInfo | undefined;
    (async () => {
      try {
        info = await c.init({ backend, engine, logLevel });
        if (!live) return;
        await c.subscribe(
          proxy((e) => {
            if (live && e.type === 'device-lost') setDeviceLost(e.message);
          }),
        );
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
      c.terminate();
    };
  }, [backend, engine, logLevel]);

  return { state, client, deviceLost };
}
