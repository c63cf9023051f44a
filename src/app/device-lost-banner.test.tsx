/**
 * The lost-device banner: the same words for either engine, naming whose engine it was (the
 * page runs a second engine for the compared model), what the engine did, and what was kept.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { EngineInfo } from '../worker-api';
import { DeviceLostBanner } from './DeviceLostBanner';
import type { EngineState } from './useEngine';

const text = (markup: string) => markup.replace(/<[^>]+>/g, '');
const info = (backend: 'webgpu' | 'wasm', fallbackReason?: string) =>
  ({ backend, ...(fallbackReason ? { fallbackReason } : {}) }) as unknown as EngineInfo;
const ready = (i: EngineInfo): EngineState => ({ phase: 'testing', info: i });

describe('DeviceLostBanner', () => {
  it('names the compared model’s engine, under its own test id', () => {
    const markup = renderToStaticMarkup(
      <DeviceLostBanner
        lost={{ reason: 'destroyed', count: 1 }}
        state={ready(info('webgpu'))}
        onDismiss={() => {}}
        engine="the second engine, of the compared model demo-gpt2 (Two models tab)"
        testId="device-lost-compare"
      />,
    );
    expect(markup).toContain('data-testid="device-lost-compare"');
    expect(markup).toContain('data-restarted="webgpu"');
    expect(text(markup)).toContain(
      'The GPU device was lost (destroyed) in the second engine, of the compared model ' +
        'demo-gpt2 (Two models tab). The engine restarted on a new GPU device, and the model ' +
        'loads again. Your facts and finished results are kept',
    );
  });

  it('says what the engine did: restarting, or on WASM and why', () => {
    const lost = { reason: 'unknown: reset', count: 1 };
    const render = (state: EngineState, count = 1) =>
      text(
        renderToStaticMarkup(
          <DeviceLostBanner lost={{ ...lost, count }} state={state} onDismiss={() => {}} />,
        ),
      );
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
