/**
 * Exercises IdbResultStore inside a Web Worker (where the engine uses it), for
 * e2e/analysis-views.spec.ts: `write` stores records, `read` reports what a fresh store sees
 * (after a reload, too), `clear` deletes by prefix. Each answer is a plain object.
 */
import { IdbResultStore } from '../../src/worker-api/idb-store';

const DB = 'kne-analysis-e2e';

async function write() {
  const store = await IdbResultStore.open(DB);
  await store.delete('');
  const value = {
    scores: new Float32Array([1.5, -2, 3]),
    nested: { a: 1 },
    counts: new Uint32Array([7]),
  };
  await store.put('kn/v1/m/abc/fact-1/en', value);
  value.nested.a = 99; // a clone was stored: later changes do not leak in
  await store.put('kn/v1/m/abc/fact-2/zh', { n: 2 });
  await store.put('kn/v1/m/abc/%E4%B8%AD/zh', { n: 3 });
  await store.put('kn/v1/m2/abc/fact-1/en', { n: 4 });
  await store.put('dkn/v1/m/abc/fact-1/en', { n: 5 });
  await store.put('kn/v1/m/abc/fact-2/zh', { n: 6 }); // overwrites
  store.close();
  return { ok: true };
}

async function read() {
  const store = await IdbResultStore.open(DB);
  const first = (await store.get('kn/v1/m/abc/fact-1/en')) as {
    scores: Float32Array;
    nested: { a: number };
    counts: Uint32Array;
  };
  const result = {
    typed: first.scores instanceof Float32Array && first.counts instanceof Uint32Array,
    scores: Array.from(first.scores),
    nested: first.nested.a,
    overwritten: await store.get('kn/v1/m/abc/fact-2/zh'),
    missing: (await store.get('nope')) === undefined,
    kn: await store.keys('kn/v1/m/'),
    all: (await store.keys('')).length,
  };
  store.close();
  return result;
}

async function clear() {
  const store = await IdbResultStore.open(DB);
  const deleted = await store.delete('kn/');
  const left = await store.keys('');
  store.close();
  return { deleted, left };
}

const STEPS: Record<string, () => Promise<unknown>> = { write, read, clear };

self.onmessage = async (e: MessageEvent<string>) => {
  try {
    self.postMessage({ ok: true, value: await STEPS[e.data]() });
  } catch (err) {
    self.postMessage({
      ok: false,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
  }
};
