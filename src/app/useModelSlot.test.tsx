// @vitest-environment jsdom
/**
 * The model slot on an engine client that records what it is asked: the state's model loads once
 * per model and once per engine, a Hub model not downloaded waits for the user, a pick loads as
 * picked (also one made while the engine starts), and the 16-bit setting loads the model again.
 */
import { act, useEffect } from 'react';
import { type Root, createRoot } from 'react-dom/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelRef } from '../weights';
import type { EngineClient, ModelRequest } from '../worker-api';
import { type ModelSlot, useModelSlot } from './useModelSlot';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** A client with nothing downloaded whose loads stay in flight, or finish when `finish`. */
function recordingClient(finish = false) {
  const loads: ModelRequest[] = [];
  const client = {
    cachedModels: async () => [],
    loadModel: (request: ModelRequest) => {
      loads.push(request);
      return finish ? Promise.resolve({ id: 'loaded', edits: [] }) : new Promise(() => {});
    },
    cancel: async () => {},
  } as unknown as EngineClient;
  return { client, loads };
}

interface Props {
  client: EngineClient | undefined;
  model: ModelRef | undefined;
  float32As16?: boolean;
}

let root: Root | undefined;
let slot: ModelSlot | undefined;

/** Hands the slot of each render out, after it commits. */
function Probe({
  client,
  model,
  float32As16 = false,
  onSlot,
}: Props & { onSlot: (s: ModelSlot) => void }) {
  const s = useModelSlot(client, model, float32As16);
  useEffect(() => {
    onSlot(s);
  });
  return null;
}

async function render(props: Props) {
  root ??= createRoot(document.createElement('div'));
  await act(async () => root!.render(<Probe {...props} onSlot={(s) => (slot = s)} />));
}

afterEach(() => {
  act(() => root?.unmount());
  root = undefined;
  slot = undefined;
});

const demo: ModelRef = { kind: 'bundled', name: 'demo-bert' };
const hub: ModelRef = { kind: 'hub', id: 'owner/model' };

describe('useModelSlot', () => {
  it('loads the state’s model once per model and once per engine', async () => {
    const first = recordingClient();
    await render({ client: first.client, model: demo });
    expect(first.loads.map((r) => r.kind === 'bundled' && r.name)).toEqual(['demo-bert']);
    await render({ client: first.client, model: { ...demo } });
    expect(first.loads).toHaveLength(1);
    // A lost device starts a new engine: the model loads again there.
    const second = recordingClient();
    await render({ client: second.client, model: demo });
    expect(second.loads).toHaveLength(1);
    expect(first.loads).toHaveLength(1);
  });

  it('keeps a Hub model not downloaded waiting for the user, and loads it when picked', async () => {
    const { client, loads } = recordingClient();
    await render({ client, model: hub });
    expect(loads).toHaveLength(0);
    expect(slot?.model.status).toMatchObject({ phase: 'waiting', reason: 'download' });
    await act(async () => slot!.pick(hub));
    expect(loads.map((r) => r.kind === 'hub' && r.id)).toEqual(['owner/model']);
    expect(slot?.model.status.phase).toBe('loading');
  });

  it('loads a pick made while the engine starts once it runs, as picked', async () => {
    const { client, loads } = recordingClient();
    await render({ client: undefined, model: undefined });
    await act(async () => slot!.pick(hub));
    await render({ client: undefined, model: hub });
    expect(loads).toHaveLength(0);
    await render({ client, model: hub });
    // Loaded as picked (no wait for a download), and once.
    expect(loads.map((r) => r.kind === 'hub' && r.id)).toEqual(['owner/model']);
    expect(slot?.model.status.phase).toBe('loading');
  });

  it('drops a held pick the state no longer names', async () => {
    const { client, loads } = recordingClient();
    await render({ client: undefined, model: undefined });
    await act(async () => slot!.pick(hub));
    await render({ client, model: demo });
    expect(loads.map((r) => r.kind)).toEqual(['bundled']);
  });

  it('loads the model again when the 16-bit setting changes', async () => {
    const { client, loads } = recordingClient(true);
    await render({ client, model: demo });
    expect(slot?.model.status.phase).toBe('ready');
    await render({ client, model: demo, float32As16: true });
    expect(loads.map((r) => r.float32As16)).toEqual([false, true]);
  });
});
