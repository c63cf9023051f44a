/**
 * The user's Hugging Face access token, for gated models: kept in this browser's localStorage
 * under its own key (apart from the working state, which links and exports are made from), read
 * when a Hub request is made, and sent only to the Hub (src/weights/url-source.ts).
 */
/** The part of the Web Storage API used here (Node tests pass a Map-backed one). */
export type TokenStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export const HUB_TOKEN_KEY = 'kne-hub-token';

function browserStorage(): TokenStorage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/** The kept token, if any. */
export function readHubToken(store = browserStorage()): string | undefined {
  try {
    return store?.getItem(HUB_TOKEN_KEY)?.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Keeps `token` (trimmed); whether the browser kept it (storage may be refused or full). */
export function saveHubToken(token: string, store = browserStorage()): boolean {
  const value = token.trim();
  if (!value || !store) return false;
  try {
    store.setItem(HUB_TOKEN_KEY, value);
    return true;
  } catch {
    return false;
  }
}

export function forgetHubToken(store = browserStorage()): void {
  try {
    store?.removeItem(HUB_TOKEN_KEY);
  } catch {
    // Nothing kept, nothing to forget.
  }
}
