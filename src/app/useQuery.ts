import { useEffect, useState } from 'react';
import { errorText } from './errors';

export type Query<T> =
  | { phase: 'idle' }
  | { phase: 'loading' }
  | { phase: 'ready'; value: T }
  | { phase: 'error'; error: string };

/**
 * The answer to an asynchronous question, asked again whenever `ask` changes identity (memoize
 * it on what it depends on). An answer counts only for the question it answers, so a slow
 * answer to an old question never shows. Undefined `ask`: nothing to ask.
 */
export function useQuery<T>(ask: (() => Promise<T>) | undefined): Query<T> {
  const [answer, setAnswer] = useState<{ for: () => Promise<T>; query: Query<T> }>();
  useEffect(() => {
    if (!ask) return;
    let live = true;
    ask().then(
      (value) => live && setAnswer({ for: ask, query: { phase: 'ready', value } }),
      (e: unknown) =>
        live && setAnswer({ for: ask, query: { phase: 'error', error: errorText(e) } }),
    );
    return () => {
      live = false;
    };
  }, [ask]);
  if (!ask) return { phase: 'idle' };
  return answer?.for === ask ? answer.query : { phase: 'loading' };
}
