import {
  type Dispatch,
  useCallback,
  useEffect,
  useLayoutEffect,
  useReducer,
  useRef,
  useState,
} from 'react';
import { errorText } from './errors';
import { PARAM, decodeState, encodeState, stateParam } from './share';
import { type Action, type ExplorerState, initialState, reduce } from './state';
import {
  type LinkRead,
  type Opening,
  WorkingStateStore,
  openingState,
  worthKeeping,
} from './working-state';

const WRITE_DELAY_MS = 200;
/** How many of its own fragments the page remembers (a link and the writes that cross it). */
const KNOWN = 8;

export interface ExplorerStore {
  state: ExplorerState;
  dispatch: Dispatch<Action>;
  /** Whether the address and the stored working state have been read. */
  restored: boolean;
  /** Where the opening state came from, once restored ('none': no link and nothing kept). */
  openedFrom: Opening['from'] | undefined;
  /** Why the link in the address could not be used, when it could not. */
  linkError: string | undefined;
  /** Why the working state kept in this browser could not be used, when it could not. */
  storageProblem: string | undefined;
  /** Whether the working state outlives the page here. */
  persistent: boolean;
  /** The working state a link replaced (it had facts), while the user may go back to it. */
  replaced: ExplorerState | undefined;
  /** Goes back to the state the link replaced (the link's state is then the one offered). */
  goBack(): void;
  /** Stops offering the replaced state. */
  dismissReplaced(): void;
}

/** The address with `value` as its state fragment, or with no fragment. */
function addressWith(value: string | undefined): URL {
  const url = new URL(window.location.href);
  url.hash = value === undefined ? '' : `${PARAM}=${value}`;
  return url;
}

async function readLink(value: string | undefined): Promise<LinkRead> {
  if (value === undefined) return { kind: 'none' };
  try {
    return { kind: 'valid', value, state: await decodeState(value) };
  } catch (e) {
    return { kind: 'rejected', value, reason: `This link could not be opened: ${errorText(e)}.` };
  }
}

/**
 * The explorer's state. It is kept in the browser (./working-state.ts) and in the address bar's
 * fragment as a share link. A reload restores the tab's state; opening or pasting a link (a new
 * fragment) replaces it, and the replaced state is offered back; a link that cannot be read is
 * reported, removed from the address, and changes nothing.
 */
export function useExplorerState(): ExplorerStore {
  const [state, dispatch] = useReducer(reduce, undefined, initialState);
  const [restored, setRestored] = useState(false);
  const [openedFrom, setOpenedFrom] = useState<Opening['from']>();
  const [linkError, setLinkError] = useState<string>();
  const [storageProblem, setStorageProblem] = useState<string>();
  const [replaced, setReplaced] = useState<ExplorerState>();
  const [store] = useState(WorkingStateStore.inBrowser);
  // The fragment this page wrote last, so that its own writes are not read back as links.
  const written = useRef<string | undefined>(undefined);
  // The last fragments this page wrote or read: any other one in the address is a new link.
  const known = useRef<string[]>([]);
  const write = (value: string) => {
    written.current = value;
    known.current = [value, ...known.current.filter((v) => v !== value)].slice(0, KNOWN);
  };
  // The state and the replaced one now, for the handlers outside render (hashchange, pagehide).
  const current = useRef(state);
  const replacedRef = useRef(replaced);
  useLayoutEffect(() => {
    current.current = state;
    replacedRef.current = replaced;
  }, [state, replaced]);
  // Whether a replaced state must be written to the tab's record with the next save.
  const replacedChanged = useRef(false);

  const offer = useCallback((s: ExplorerState | undefined) => {
    replacedChanged.current = true;
    setReplaced(s);
  }, []);

  useEffect(() => {
    let live = true;
    /** A fragment that is not this page's own: a link opened in the running page. */
    const onLink = async (value: string | undefined) => {
      if (value === undefined || value === written.current) return;
      const link = await readLink(value);
      if (!live || link.kind === 'none') return;
      if (link.kind === 'rejected') {
        setLinkError(link.reason);
        // Put the page's own state back in the address: the bad link is gone, nothing changes.
        if (stateParam(window.location.hash) === value)
          window.history.replaceState(window.history.state, '', addressWith(written.current));
        return;
      }
      const before = current.current;
      write(value);
      setLinkError(undefined);
      offer(worthKeeping(before, link.state) ? before : undefined);
      dispatch({ type: 'replace', state: link.state });
    };

    void (async () => {
      const value = stateParam(window.location.hash);
      const link = await readLink(value);
      if (!live) return;
      const stored = store.read();
      if (stored.problems.length) setStorageProblem(stored.problems.join(' '));
      const opening = openingState(link, stored);
      if (link.kind === 'rejected') {
        setLinkError(link.reason);
        if (stateParam(window.location.hash) === link.value)
          window.history.replaceState(window.history.state, '', addressWith(undefined));
      } else if (link.kind === 'valid') {
        write(link.value);
      }
      if (opening.from === 'link') offer(opening.replaced);
      else if (opening.from === 'tab' && stored.tab.previous) setReplaced(stored.tab.previous);
      if (opening.state) dispatch({ type: 'replace', state: opening.state });
      setOpenedFrom(opening.from);
      setRestored(true);
    })();
    // The new address comes with the event: by the time it is handled, this page may have written
    // its own state over it (a same-document navigation and the next write can cross).
    const onHash = (e: HashChangeEvent) => void onLink(stateParam(new URL(e.newURL).hash));
    window.addEventListener('hashchange', onHash);
    return () => {
      live = false;
      window.removeEventListener('hashchange', onHash);
    };
  }, [offer, store]);

  const save = useCallback(
    (s: ExplorerState, address?: string) => {
      const previous = replacedChanged.current ? (replacedRef.current ?? null) : undefined;
      replacedChanged.current = false;
      store.save(s, address, previous);
    },
    [store],
  );

  // Changes go to the browser's storage and then to the address bar once they settle:
  // replaceState adds no history entry, and browsers refuse more than about 100 calls in 10 s
  // (a dragged tau slider would get there).
  useEffect(() => {
    if (!restored) return;
    let live = true;
    const timer = setTimeout(() => {
      save(state);
      void encodeState(state).then((value) => {
        if (!live || value === written.current) return;
        // A fragment this page did not write is a link whose hashchange is still to come: it
        // is read then, and must not be overwritten first.
        const there = stateParam(window.location.hash);
        if (there !== undefined && !known.current.includes(there)) return;
        write(value);
        window.history.replaceState(window.history.state, '', addressWith(value));
        save(state, value);
      });
    }, WRITE_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [state, restored, save]);

  // A reload or a closed tab within the write delay still keeps the last change.
  useEffect(() => {
    if (!restored) return;
    const flush = () => save(current.current);
    window.addEventListener('pagehide', flush);
    return () => window.removeEventListener('pagehide', flush);
  }, [restored, save]);

  const goBack = useCallback(() => {
    const back = replacedRef.current;
    if (!back) return;
    offer(current.current.facts.length ? current.current : undefined);
    dispatch({ type: 'replace', state: back });
  }, [offer]);

  const dismissReplaced = useCallback(() => offer(undefined), [offer]);

  return {
    state,
    dispatch,
    restored,
    openedFrom,
    linkError,
    storageProblem,
    persistent: store.persistent,
    replaced,
    goBack,
    dismissReplaced,
  };
}
