import { describe, expect, it } from 'vitest';
import {
  HUB_TOKEN_KEY,
  type TokenStorage,
  forgetHubToken,
  readHubToken,
  saveHubToken,
} from './hub-token';
import { BROWSER_KEY, TAB_KEY } from './working-state';

function memoryStorage(): TokenStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => void items.set(k, v),
    removeItem: (k) => void items.delete(k),
  };
}

describe('the kept Hugging Face token', () => {
  it('is kept trimmed under its own key, apart from the working state, and forgotten', () => {
    const store = memoryStorage();
    expect(readHubToken(store)).toBeUndefined();
    expect(saveHubToken('  hf_abc \n', store)).toBe(true);
    expect(readHubToken(store)).toBe('hf_abc');
    expect([...store.items.keys()]).toEqual([HUB_TOKEN_KEY]);
    expect([TAB_KEY, BROWSER_KEY]).not.toContain(HUB_TOKEN_KEY);
    forgetHubToken(store);
    expect(readHubToken(store)).toBeUndefined();
    expect(store.items.size).toBe(0);
  });

  it('says so when the browser refuses to keep it, and keeps no blank one', () => {
    const refusing: TokenStorage = {
      getItem: () => null,
      setItem: () => {
        throw new DOMException('quota', 'QuotaExceededError');
      },
      removeItem: () => {},
    };
    expect(saveHubToken('hf_abc', refusing)).toBe(false);
    const store = memoryStorage();
    expect(saveHubToken('   ', store)).toBe(false);
    expect(store.items.size).toBe(0);
  });
});
