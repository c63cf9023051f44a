import { describe, expect, it } from 'vitest';
import type { Estimate, PromptEstimate } from '../worker-api';
import { jobsOf } from './state';
import { type EstimateState, runnableJobs } from './useEstimate';

const jobs = jobsOf([
  {
    id: 'capital',
    prompts: [
      { language: 'en', text: 'The capital of France is [MASK] .', object: 'Paris' },
      { language: 'en', text: '[MASK] is the capital of France .', object: 'Paris' },
    ],
  },
  {
    id: 'river',
    prompts: [{ language: 'en', text: 'The Seine flows through [MASK] .', object: 'Paris' }],
  },
]);

const ok: PromptEstimate = {
  ok: true,
  tokens: 8,
  passes: 1,
  counts: { forward: 10, backward: 10, forwardTokens: 80, backwardTokens: 80 },
  seconds: 1,
  warnings: [],
};

function estimated(items: PromptEstimate[], forJobs = jobs): EstimateState {
  const estimate = { items, total: {}, benchmark: {} } as unknown as Estimate;
  return { phase: 'ready', estimate, jobs: forJobs };
}

describe('the Run button counts what can run', () => {
  it('leaves out the prompts the estimate refuses', () => {
    const refused: PromptEstimate = { ok: false, error: 'no text before [MASK]' };
    const runnable = runnableJobs(jobs, estimated([ok, refused, ok]));
    expect(runnable.map((j) => [j.fact.id, j.index])).toEqual([
      ['capital', 0],
      ['river', 0],
    ]);
    expect(runnableJobs(jobs, estimated([refused, refused, refused]))).toEqual([]);
  });

  it('counts every prompt while there is no estimate, and when all can run', () => {
    for (const phase of ['none', 'estimating'] as const)
      expect(runnableJobs(jobs, { phase })).toBe(jobs);
    expect(runnableJobs(jobs, estimated([ok, ok, ok]))).toBe(jobs);
  });

  it('matches the estimate by fact and prompt, not by position, when the list has changed', () => {
    const refused: PromptEstimate = { ok: false, error: 'unknown object' };
    // Estimated for the river fact alone; the list now has the capital prompts too.
    const runnable = runnableJobs(jobs, estimated([refused], jobs.slice(2)));
    expect(runnable.map((j) => j.fact.id)).toEqual(['capital', 'capital']);
  });
});
