// @vitest-environment jsdom
/**
 * The lost-device banner, for either engine: the second engine (the compared model's) reports a
 * lost device as the first does, restarts, and the banner names whose engine it was, what the
 * engine did, and what was kept. The worker is replaced by a client that records its calls.
 */
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseRuntimeRequest } from '../runtime/backend-choice';
import type { EngineEvent, EngineInfo } from '../worker-api';
import { DeviceLostBanner } from './DeviceLostBanner';
import { type EngineState, useEngine } from './useEngine';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** The engine workers started, each with the listener it subscribed and whether it ended. */
const workers: { listener?: (e: EngineEvent) => void; terminated: boolean; backend: string }[] = [];

vi.mock('../worker-api', () => ({
  createEngineClient: () => {
    const worker: (typeof workers)[number] = { terminated: false, backend: '' };
    workers.push(worker);
    return {
      init: async (opts: { backend: string }) => {
        worker.backend = opts.backend;
        return { backend: opts.backend === 'wasm' ? 'wasm' : 'webgpu' };
      },
      subscribe: async (listener: (e: EngineEvent) => void) => {
        worker.listener = listener;
      },
      selfTest: () => new Promise(() => {}),
      terminate: () => {
        worker.terminated = true;
      },
    };
  },
}));

const text = (markup: string) => markup.replace(/<[^>]+>/g, '');
const info = (backend: 'webgpu' | 'wasm', fallbackReason?: string) =>
  ({ backend, ...(fallbackReason ? { fallbackReason } : {}) }) as unknown as EngineInfo;
const ready = (i: EngineInfo): EngineState => ({ phase: 'testing', info: i });
const engineOf = (state: EngineState, count = 1) => ({
  lost: { reason: 'unknown: reset', count },
  state,
  dismissLost: () => {},
});

describe('DeviceLostBanner', () => {
  it('says nothing while no device was lost', () => {
    const markup = renderToStaticMarkup(
      <DeviceLostBanner engine={{ ...engineOf({ phase: 'starting' }), lost: undefined }} />,
    );
    expect(markup).toBe('');
  });

  it('says what the engine did: restarting, or on WASM and why', () => {
    const render = (state: EngineState, count = 1) =>
      text(renderToStaticMarkup(<DeviceLostBanner engine={engineOf(state, count)} />));
    expect(render({ phase: 'starting' })).toContain(
      'The GPU device was lost (unknown: reset). The engine is restarting',
    );
    expect(render(ready(info('wasm', 'no adapter')))).toContain(
      'The engine restarted on WASM, since WebGPU did not come back (no adapter)',
    );
    expect(render(ready(info('wasm')), 2)).toContain(
      'The engine restarted on WASM, since the GPU was lost 2 times',
    );
  });
});

describe('a lost device in the compared model’s engine', () => {
  afterEach(() => {
    workers.length = 0;
  });

  it('shows the banner naming that engine, and the engine restarts', async () => {
    const request = parseRuntimeRequest('?backend=webgpu');
    function SecondEngine() {
      // As the comparison starts it: no test hooks, enabled while a second model is chosen.
      const engine = useEngine(request, false, true);
      return (
        <DeviceLostBanner
          engine={engine}
          whose="the second engine, of the compared model demo-gpt2 (Two models tab)"
          testId="device-lost-compare"
        />
      );
    }
    const container = document.createElement('div');
    const root = createRoot(container);
    await act(async () => root.render(<SecondEngine />));
    expect(workers).toHaveLength(1);
    expect(container.textContent).toBe('');

    await act(async () => workers[0].listener!({ type: 'device-lost', reason: 'destroyed' }));
    // The lost worker ended; a new one started on WebGPU and took over.
    expect(workers[0].terminated).toBe(true);
    expect(workers).toHaveLength(2);
    expect(workers[1].backend).toBe('webgpu');
    const banner = container.querySelector('[data-testid="device-lost-compare"]')!;
    expect(banner.getAttribute('data-restarted')).toBe('webgpu');
    expect(banner.textContent).toContain(
      'The GPU device was lost (destroyed) in the second engine, of the compared model ' +
        'demo-gpt2 (Two models tab). The engine restarted on a new GPU device, and the model ' +
        'loads again. Your facts and finished results are kept',
    );

    await act(async () => banner.querySelector('button')!.click());
    expect(container.textContent).toBe('');
    act(() => root.unmount());
    expect(workers[1].terminated).toBe(true);
  });
});
