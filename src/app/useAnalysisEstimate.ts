import { useEffect, useMemo, useState } from 'react';
import type { AnalysisEstimate, AnalysisEstimateRequest, EngineClient } from '../worker-api';
import { errorText } from './errors';
import type { Query } from './useQuery';

/** Settle time before asking, so typing a number does not start an estimate per key. */
const DEBOUNCE_MS = 250;

/**
 * The worker's estimate of an analysis (its cost, and how much of it is stored), asked again
 * when the request or `refresh` changes (a run that stopped has stored more). Memoise the request
 * on what it depends on; undefined asks nothing (while a call runs, the worker is busy).
 */
export function useAnalysisEstimate(
  client: EngineClient | undefined,
  request: AnalysisEstimateRequest | undefined,
  refresh: unknown,
): Query<AnalysisEstimate> {
  const asked = useMemo(
    () => (client && request ? { client, request, refresh } : undefined),
    [client, request, refresh],
  );
  const [answer, setAnswer] = useState<{ for: typeof asked; query: Query<AnalysisEstimate> }>();

  useEffect(() => {
    if (!asked) return;
    let live = true;
    const timer = setTimeout(() => {
      asked.client.estimateAnalysis(asked.request).then(
        (value) => live && setAnswer({ for: asked, query: { phase: 'ready', value } }),
        (e: unknown) =>
          live && setAnswer({ for: asked, query: { phase: 'error', error: errorText(e) } }),
      );
    }, DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [asked]);

  if (!asked) return { phase: 'idle' };
  return answer?.for === asked ? answer.query : { phase: 'loading' };
}
