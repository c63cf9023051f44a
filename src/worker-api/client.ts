import { releaseProxy, wrap, type Remote } from 'comlink';
import type { EngineApi } from './api';

/**
 * The UI's handle on the engine worker: every `EngineApi` method, called through comlink, plus
 * `terminate`. A call rejects (instead of waiting forever) when the worker fails to load or
 * throws outside a call.
 */
export type EngineClient = Remote<EngineApi> & {
  /** Stops the worker; pending calls reject, with `reason` when given. */
  terminate(reason?: Error): void;
};

export function createEngineClient(): EngineClient {
  const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), {
    type: 'module',
    name: 'engine',
  });
  let fail: (reason: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {}); // observed by the calls that race it
  worker.addEventListener('error', (e) => {
    fail(new Error(`engine worker failed${e.message ? `: ${e.message}` : ' to load'}`));
  });
  worker.addEventListener('messageerror', () =>
    fail(new Error('engine worker sent an unreadable message')),
  );

  const remote = wrap<EngineApi>(worker);
  let terminated = false;
  const terminate = (reason?: Error) => {
    if (terminated) return;
    terminated = true;
    fail(reason ?? new Error('engine worker terminated'));
    remote[releaseProxy]();
    worker.terminate();
  };
  return new Proxy({} as EngineClient, {
    get(_, name) {
      if (name === 'terminate') return terminate;
      if (typeof name !== 'string' || name === 'then') return undefined; // not a thenable
      return (...args: unknown[]) => {
        const method = (remote as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[
          name
        ];
        return Promise.race([method(...args), failed]);
      };
    },
  });
}

let runs = 0;

/** A fresh id for a cancellable call (unique within this page). */
export function newRunId(): string {
  return `run-${++runs}-${Date.now().toString(36)}`;
}
