import { proxy } from 'comlink';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { AttributionSettings } from '../attribution/settings';
import {
  type AttributionResult,
  type BlockProgress,
  type EngineClient,
  newRunId,
} from '../worker-api';
import { errorText, isAbort } from './errors';
import { type ResultCache, resultKey } from './result-cache';
import type { Job } from './state';
import { measureSince } from './timing';

export type ItemStatus =
  | { state: 'queued' }
  | { state: 'running'; done: number; total: number }
  | { state: 'done'; from: 'run' | 'cache' }
  | { state: 'error'; error: string }
  | { state: 'cancelled' };

export interface RunItem {
  job: Job;
  key: string;
  status: ItemStatus;
}

export interface RunState {
  phase: 'idle' | 'running' | 'finished' | 'cancelled';
  items: RunItem[];
}

export interface RunControl {
  /** Finished attributions of the current model and settings, by result key. */
  results: ReadonlyMap<string, AttributionResult>;
  run: RunState;
  /** Attributes every job without a result, one after the other. */
  start(jobs: Job[]): void;
  cancel(): void;
  keyOf(job: Job): string | undefined;
  /** Keeps a map computed elsewhere (an analysis attributed it) as the job's result. */
  keep(job: Job, result: AttributionResult): void;
}

/**
 * Runs attributions and keeps their results: in memory for the page, in the result cache for
 * later. Results of the current model, facts and settings are looked up in the cache as soon
 * as they are asked for, so a reload shows them without running.
 */
export function useRun(
  client: EngineClient | undefined,
  modelKey: string | undefined,
  jobs: Job[],
  settings: AttributionSettings,
  cache: ResultCache | undefined,
): RunControl {
  const [results, setResults] = useState<ReadonlyMap<string, AttributionResult>>(new Map());
  const [run, setRun] = useState<RunState>({ phase: 'idle', items: [] });
  // The run in progress; `cancelled` also stops it between two attributions.
  const active = useRef<{ runId: string; cancelled: boolean } | undefined>(undefined);

  const keyOf = useCallback(
    (job: Job) => (modelKey ? resultKey(modelKey, job.prompt, settings) : undefined),
    [modelKey, settings],
  );
  const add = useCallback((key: string, r: AttributionResult) => {
    setResults((prev) => new Map(prev).set(key, r));
  }, []);

  // Restore what the cache has for what is asked now.
  useEffect(() => {
    if (!cache || !modelKey) return;
    let live = true;
    for (const job of jobs) {
      const key = resultKey(modelKey, job.prompt, settings);
      void cache.get(key).then((r) => {
        if (live && r) add(key, r);
      });
    }
    return () => {
      live = false;
    };
  }, [cache, modelKey, jobs, settings, add]);

  const cancel = useCallback(() => {
    const a = active.current;
    if (!a || !client) return;
    a.cancelled = true;
    void client.cancel(a.runId);
  }, [client]);

  const start = useCallback(
    (toRun: Job[]) => {
      if (!client || !modelKey || active.current) return;
      const runId = newRunId();
      const me = { runId, cancelled: false };
      active.current = me;
      const items: RunItem[] = toRun.map((job) => ({
        job,
        key: resultKey(modelKey, job.prompt, settings),
        status: { state: 'queued' },
      }));
      const update = (i: number, status: ItemStatus) => {
        items[i] = { ...items[i], status };
        setRun({ phase: 'running', items: [...items] });
      };
      setRun({ phase: 'running', items: [...items] });
      (async () => {
        let phase: RunState['phase'] = 'finished';
        for (let i = 0; i < items.length; i++) {
          const { job, key } = items[i];
          if (me.cancelled) phase = 'cancelled';
          if (phase === 'cancelled') {
            update(i, { state: 'cancelled' });
            continue;
          }
          const stored = await cache?.get(key);
          if (stored) {
            add(key, stored);
            update(i, { state: 'done', from: 'cache' });
            continue;
          }
          update(i, { state: 'running', done: 0, total: 1 });
          try {
            // Progress comes through a port of its own and can land after the result: a late
            // report must not turn a finished item back into a running one.
            const onProgress = proxy((p: BlockProgress) => {
              if (items[i].status.state === 'running') update(i, { state: 'running', ...p });
            });
            const started = performance.now();
            const r = await client.attribute(
              { runId, prompt: job.prompt.text, object: job.prompt.object, settings },
              onProgress,
            );
            measureSince('kne:map', started, {
              prompt: job.prompt.text,
              object: job.prompt.object,
            });
            add(key, r);
            update(i, { state: 'done', from: 'run' });
            await cache?.put(key, r).catch(() => {}); // a full disk loses the cache, not the result
          } catch (e) {
            if (isAbort(e)) {
              phase = 'cancelled';
              update(i, { state: 'cancelled' });
            } else {
              update(i, { state: 'error', error: errorText(e) });
              // Without a device nothing else can run either.
              if ((e as Error).name === 'DeviceLostError') phase = 'cancelled';
            }
          }
        }
        active.current = undefined;
        setRun({ phase, items: [...items] });
      })();
    },
    [client, modelKey, settings, cache, add],
  );

  const keep = useCallback(
    (job: Job, result: AttributionResult) => {
      if (!modelKey) return;
      const key = resultKey(modelKey, job.prompt, settings);
      add(key, result);
      void cache?.put(key, result).catch(() => {});
    },
    [modelKey, settings, cache, add],
  );

  return { results, run, start, cancel, keyOf, keep };
}
