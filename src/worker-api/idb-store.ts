/**
 * The dataset runs' `ResultStore` on IndexedDB, so a run survives a reload and resumes where it
 * stopped. It uses only what a Web Worker has (the `indexedDB` global, no DOM), and keeps
 * values as IndexedDB does: structured clones (typed arrays included). Its database is its own,
 * apart from the app's attribution cache (src/app/result-cache.ts).
 */
import type { ResultStore } from '../analysis/dataset';

export const ANALYSIS_DB = 'kne-analysis';
const VERSION = 1;
const STORE = 'results';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/** Resolves when a read-write transaction has committed (a put is durable only then). */
function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
  });
}

/**
 * The smallest string greater than every string that starts with `prefix`: the prefix with its
 * last UTF-16 code unit incremented (trailing U+FFFF units dropped first). Null when there is
 * none (an empty prefix, or one made of U+FFFF only): every key from the prefix on matches.
 */
export function prefixEnd(prefix: string): string | null {
  let end = prefix;
  while (end.length && end.charCodeAt(end.length - 1) === 0xffff) end = end.slice(0, -1);
  if (!end.length) return null;
  return end.slice(0, -1) + String.fromCharCode(end.charCodeAt(end.length - 1) + 1);
}

/** The key range of every key that starts with `prefix`. */
function prefixRange(prefix: string): IDBKeyRange | undefined {
  const end = prefixEnd(prefix);
  if (end === null) return prefix === '' ? undefined : IDBKeyRange.lowerBound(prefix);
  return IDBKeyRange.bound(prefix, end, false, true);
}

export class IdbResultStore implements ResultStore {
  private constructor(private readonly db: IDBDatabase) {
    // Another tab upgrading the database must not wait for this one forever.
    db.onversionchange = () => db.close();
  }

  /** Opens (creating if needed) the store's database. */
  static async open(
    name: string = ANALYSIS_DB,
    factory: IDBFactory = indexedDB,
  ): Promise<IdbResultStore> {
    const open = factory.open(name, VERSION);
    open.onupgradeneeded = () => {
      if (!open.result.objectStoreNames.contains(STORE)) open.result.createObjectStore(STORE);
    };
    return new IdbResultStore(await request(open));
  }

  async get(key: string): Promise<unknown> {
    return request(this.db.transaction(STORE, 'readonly').objectStore(STORE).get(key));
  }

  async put(key: string, value: unknown): Promise<void> {
    const tx = this.db.transaction(STORE, 'readwrite');
    const done = committed(tx);
    tx.objectStore(STORE).put(value, key);
    await done;
  }

  async keys(prefix: string): Promise<string[]> {
    const store = this.db.transaction(STORE, 'readonly').objectStore(STORE);
    return (await request(store.getAllKeys(prefixRange(prefix)))) as string[];
  }

  /** Deletes every result whose key starts with `prefix` (all of them for ''); how many went. */
  async delete(prefix: string): Promise<number> {
    const tx = this.db.transaction(STORE, 'readwrite');
    const done = committed(tx);
    const store = tx.objectStore(STORE);
    const range = prefixRange(prefix);
    const count = await request(store.count(range));
    if (range) store.delete(range);
    else store.clear();
    await done;
    return count;
  }

  close(): void {
    this.db.close();
  }
}
