import { proxy } from 'comlink';
import { useCallback, useRef, useState } from 'react';
import { type EngineClient, newRunId } from '../worker-api';
import { errorText, isAbort } from './errors';

export type CallState<R, P> =
  | { phase: 'idle' }
  | { phase: 'running'; progress: P | undefined }
  | { phase: 'done'; result: R }
  | { phase: 'error'; error: string }
  | { phase: 'cancelled' };

/** Starts the worker call with its run id and a progress callback already made a comlink proxy. */
export type CallTask<R, P> = (runId: string, onProgress: (p: P) => void) => Promise<R>;

export interface LongCall<R, P> {
  /** The state of the last call made for the current key; idle when there was none. */
  state: CallState<R, P>;
  /** Starts a call for the current key, cancelling the one running. */
  start(task: CallTask<R, P>): void;
  cancel(): void;
}

const IDLE = { phase: 'idle' } as const;

/**
 * One cancellable worker call at a time, with its progress, result or error, for the inputs
 * `key` names (model, fact, settings...). A result belongs to its key: when the inputs change the
 * state reads idle, and reads the result again if they change back before another call starts.
 */
export function useLongCall<R, P>(
  client: EngineClient | undefined,
  key: string | undefined,
): LongCall<R, P> {
  const [entry, setEntry] = useState<{ key: string; state: CallState<R, P> }>();
  const active = useRef<string | undefined>(undefined);

  const start = useCallback(
    (task: CallTask<R, P>) => {
      if (!client || key === undefined) return;
      if (active.current) void client.cancel(active.current);
      const runId = newRunId();
      active.current = runId;
      const mine = () => active.current === runId;
      const set = (state: CallState<R, P>) => {
        if (mine()) setEntry({ key, state });
      };
      set({ phase: 'running', progress: undefined });
      task(
        runId,
        proxy((progress: P) => set({ phase: 'running', progress })),
      ).then(
        (result) => {
          set({ phase: 'done', result });
          if (mine()) active.current = undefined;
        },
        (e: unknown) => {
          set(isAbort(e) ? { phase: 'cancelled' } : { phase: 'error', error: errorText(e) });
          if (mine()) active.current = undefined;
        },
      );
    },
    [client, key],
  );

  const cancel = useCallback(() => {
    if (client && active.current) void client.cancel(active.current);
  }, [client]);

  const state = entry && entry.key === key ? entry.state : IDLE;
  return { state, start, cancel };
}
