import { describe, expect, it } from 'vitest';
import { DEFAULT_ANALYSIS } from './analysis-state';
import { DEFAULT_SETTINGS } from '../attribution/settings';
import { stateText } from './share';
import { type ExplorerState, initialState } from './state';
import {
  BROWSER_KEY,
  type LinkRead,
  type StorageLike,
  TAB_KEY,
  WORKING_STATE_VERSION,
  WorkingStateStore,
  openingState,
} from './working-state';

class MapStorage implements StorageLike {
  readonly items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

/** A storage the browser refuses (privacy mode, full disk): every call throws. */
const refusing: StorageLike = {
  getItem: () => {
    throw new DOMException('denied', 'SecurityError');
  },
  setItem: () => {
    throw new DOMException('full', 'QuotaExceededError');
  },
};

const withFacts = (id: string, model = 'demo-bert'): ExplorerState => ({
  model: { kind: 'bundled', name: model },
  facts: [
    {
      id,
      prompts: [{ language: 'en', text: `The capital of ${id} is [MASK] .`, object: 'X' }],
    },
  ],
  settings: { ...DEFAULT_SETTINGS, steps: 7 },
  tau: { en: 0.4 },
  view: { factId: id },
  analysis: { ...DEFAULT_ANALYSIS, tab: 'dataset' },
});

const valid = (value: string, state: ExplorerState): LinkRead => ({ kind: 'valid', value, state });

describe('WorkingStateStore', () => {
  it('keeps the state per tab and for the browser, and reads it back validated', () => {
    const tab = new MapStorage();
    const browser = new MapStorage();
    const store = new WorkingStateStore(tab, browser, () => 42);
    const s = withFacts('france');
    expect(store.save(s, 'zADDR')).toBe(true);
    const read = store.read();
    expect(read).toEqual({ tab: { state: s, address: 'zADDR' }, browser: s, problems: [] });
    expect(JSON.parse(browser.getItem(BROWSER_KEY)!)).toMatchObject({
      version: WORKING_STATE_VERSION,
      savedAt: 42,
    });
    // A save without an address keeps the one written before; the replaced state is kept
    // until it is forgotten with null.
    const old = withFacts('spain');
    store.save(s, undefined, old);
    expect(store.read().tab).toEqual({ state: s, address: 'zADDR', previous: old });
    store.save(withFacts('italy'));
    expect(store.read().tab.previous).toEqual(old);
    store.save(s, undefined, null);
    expect(store.read().tab.previous).toBeUndefined();
  });

  it('treats what storage returns as untrusted: a damaged or hostile state is refused with the reason', () => {
    const tab = new MapStorage();
    const browser = new MapStorage();
    const store = new WorkingStateStore(tab, browser);
    const hostile = JSON.parse(stateText(withFacts('x')));
    hostile[4][0][3][0][1] = 'no mask here'; // a prompt without [MASK]
    tab.setItem(
      TAB_KEY,
      JSON.stringify({ version: WORKING_STATE_VERSION, state: JSON.stringify(hostile) }),
    );
    browser.setItem(BROWSER_KEY, '{not json');
    const read = store.read();
    expect(read.tab).toEqual({});
    expect(read.browser).toBeUndefined();
    expect(read.problems).toEqual([
      'The work kept in this browser could not be used: it is not readable.',
      expect.stringMatching(/^The work of this tab kept in this browser could not be used: .*MASK/),
    ]);
    // Another version's record, and a state that is not text, are refused too.
    browser.setItem(BROWSER_KEY, JSON.stringify({ version: 99, state: '[]' }));
    tab.setItem(TAB_KEY, JSON.stringify({ version: WORKING_STATE_VERSION, state: [1] }));
    expect(store.read().problems).toEqual([
      'The work kept in this browser could not be used: it was kept by another version of this app.',
      'The work of this tab kept in this browser could not be used: it is not a state of this app.',
    ]);
  });

  it('fails softly where the browser refuses storage', () => {
    const store = new WorkingStateStore(refusing, undefined);
    expect(store.persistent).toBe(true);
    expect(store.save(withFacts('x'))).toBe(false);
    expect(store.read()).toEqual({ tab: {}, browser: undefined, problems: [] });
    expect(new WorkingStateStore(undefined, undefined).persistent).toBe(false);
  });
});

describe('openingState', () => {
  const mine = withFacts('mine');
  const other = withFacts('other-tab');
  const link = withFacts('linked', 'demo-gpt2');

  it('a reload of the tab gives its own latest state, even when the address is older', () => {
    const stored = { tab: { state: mine, address: 'zOLD' }, browser: other, problems: [] };
    expect(openingState(valid('zOLD', withFacts('stale')), stored)).toEqual({
      from: 'tab',
      state: mine,
    });
  });

  it('a link replaces the working state and keeps the one it replaced', () => {
    const stored = { tab: { state: mine, address: 'zMINE' }, browser: other, problems: [] };
    expect(openingState(valid('zLINK', link), stored)).toEqual({
      from: 'link',
      state: link,
      replaced: mine,
    });
    // In a new tab, the browser's latest is what it replaces.
    expect(openingState(valid('zLINK', link), { tab: {}, browser: other, problems: [] })).toEqual({
      from: 'link',
      state: link,
      replaced: other,
    });
    // Nothing worth offering back: no facts, or the same state.
    const empty = { tab: { state: initialState() }, problems: [] };
    expect(openingState(valid('zLINK', link), empty)).toEqual({ from: 'link', state: link });
    const same = { tab: { state: link }, problems: [] };
    expect(openingState(valid('zLINK', link), same)).toEqual({ from: 'link', state: link });
  });

  it('a rejected link, or none, leaves the working state as it was', () => {
    const rejected: LinkRead = { kind: 'rejected', value: 'zNOT', reason: 'damaged' };
    const stored = { tab: { state: mine }, browser: other, problems: [] };
    expect(openingState(rejected, stored)).toEqual({ from: 'tab', state: mine });
    expect(openingState({ kind: 'none' }, stored)).toEqual({ from: 'tab', state: mine });
    expect(openingState(rejected, { tab: {}, browser: other, problems: [] })).toEqual({
      from: 'browser',
      state: other,
    });
    expect(openingState(rejected, { tab: {}, problems: [] })).toEqual({ from: 'none' });
  });
});
