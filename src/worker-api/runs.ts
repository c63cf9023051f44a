/**
 * Cancellable calls by run id, and a serial queue: the engine holds one model and one set of
 * device buffers, so a model load must not free them under a running attribution. Calls run
 * one after another in arrival order; a call cancelled while it waits rejects without running.
 */
export class Runs {
  private readonly controllers = new Map<string, AbortController>();
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Runs `task` after the calls queued before it, with a signal that `cancel(runId)` aborts.
   * The run id is registered at once, so a cancel that arrives while the call waits counts.
   */
  run<T>(runId: string | undefined, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    if (runId !== undefined) {
      if (this.controllers.has(runId)) throw new Error(`run id ${runId} is already in use`);
      this.controllers.set(runId, controller);
    }
    const result = this.tail.then(() => {
      controller.signal.throwIfAborted();
      return task(controller.signal);
    });
    this.tail = result.catch(() => {});
    return result.finally(() => {
      if (runId !== undefined) this.controllers.delete(runId);
    });
  }

  cancel(runId: string): void {
    this.controllers.get(runId)?.abort(new DOMException('Cancelled', 'AbortError'));
  }
}

/** Progress messages cross the worker boundary at most this often (ms), for every call. */
export const PROGRESS_MS = 100;

/**
 * Limits progress messages to one per `ms` milliseconds (plus the last one), so that reading
 * a 1 GB checkpoint in 64 KB chunks does not flood the worker's message channel.
 */
export function throttle<T>(
  send: ((value: T) => void) | undefined,
  ms: number,
  now: () => number = () => performance.now(),
): { push(value: T, force?: boolean): void } {
  let last = -Infinity;
  return {
    push(value, force = false) {
      if (!send) return;
      const t = now();
      if (!force && t - last < ms) return;
      last = t;
      send(value);
    },
  };
}
