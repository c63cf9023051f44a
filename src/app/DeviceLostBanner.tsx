import { type Engine, GPU_RESTARTS } from './useEngine';

/**
 * Says that the GPU device was lost, whose engine lost it (the page has two while comparing
 * models, each with its own device), what the engine did about it (restarted on WebGPU or on
 * WASM, and why), and what was kept: the facts, the finished results; a run going then stopped.
 */
export function DeviceLostBanner({
  engine,
  whose,
  testId = 'device-lost',
}: {
  engine: Pick<Engine, 'lost' | 'state' | 'dismissLost'>;
  /** Whose engine lost it, as the sentence names it ("the engine of demo-bert"). */
  whose?: string;
  testId?: string;
}) {
  const { lost, state } = engine;
  if (!lost) return null;
  const info = state.phase === 'starting' ? undefined : state.info;
  const restart = !info
    ? 'The engine is restarting'
    : info.backend === 'webgpu'
      ? 'The engine restarted on a new GPU device'
      : lost.count >= GPU_RESTARTS
        ? `The engine restarted on WASM, since the GPU was lost ${lost.count} times`
        : `The engine restarted on WASM, since WebGPU did not come back${info.fallbackReason ? ` (${info.fallbackReason})` : ''}`;
  return (
    <p
      className="banner error"
      role="alert"
      data-testid={testId}
      data-restarted={info?.backend ?? ''}
    >
      The GPU device was lost ({lost.reason}){whose ? ` in ${whose}` : ''}. {restart}, and the model
      loads again. Your facts and finished results are kept; a run that was going stopped: run it
      again.{' '}
      <button type="button" onClick={engine.dismissLost}>
        Dismiss
      </button>
    </p>
  );
}
