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
      engine: { estimate: record('engine.estimate'), unload: record('engine.unload') },
      analyses: { overlap: record('analyses.overlap'), revertEdit: record('analyses.revertEdit') },
    } as unknown as CallTargets;
    const api = queuedCalls(guard, () => targets);

    const request = { prompts: [], settings: {} } as never;
    expect(await api.estimate(request)).toBe('engine.estimate');
    expect(await api.unloadModel()).toBe('engine.unload');
    expect(await api.revertEdit('e1')).toBe('analyses.revertEdit');
    const progress: unknown[] = [];
    const call = { runId: 'run-7' } as never;
    expect(await api.factOverlap(call, (p) => progress.push(p))).toBe('analyses.overlap');

    expect(guarded).toEqual([
      ['estimating the run', undefined],
      ['freeing the model', undefined],
      ['reverting the edit', undefined],
      ['comparing the languages', 'run-7'],
    ]);
    expect(seen[0]).toEqual(['engine.estimate', request]);
    expect(seen[2]).toEqual(['analyses.revertEdit', 'e1']);
    const [, passed, passedSignal, onProgress] = seen[3];
    expect([passed, passedSignal]).toEqual([call, signal]);
    (onProgress as (p: unknown) => void)({ done: 1, total: 2 });
    await Promise.resolve();
    expect(progress).toEqual([{ done: 1, total: 2 }]);
  });
});
