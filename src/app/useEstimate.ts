import { useEffect, useMemo, useState } from 'react';
import type { AttributionSettings } from '../attribution/settings';
import type { EngineClient, Estimate } from '../worker-api';
import { errorText } from './errors';
import type { Job } from './state';

export type EstimateState =
  | { phase: 'none' }
  | { phase: 'estimating' }
  | { phase: 'ready'; estimate: Estimate; jobs: Job[] }
  | { phase: 'error'; error: string };

/** Settle time before asking: typing a number of steps should not start a benchmark per key. */
const DEBOUNCE_MS = 250;

/** The engine's estimate for the jobs that still need a run, refreshed as they change. */
export function useEstimate(
  client: EngineClient | undefined,
  modelKey: string | undefined,
  jobs: Job[],
  settings: AttributionSettings,
): EstimateState {
  // One request per distinct input; an answer counts only for the request it answers.
  const request = useMemo(
    () => (client && modelKey && jobs.length > 0 ? { client, jobs, settings } : undefined),
    [client, modelKey, jobs, settings],
  );
  const [answer, setAnswer] = useState<{ for: typeof request; state: EstimateState }>();

  useEffect(() => {
    if (!request) return;
    let live = true;
    const timer = setTimeout(() => {
      request.client
        .estimate({
          prompts: request.jobs.map((j) => ({ prompt: j.prompt.text, object: j.prompt.object })),
          settings: request.settings,
        })
        .then(
          (estimate) =>
            live &&
            setAnswer({ for: request, state: { phase: 'ready', estimate, jobs: request.jobs } }),
          (e: unknown) =>
            live && setAnswer({ for: request, state: { phase: 'error', error: errorText(e) } }),
        );
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [request]);

  if (!request) return { phase: 'none' };
  return answer?.for === request ? answer.state : { phase: 'estimating' };
}

/**
 * The jobs that can run: all of `jobs` except those the estimate (when it is for them) says
 * cannot, so that the Run button counts and starts only what will run.
 */
export function runnableJobs(jobs: Job[], estimate: EstimateState): Job[] {
  if (estimate.phase !== 'ready') return jobs;
  const refused = new Set(
    estimate.jobs.filter((_, i) => estimate.estimate.items[i]?.ok === false).map((j) => jobId(j)),
  );
  return refused.size ? jobs.filter((j) => !refused.has(jobId(j))) : jobs;
}

const jobId = (j: Job) => JSON.stringify([j.fact.id, j.index]);
