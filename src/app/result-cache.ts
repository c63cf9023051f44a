/**
 * Finished attributions, kept in IndexedDB so that a reload (or a share link opened in the
 * same browser) shows them without running again. A result is keyed by the model's key (its id
 * and a digest of its files, ModelInfo.key), the prompt's language, text and object, and the
 * settings that change scores; tau is not in the key, it only selects from a finished map.
 */
import { type AttributionSettings, settingsKey } from '../attribution/settings';
import type { Prompt } from '../facts';
import type { AttributionResult } from '../worker-api';

const DB_NAME = 'kne-results';
const DB_VERSION = 1;
const STORE = 'results';

export function resultKey(modelKey: string, prompt: Prompt, settings: AttributionSettings): string {
  return JSON.stringify([
    modelKey,
    prompt.language,
    prompt.text,
    prompt.object,
    settingsKey(settings),
  ]);
}

export interface ResultCache {
  /** Whether results outlive the page (false where the browser refuses IndexedDB). */
  readonly persistent: boolean;
  get(key: string): Promise<AttributionResult | undefined>;
  put(key: string, result: AttributionResult): Promise<void>;
  /** Deletes every stored result. */
  clear(): Promise<void>;
}

interface Row {
  key: string;
  result: AttributionResult;
  savedAt: number;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function openDb(): Promise<IDBDatabase> {
  const open = indexedDB.open(DB_NAME, DB_VERSION);
  open.onupgradeneeded = () => {
    open.result.createObjectStore(STORE, { keyPath: 'key' });
  };
  return request(open);
}

class IdbResultCache implements ResultCache {
  readonly persistent = true;
  constructor(private readonly db: IDBDatabase) {}

  private store(mode: IDBTransactionMode): IDBObjectStore {
    return this.db.transaction(STORE, mode).objectStore(STORE);
  }

  async get(key: string): Promise<AttributionResult | undefined> {
    const row = (await request(this.store('readonly').get(key))) as Row | undefined;
    return row?.result;
  }

  async put(key: string, result: AttributionResult): Promise<void> {
    const row: Row = { key, result, savedAt: Date.now() };
    await request(this.store('readwrite').put(row));
  }

  async clear(): Promise<void> {
    await request(this.store('readwrite').clear());
  }
}

/** Keeps results for this page only. */
class MemoryResultCache implements ResultCache {
  readonly persistent = false;
  private readonly rows = new Map<string, AttributionResult>();

  async get(key: string) {
    return this.rows.get(key);
  }

  async put(key: string, result: AttributionResult) {
    this.rows.set(key, result);
  }

  async clear() {
    this.rows.clear();
  }
}

/** The browser's result store; a page-only one where IndexedDB is missing or refused. */
export async function openResultCache(): Promise<ResultCache> {
  try {
    if (typeof indexedDB === 'undefined') return new MemoryResultCache();
    return new IdbResultCache(await openDb());
  } catch {
    return new MemoryResultCache();
  }
}
