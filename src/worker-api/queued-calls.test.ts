import { describe, expect, it } from 'vitest';
import { type CallTargets, type Guard, queuedCalls } from './queued-calls';

describe('queued calls', () => {
  it('run each call in the guard, with its run id when it has one, on the right target', async () => {
    const guarded: [string, string | undefined][] = [];
    const signal = new AbortController().signal;
    const guard: Guard = (doing, runId, task) => {
      guarded.push([doing, runId]);
      return task(signal);
    };
    const seen: unknown[][] = [];
    const record =
      (name: string) =>
      async (...args: unknown[]) => (seen.push([name, ...args]), name);
    const targets = {
      engine: { estimate: record('engine.estimate'), unloadModel: record('engine.unloadModel') },
      analyses: {
        factOverlap: record('analyses.factOverlap'),
        revertEdit: record('analyses.revertEdit'),
      },
    } as unknown as CallTargets;
    const api = queuedCalls(guard, () => targets);

    const request = { prompts: [], settings: {} } as never;
    expect(await api.estimate(request)).toBe('engine.estimate');
    expect(await api.unloadModel()).toBe('engine.unloadModel');
    expect(await api.revertEdit('e1')).toBe('analyses.revertEdit');
    const progress: unknown[] = [];
    const call = { runId: 'run-7' } as never;
    expect(await api.factOverlap(call, (p) => progress.push(p))).toBe('analyses.factOverlap');

    expect(guarded).toEqual([
      ['estimating the run', undefined],
      ['freeing the model', undefined],
      ['reverting the edit', undefined],
      ['comparing the languages', 'run-7'],
    ]);
    // Every target method gets the argument, the queue's signal and the progress callback.
    expect(seen[0].slice(0, 3)).toEqual(['engine.estimate', request, signal]);
    expect(seen[2].slice(0, 3)).toEqual(['analyses.revertEdit', 'e1', signal]);
    const [, passed, passedSignal, onProgress] = seen[3];
    expect([passed, passedSignal]).toEqual([call, signal]);
    (onProgress as (p: unknown) => void)({ done: 1, total: 2 });
    await Promise.resolve();
    expect(progress).toEqual([{ done: 1, total: 2 }]);
  });
});
