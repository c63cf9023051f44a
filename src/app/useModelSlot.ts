/**
 * One model slot: the model the state names, held by one engine worker (the explorer's model, or
 * the compare tab's second model). The state's model loads once per change of model and once per
 * engine (a lost GPU device starts a new one); a Hub model not yet downloaded and a folder not
 * picked in this page wait for the user. A model the user picks loads as picked, without asking
 * again, also when it was picked while the engine was still starting.
 */
import { useCallback, useEffect, useRef } from 'react';
import { type ModelRef, sameModel } from '../weights';
import type { EngineClient } from '../worker-api';
import type { PickedFolder } from './picked-files';
import { type ModelControl, useModel } from './useModel';

export interface ModelSlot {
  model: ModelControl;
  /**
   * Loads the model the user picked (a folder's files with it); the caller puts it in the state.
   * Picked before the engine runs, it loads once the engine runs, if the state still names it.
   */
  pick(ref: ModelRef, folder?: PickedFolder): void;
}

export function useModelSlot(
  client: EngineClient | undefined,
  ref: ModelRef | null | undefined,
  float32As16: boolean,
): ModelSlot {
  const model = useModel(client, float32As16);
  const { restore, load } = model;
  // The model last asked of each engine, so a reload of the state does not load it twice.
  const requested = useRef<{ model: ModelRef; client: EngineClient } | undefined>(undefined);
  const picked = useRef<{ ref: ModelRef; folder?: PickedFolder } | undefined>(undefined);

  // Before the restore below: a pick held while the engine started loads as picked.
  useEffect(() => {
    const held = picked.current;
    if (!held || !client) return;
    picked.current = undefined;
    if (!ref || !sameModel(held.ref, ref)) return;
    requested.current = { model: held.ref, client };
    load(held.ref, held.folder);
  }, [client, ref, load]);

  useEffect(() => {
    if (!client || !ref || model.cached === undefined) return;
    const last = requested.current;
    if (last && last.client === client && sameModel(last.model, ref)) return;
    requested.current = { model: ref, client };
    restore(ref);
  }, [client, ref, model.cached, restore]);

  // The 16-bit setting changed: the model shown loads again with it (a folder is picked again).
  const precision = useRef(float32As16);
  useEffect(() => {
    if (precision.current === float32As16) return;
    precision.current = float32As16;
    const s = model.status;
    if ((s.phase === 'ready' || s.phase === 'error') && s.ref.kind !== 'files') load(s.ref);
  }, [float32As16, model.status, load]);

  const pick = useCallback(
    (next: ModelRef, folder?: PickedFolder) => {
      if (!client) {
        picked.current = { ref: next, folder };
        return;
      }
      requested.current = { model: next, client };
      load(next, folder);
    },
    [client, load],
  );

  return { model, pick };
}
