import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../../tests/util/memory-cache';
import { HUB_URL, cachedModels } from '../weights';
import type { ModelRequest } from './api';
import { keepingCacheClean, openSource } from './sources';

/** A server that answers every file with `{}` and records the requests it got. */
function server() {
  const requests: { url: string; init?: RequestInit }[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    requests.push({ url: String(input), init });
    return new Response('{}', { headers: { 'content-length': '2' } });
  };
  return { fetch: fetch as typeof globalThis.fetch, requests };
}

describe('model sources', () => {
  it('open a bundled model under the app, past the HTTP cache, and refuse path tricks', async () => {
    const { fetch, requests } = server();
    const opts = { appUrl: 'https://app.example/kne/', fetch };
    const source = await openSource({ kind: 'bundled', name: 'demo-bert' }, opts);
    expect(source.id).toBe('demo-bert');
    await source.open('config.json');
    expect(requests).toEqual([
      {
        url: 'https://app.example/kne/models/demo-bert/config.json',
        init: { cache: 'no-store' },
      },
    ]);
    await expect(openSource({ kind: 'bundled', name: '../../etc' }, opts)).rejects.toThrow(
      '"../../etc" is not a bundled model name.',
    );
  });

  it('name Hub models id@revision off main, and open the cache for them only', async () => {
    let opened = 0;
    const opts = {
      appUrl: 'https://app.example/',
      openCache: async () => (opened++, undefined),
    };
    const id = (request: ModelRequest) => openSource(request, opts).then((s) => s.id);
    expect(await id({ kind: 'hub', id: 'owner/name' })).toBe('owner/name');
    expect(await id({ kind: 'hub', id: 'owner/name', revision: '' })).toBe('owner/name');
    expect(await id({ kind: 'hub', id: 'owner/name', revision: 'main' })).toBe('owner/name');
    expect(await id({ kind: 'hub', id: 'owner/name', revision: 'v1.0' })).toBe('owner/name@v1.0');
    expect(opened).toBe(4);
    const files = [new File(['{}'], 'config.json')];
    expect(await id({ kind: 'files', label: 'my model', files })).toBe('local:my model');
    expect(await id({ kind: 'bundled', name: 'demo-gpt2' })).toBe('demo-gpt2');
    expect(opened).toBe(4);
    await expect(id({ kind: 'files', label: 'my model' })).rejects.toThrow(/pick the folder again/);
  });

  it('leave no trace of a Hub model whose first load fails, and keep one cached before', async () => {
    const cache = new MemoryCache().asCache();
    const { fetch } = server();
    const openCache = async () => cache;
    const ref = { kind: 'hub', id: 'owner/name', revision: 'v2' } as const;
    const download = async () => {
      const source = await openSource(ref, { appUrl: HUB_URL, openCache, fetch });
      await source.open('config.json');
    };
    const failing = () =>
      keepingCacheClean(ref, openCache, async () => {
        await download();
        throw new Error('the checkpoint is broken');
      });

    await expect(failing()).rejects.toThrow('the checkpoint is broken');
    expect(await cachedModels(cache)).toEqual([]);

    await keepingCacheClean(ref, openCache, download);
    expect((await cachedModels(cache)).map((m) => m.id)).toEqual(['owner/name@v2']);
    await expect(failing()).rejects.toThrow('the checkpoint is broken');
    expect((await cachedModels(cache)).map((m) => m.id)).toEqual(['owner/name@v2']);
  });
});
