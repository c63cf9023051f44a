import { proxy } from 'comlink';
import { useCallback, useEffect, useRef, useState } from 'react';
import { type ModelRef, modelId, sameModel } from '../weights';
import {
  type CachedModel,
  type EngineClient,
  type LoadEvent,
  type ModelAssessment,
  type ModelInfo,
  type ModelRequest,
  newRunId,
} from '../worker-api';
import { errorText, isAbort } from './errors';
import { readHubToken } from './hub-token';
import type { PickedFolder } from './picked-files';
import { measureSince } from './timing';

export type ModelStatus =
  | { phase: 'none' }
  | { phase: 'loading'; ref: ModelRef; progress?: LoadEvent }
  | { phase: 'ready'; ref: ModelRef; info: ModelInfo }
  | { phase: 'error'; ref: ModelRef; error: string; errorName: string }
  /** Known from a link, but loading needs the user: a Hub download, or a folder to pick. */
  | { phase: 'waiting'; ref: ModelRef; reason: 'download' | 'pick-folder' };

export interface ModelControl {
  status: ModelStatus;
  /** Hub models in Cache Storage (undefined until listed). */
  cached: CachedModel[] | undefined;
  /** Loads a model now (replacing the loaded one); files for a picked folder. */
  load(ref: ModelRef, folder?: PickedFolder): void;
  /** A Hub model's memory and time per map, before its download. */
  assess(ref: ModelRef): Promise<ModelAssessment>;
  /** A model named by a link or a reload: loads it when that costs no download or pick. */
  restore(ref: ModelRef): void;
  cancel(): void;
  removeCached(id: string): Promise<void>;
  /** The loaded model changed in the worker (a weight edit was applied or reverted). */
  updateInfo(info: ModelInfo): void;
}

function requestFor(ref: ModelRef, float32As16: boolean, folder?: PickedFolder): ModelRequest {
  if (ref.kind === 'hub') {
    // Read at each request: a token pasted or forgotten applies to the next download.
    const hubToken = readHubToken();
    return { ...ref, float32As16, ...(hubToken ? { hubToken } : {}) };
  }
  if (ref.kind !== 'files') return { ...ref, float32As16 };
  if (!folder) throw new Error('a local model needs its files');
  return { kind: 'files', label: folder.label, files: folder.files, float32As16 };
}

const NONE: ModelStatus = { phase: 'none' };

/**
 * The loaded model: one at a time, loads cancellable, Hub downloads listed and removable. The
 * status is the client's: a new engine (after a lost GPU device) has no model until one loads.
 * `float32As16`: the "load float32 weights as 16-bit" setting, for the loads started from now on.
 */
export function useModel(client: EngineClient | undefined, float32As16 = false): ModelControl {
  const [entry, setEntry] = useState<{ client: EngineClient; status: ModelStatus }>();
  const status = entry && entry.client === client ? entry.status : NONE;
  const [cached, setCached] = useState<CachedModel[]>();
  const current = useRef<{ runId: string; ref: ModelRef } | undefined>(undefined);
  // The last folder loaded, so that a new engine loads it again without asking.
  const folderOf = useRef<{ ref: ModelRef; folder: PickedFolder } | undefined>(undefined);

  const refreshCached = useCallback(async () => {
    if (client) setCached(await client.cachedModels());
  }, [client]);

  useEffect(() => {
    let live = true;
    client?.cachedModels().then(
      (list) => live && setCached(list),
      () => live && setCached([]),
    );
    return () => {
      live = false;
    };
  }, [client]);

  const load = useCallback(
    (ref: ModelRef, folder?: PickedFolder) => {
      if (!client) return;
      const setStatus = (s: ModelStatus) => setEntry({ client, status: s });
      const previous = current.current;
      if (previous) void client.cancel(previous.runId).catch(() => {});
      const runId = newRunId();
      current.current = { runId, ref };
      if (folder) folderOf.current = { ref, folder };
      const mine = () => current.current?.runId === runId;
      setStatus({ phase: 'loading', ref });
      const started = performance.now();
      const onProgress = proxy((progress: LoadEvent) => {
        if (mine()) setStatus({ phase: 'loading', ref, progress });
      });
      client.loadModel(requestFor(ref, float32As16, folder), runId, onProgress).then(
        (info) => {
          if (!mine()) return;
          current.current = undefined;
          measureSince('kne:load', started, { model: info.id });
          setStatus({ phase: 'ready', ref, info });
          if (ref.kind === 'hub') void refreshCached();
        },
        (e: unknown) => {
          if (!mine()) return; // replaced by a newer load
          current.current = undefined;
          if (isAbort(e)) setStatus({ phase: 'none' });
          else
            setStatus({ phase: 'error', ref, error: errorText(e), errorName: (e as Error).name });
          if (ref.kind === 'hub') void refreshCached();
        },
      );
    },
    [client, refreshCached, float32As16],
  );

  const assess = useCallback(
    async (ref: ModelRef) => {
      if (!client) throw new Error('the engine has not started yet');
      return client.assessModel(requestFor(ref, float32As16));
    },
    [client, float32As16],
  );

  const restore = useCallback(
    (ref: ModelRef) => {
      if (!client) return;
      const wait = (reason: 'download' | 'pick-folder') =>
        setEntry({ client, status: { phase: 'waiting', ref, reason } });
      if (ref.kind === 'files') {
        const held = folderOf.current;
        return held && sameModel(held.ref, ref) ? load(ref, held.folder) : wait('pick-folder');
      }
      if (ref.kind === 'hub' && !cached?.some((m) => m.id === modelId(ref)))
        return wait('download');
      load(ref);
    },
    [client, cached, load],
  );

  const cancel = useCallback(() => {
    const c = current.current;
    if (c && client) void client.cancel(c.runId);
  }, [client]);

  const removeCached = useCallback(
    async (id: string) => {
      if (!client) return;
      await client.removeCachedModel(id);
      await refreshCached();
    },
    [client, refreshCached],
  );

  const updateInfo = useCallback((info: ModelInfo) => {
    setEntry((e) =>
      e && e.status.phase === 'ready' && e.status.info.id === info.id
        ? { ...e, status: { ...e.status, info } }
        : e,
    );
  }, []);

  return { status, cached, load, assess, restore, cancel, removeCached, updateInfo };
}

/** Whether the status is about this model. */
export const statusIsFor = (status: ModelStatus, ref: ModelRef | undefined): boolean =>
  status.phase !== 'none' && sameModel(status.ref, ref);
