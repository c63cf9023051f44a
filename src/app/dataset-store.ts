/**
 * Uploaded data sets, kept in IndexedDB so that a dataset run of one resumes after a reload: the
 * link names the upload by its file name and digest, and the facts are read back from here. A
 * link opened in another browser finds nothing and asks for the file again.
 */
import { digest } from '../analysis/dataset';
import type { Fact } from '../facts';

const DB_NAME = 'kne-datasets';
const DB_VERSION = 1;
const STORE = 'sets';

export interface StoredDataset {
  digest: string;
  name: string;
  facts: Fact[];
  savedAt: number;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

let db: Promise<IDBDatabase> | undefined;

function open(): Promise<IDBDatabase> {
  db ??= new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open(DB_NAME, DB_VERSION);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: 'digest' });
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  db.catch(() => (db = undefined));
  return db;
}

/** Keeps the facts of an upload; returns the digest that names them. */
export async function saveDataset(name: string, facts: Fact[]): Promise<string> {
  const row: StoredDataset = { digest: digest(facts), name, facts, savedAt: Date.now() };
  const tx = (await open()).transaction(STORE, 'readwrite');
  await request(tx.objectStore(STORE).put(row));
  return row.digest;
}

export async function loadDataset(id: string): Promise<StoredDataset | undefined> {
  const tx = (await open()).transaction(STORE, 'readonly');
  return (await request(tx.objectStore(STORE).get(id))) as StoredDataset | undefined;
}
