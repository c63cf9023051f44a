/**
 * The working state (facts, settings, views) kept in the browser apart from the address, so that
 * nothing the user had is lost to a bad link, a link opened over it, or a reload.
 *
 * Two records, both the state's link JSON (share.ts `stateText`) in a versioned envelope, and both
 * read back with the links' own validator (`parseStateText`): what storage returns is as
 * untrusted as a link.
 * - the tab's record (sessionStorage: this tab only, survives reloads): its latest state, the
 *   fragment it last wrote to the address (to tell a reload from a link opened in the tab), and
 *   the state a link replaced, so the user can go back to it;
 * - the browser's record (localStorage): the latest state of any tab, for a page opened without
 *   a link.
 *
 * Precedence when the page opens (`openingState`): a valid link that this tab did not write
 * replaces the working state, and the state it replaced is kept (offered back); the tab's own
 * fragment (a reload) gives the tab's latest state, which may be newer than the address; no link,
 * or a rejected one (its reason is shown and it is removed from the address), gives the tab's
 * state, else the browser's, else an empty one.
 */
import { ShareLinkError, parseStateText, stateText } from './share';
import type { ExplorerState } from './state';

/** Bumped when the envelope changes; the state inside carries the link format's own version. */
export const WORKING_STATE_VERSION = 1;
export const TAB_KEY = 'kne-tab-state';
export const BROWSER_KEY = 'kne-working-state';

/** The part of the Web Storage API used here (Node tests pass a Map-backed one). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

interface TabRecord {
  version: number;
  state: string;
  /** The fragment value this tab last wrote to the address. */
  address?: string;
  /** The state a link replaced (link JSON). */
  previous?: string;
}

interface BrowserRecord {
  version: number;
  state: string;
  savedAt: number;
}

/** A stored state that was read and validated. */
export interface Kept {
  state: ExplorerState;
}

export interface TabKept {
  state?: ExplorerState;
  address?: string;
  previous?: ExplorerState;
}

/** What reading the stores found: the states, and why a stored one was not usable. */
export interface StoredStates {
  tab: TabKept;
  browser?: ExplorerState;
  problems: string[];
}

function storageProblem(what: string, e: unknown): string {
  const why = e instanceof ShareLinkError ? e.message : 'it is not readable';
  return `The ${what} kept in this browser could not be used: ${why}.`;
}

function envelope(raw: string | null, what: string, problems: string[]): Record<string, unknown> {
  if (raw === null) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new ShareLinkError('it is not a state of this app');
    const record = parsed as Record<string, unknown>;
    if (record.version !== WORKING_STATE_VERSION)
      throw new ShareLinkError('it was kept by another version of this app');
    return record;
  } catch (e) {
    problems.push(storageProblem(what, e));
    return {};
  }
}

function stateOf(v: unknown, what: string, problems: string[]): ExplorerState | undefined {
  if (v === undefined) return undefined;
  try {
    if (typeof v !== 'string') throw new ShareLinkError('it is not a state of this app');
    return parseStateText(v);
  } catch (e) {
    problems.push(storageProblem(what, e));
    return undefined;
  }
}

/** Reading or writing storage that the browser refuses (privacy modes, a full disk) fails softly. */
function quietly<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** The tab's and the browser's records of the working state. */
export class WorkingStateStore {
  constructor(
    private readonly tab: StorageLike | undefined,
    private readonly browser: StorageLike | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the working state outlives the page at all here. */
  get persistent(): boolean {
    return !!(this.tab || this.browser);
  }

  /** The browser's sessionStorage and localStorage, each left out where it is refused. */
  static inBrowser(): WorkingStateStore {
    return new WorkingStateStore(
      quietly(() => window.sessionStorage),
      quietly(() => window.localStorage),
    );
  }

  read(): StoredStates {
    const problems: string[] = [];
    const t = envelope(quietly(() => this.tab?.getItem(TAB_KEY)) ?? null, 'work', problems);
    const b = envelope(quietly(() => this.browser?.getItem(BROWSER_KEY)) ?? null, 'work', problems);
    const tab: TabKept = {};
    const state = stateOf(t.state, 'work of this tab', problems);
    if (state) tab.state = state;
    if (typeof t.address === 'string') tab.address = t.address;
    const previous = stateOf(t.previous, 'work a link replaced', problems);
    if (previous) tab.previous = previous;
    return { tab, browser: stateOf(b.state, 'work', problems), problems };
  }

  /**
   * Keeps `state` as the tab's and the browser's latest; `address` is the fragment written to
   * the address bar for it (left as it was when undefined); `previous`, the state a link
   * replaced (null forgets it, undefined keeps it).
   */
  save(state: ExplorerState, address?: string, previous?: ExplorerState | null): boolean {
    const text = stateText(state);
    const old = quietly(() => this.tab?.getItem(TAB_KEY)) ?? null;
    const kept = envelope(old, 'work', []);
    const tab: TabRecord = { version: WORKING_STATE_VERSION, state: text };
    const addr = address ?? kept.address;
    if (typeof addr === 'string') tab.address = addr;
    if (previous) tab.previous = stateText(previous);
    else if (previous === undefined && typeof kept.previous === 'string')
      tab.previous = kept.previous;
    const browser: BrowserRecord = {
      version: WORKING_STATE_VERSION,
      state: text,
      savedAt: this.now(),
    };
    const put = (to: StorageLike | undefined, key: string, record: object) =>
      !!to && quietly(() => (to.setItem(key, JSON.stringify(record)), true)) === true;
    const a = put(this.tab, TAB_KEY, tab);
    const b = put(this.browser, BROWSER_KEY, browser);
    return a || b;
  }
}

/** Where the opening state came from. */
export type Opening =
  /** A link replaced the working state; `replaced` is the state it replaced, when it had facts. */
  | { from: 'link'; state: ExplorerState; replaced?: ExplorerState }
  /** The tab's own state (a reload), the browser's latest, or nothing kept. */
  | { from: 'tab' | 'browser' | 'none'; state?: ExplorerState };

/** What a link in the address is: absent, read, or rejected with the reason. */
export type LinkRead =
  | { kind: 'none' }
  | { kind: 'valid'; value: string; state: ExplorerState }
  | { kind: 'rejected'; value: string; reason: string };

/** The state the page opens with, given the address's link and the stored states. */
export function openingState(link: LinkRead, stored: StoredStates): Opening {
  const own = stored.tab.state ? { from: 'tab' as const, state: stored.tab.state } : undefined;
  const kept =
    own ?? (stored.browser ? { from: 'browser' as const, state: stored.browser } : undefined);
  if (link.kind === 'valid') {
    // The fragment this tab wrote (a reload): its latest state may be newer than the address.
    if (own && stored.tab.address === link.value) return own;
    const replaced = kept && worthKeeping(kept.state, link.state) ? kept.state : undefined;
    return replaced
      ? { from: 'link', state: link.state, replaced }
      : { from: 'link', state: link.state };
  }
  return kept ?? { from: 'none' };
}

/** Whether a state a link replaces is worth offering back: it has facts the link lacks. */
export function worthKeeping(old: ExplorerState, replacement: ExplorerState): boolean {
  return old.facts.length > 0 && stateText(old) !== stateText(replacement);
}
