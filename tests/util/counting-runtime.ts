import { createNodeRuntime } from '../../src/runtime/node';
import type { Runtime } from '../../src/runtime/runtime';

/** A node runtime that keeps the device tensors alive in `live`, to check that nothing leaks. */
export function countingRuntime(): { runtime: Runtime; live: Set<unknown> } {
  const inner = createNodeRuntime({ threads: 1 });
  const live = new Set<unknown>();
  const runtime: Runtime = {
    ...inner,
    upload: (d, dims) => {
      const t = inner.upload(d, dims);
      live.add(t);
      return t;
    },
    dispose: (t) => {
      live.delete(t);
      inner.dispose(t);
    },
  };
  return { runtime, live };
}
