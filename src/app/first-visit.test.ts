import { describe, expect, it } from 'vitest';
import { clozeProblem } from '../facts/template';
import {
  EXAMPLE_FACT,
  EXAMPLE_KEY,
  exampleRanBefore,
  isFirstVisit,
  markExampleRan,
} from './first-visit';
import { type ExplorerState, initialState, reduce } from './state';

const plain = { search: '', hash: '', openedFrom: 'none' as const, ranBefore: false };

describe('the first visit', () => {
  it('is the plain address, with nothing kept and no example run before', () => {
    expect(isFirstVisit(plain)).toBe(true);
    expect(isFirstVisit({ ...plain, search: '?backend=wasm' })).toBe(false);
    expect(isFirstVisit({ ...plain, hash: '#s=zAbc' })).toBe(false);
    expect(isFirstVisit({ ...plain, openedFrom: 'browser' })).toBe(false);
    expect(isFirstVisit({ ...plain, openedFrom: 'tab' })).toBe(false);
    expect(isFirstVisit({ ...plain, openedFrom: 'link' })).toBe(false);
    expect(isFirstVisit({ ...plain, ranBefore: true })).toBe(false);
  });

  it('remembers that the example ran; storage that fails counts as ran', () => {
    const rows = new Map<string, string>();
    const storage = {
      getItem: (k: string) => rows.get(k) ?? null,
      setItem: (k: string, v: string) => void rows.set(k, v),
    };
    expect(exampleRanBefore(storage)).toBe(false);
    markExampleRan(storage);
    expect(rows.has(EXAMPLE_KEY)).toBe(true);
    expect(exampleRanBefore(storage)).toBe(true);
    const refusing = {
      getItem: (): string | null => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    expect(exampleRanBefore(refusing)).toBe(true);
    expect(() => markExampleRan(refusing)).not.toThrow();
    expect(exampleRanBefore(undefined)).toBe(true);
  });

  it('runs a fact in English and Chinese whose prompts are valid clozes', () => {
    expect(EXAMPLE_FACT.prompts.map((p) => p.language)).toEqual(['en', 'zh']);
    for (const p of EXAMPLE_FACT.prompts) expect(clozeProblem(p.text)).toBeUndefined();
  });

  it('keeps its phase in the state: added and waiting, started, ended by any change of the facts', () => {
    const added = reduce(initialState(), {
      type: 'add-facts',
      facts: [EXAMPLE_FACT],
      example: true,
    });
    expect(added.example).toBe('waiting');
    expect(added.view.factId).toBe(EXAMPLE_FACT.id);
    const started = reduce(added, { type: 'example', phase: 'started' });
    expect(started.example).toBe('started');
    // What is not about the facts leaves it shown.
    expect(reduce(started, { type: 'tau', language: 'en', tau: 0.5 }).example).toBe('started');
    const other = { ...EXAMPLE_FACT, id: 'mine' };
    const ends: ExplorerState[] = [
      reduce(added, { type: 'add-facts', facts: [other] }),
      reduce(started, { type: 'remove-fact', id: EXAMPLE_FACT.id }),
      reduce(started, { type: 'clear-facts' }),
      reduce(started, { type: 'replace', state: initialState() }),
      reduce(started, { type: 'example', phase: null }),
    ];
    for (const state of ends) expect(state.example).toBeUndefined();
    // Once ended it does not come back by itself.
    expect(reduce(ends[0], { type: 'example', phase: 'started' }).example).toBeUndefined();
  });
});
