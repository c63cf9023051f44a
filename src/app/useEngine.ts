import { useEffect, useState } from 'react';
import type { RuntimeRequest } from '../runtime/backend-choice';
import { createEngineClient, type EngineInfo, type SelfTestResult } from '../worker-api';

export type EngineState =
  | { phase: 'starting' }
  | { phase: 'testing'; info: EngineInfo }
  | { phase: 'ready'; info: EngineInfo; proof: SelfTestResult }
  | { phase: 'error'; info?: EngineInfo; error: string };

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Starts the engine worker on the requested backend and runs the pipeline proof once. */
export function useEngine(request: RuntimeRequest): EngineState {
  const [state, setState] = useState<EngineState>({ phase: 'starting' });
  const { backend, engine, logLevel } = request;

  useEffect(() => {
    const client = createEngineClient();
    let live = true;
    let info: EngineInfo | undefined;
    (async () => {
      try {
        info = await client.init({ backend, engine, logLevel });
        if (!live) return;
        setState({ phase: 'testing', info });
        const proof = await client.selfTest();
        if (live) setState({ phase: 'ready', info, proof });
      } catch (e) {
        if (live) setState({ phase: 'error', info, error: errorText(e) });
      }
    })();
    return () => {
      live = false;
      client.terminate();
    };
  }, [backend, engine, logLevel]);

  return state;
}
