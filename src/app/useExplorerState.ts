import { type Dispatch, useEffect, useReducer, useRef, useState } from 'react';
import { errorText } from './errors';
import { PARAM, decodeState, encodeState, stateParam } from './share';
import { type Action, type ExplorerState, initialState, reduce } from './state';

const WRITE_DELAY_MS = 200;

export interface ExplorerStore {
  state: ExplorerState;
  dispatch: Dispatch<Action>;
  /** Whether the address has been read (the state may come from a link). */
  restored: boolean;
  /** Why the link in the address could not be used, when it could not. */
  linkError: string | undefined;
}

/**
 * The explorer's state, kept in the address bar's fragment as a share link: a reload restores
 * it, and opening or pasting a link (a new fragment) replaces it.
 */
export function useExplorerState(): ExplorerStore {
  const [state, dispatch] = useReducer(reduce, undefined, initialState);
  const [restored, setRestored] = useState(false);
  const [linkError, setLinkError] = useState<string>();
  // The fragment this page wrote last, so that its own writes are not read back as links.
  const written = useRef<string | undefined>(undefined);

  useEffect(() => {
    let live = true;
    const read = async () => {
      const value = stateParam(window.location.hash);
      if (value === undefined || value === written.current) return;
      try {
        const s = await decodeState(value);
        if (!live) return;
        written.current = value;
        setLinkError(undefined);
        dispatch({ type: 'replace', state: s });
      } catch (e) {
        if (live) setLinkError(`This link could not be opened: ${errorText(e)}.`);
      }
    };
    void read().finally(() => live && setRestored(true));
    const onHash = () => void read();
    window.addEventListener('hashchange', onHash);
    return () => {
      live = false;
      window.removeEventListener('hashchange', onHash);
    };
  }, []);

  // Changes go to the address bar once they settle: replaceState adds no history entry, and
  // browsers refuse more than about 100 calls in 10 s (a dragged tau slider would get there).
  useEffect(() => {
    if (!restored) return;
    let live = true;
    const timer = setTimeout(() => {
      void encodeState(state).then((value) => {
        if (!live || value === written.current) return;
        written.current = value;
        const url = new URL(window.location.href);
        url.hash = `${PARAM}=${value}`;
        window.history.replaceState(window.history.state, '', url);
      });
    }, WRITE_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [state, restored]);

  return { state, dispatch, restored, linkError };
}
