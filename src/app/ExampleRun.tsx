/**
 * The first visit's example (./first-visit.ts): the fact is added as soon as the page knows it is
 * a first visit, and its run starts once the demo model is loaded and the prompts are estimated,
 * like a Run the visitor pressed (progress, Cancel, the result cache). Anything the visitor does
 * to the facts before that stops it; it never starts by itself again.
 */
import { useEffect, useRef, useState } from 'react';
import { EXAMPLE_FACT, exampleRanBefore, isFirstVisit, markExampleRan } from './first-visit';
import type { Action, ExplorerState, Job } from './state';
import type { RunControl } from './useRun';

const storage = (): Storage | undefined => {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
};

export interface ExampleRunState {
  /** The example was added on this visit and is still the only fact. */
  shown: boolean;
  /** Stops the example's run (if it runs) and leaves the page to the visitor. */
  stop(): void;
}

/**
 * The example's phase is the explorer state's `example` (./state.ts): set when the example is
 * added, moved on here when its run starts, ended by the reducer when the facts change.
 */
export function useExampleRun({
  restored,
  openedFrom,
  state,
  dispatch,
  ready,
  runnable,
  run,
}: {
  restored: boolean;
  openedFrom: 'link' | 'tab' | 'browser' | 'none' | undefined;
  state: ExplorerState;
  dispatch: (a: Action) => void;
  /** The model is loaded and nothing is estimating. */
  ready: boolean;
  /** The prompts the estimate says can run now. */
  runnable: Job[];
  run: RunControl;
}): ExampleRunState {
  // The address as the page opened, before the page writes its state into it.
  const [opened] = useState(() => ({
    search: window.location.search,
    hash: window.location.hash,
  }));
  // Decided once per page.
  const decided = useRef(false);

  useEffect(() => {
    if (decided.current || !restored || openedFrom === undefined) return;
    decided.current = true;
    const first = isFirstVisit({
      ...opened,
      openedFrom,
      ranBefore: exampleRanBefore(storage()),
    });
    if (!first) return;
    markExampleRan(storage());
    dispatch({ type: 'add-facts', facts: [EXAMPLE_FACT], example: true });
  }, [restored, openedFrom, opened, dispatch]);

  useEffect(() => {
    if (state.example !== 'waiting') return;
    const all = runnable.length === EXAMPLE_FACT.prompts.length;
    if (ready && all && run.run.phase === 'idle') {
      run.start(runnable);
      dispatch({ type: 'example', phase: 'started' });
    }
  }, [state.example, ready, runnable, run, dispatch]);

  return {
    shown: state.example !== undefined,
    stop: () => {
      if (run.run.phase === 'running') run.cancel();
      dispatch({ type: 'example', phase: null });
    },
  };
}

/** The note over the page while the example is shown. */
export function ExampleBanner({
  example,
  running,
}: {
  example: ExampleRunState;
  running: boolean;
}) {
  if (!example.shown) return null;
  return (
    <p className="banner note example-banner" role="status" data-testid="example-banner">
      An example: where the demo model keeps “the capital of Germany is Berlin” in English and
      Chinese{running ? ', running by itself this once' : ''}; the neurons both share are listed
      above the maps. Add your own facts on the left.{' '}
      <button type="button" onClick={example.stop} data-testid="example-stop">
        {running ? 'Stop the example' : 'Dismiss'}
      </button>
    </p>
  );
}
