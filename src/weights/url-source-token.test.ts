import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../../tests/util/memory-cache';
import { readJsonFile } from './files';
import { HUB_URL, UrlSource, hubSource } from './url-source';

const TOKEN = 'hf_secretTokenValue123';

/** A server that answers every URL with `status` and a small JSON body; records each call. */
function recording(status = 200, headers: Record<string, string> = {}) {
  const calls: { url: string; authorization: string | null }[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({
      url: String(input),
      authorization: new Headers(init?.headers).get('authorization'),
    });
    return new Response(status === 200 ? '{"model_type":"gpt2"}' : 'error', {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });
  }) as typeof fetch;
  return { calls, fetchFn };
}

describe('the Hugging Face token', () => {
  it('goes to the Hub as a Bearer header, range probes included', async () => {
    const { calls, fetchFn } = recording();
    const source = hubSource('meta-llama/Llama-3.2-1B', 'main', { fetch: fetchFn, token: TOKEN });
    await readJsonFile(source, 'config.json');
    await source.has('tokenizer.json');
    expect(calls).toHaveLength(2);
    for (const c of calls) {
      expect(new URL(c.url).origin).toBe(HUB_URL);
      expect(c.authorization).toBe(`Bearer ${TOKEN}`);
    }
  });

  it('never goes to another origin, even when given', async () => {
    const { calls, fetchFn } = recording();
    const elsewhere = new UrlSource('mirror', 'https://huggingface.co.example.org/m/', {
      fetch: fetchFn,
      token: TOKEN,
    });
    await readJsonFile(elsewhere, 'config.json');
    const http = new UrlSource('plain', 'http://huggingface.co/m/', {
      fetch: fetchFn,
      token: TOKEN,
    });
    await readJsonFile(http, 'config.json');
    expect(calls.map((c) => c.authorization)).toEqual([null, null]);
  });

  it('is not sent when none is given', async () => {
    const { calls, fetchFn } = recording();
    await readJsonFile(
      hubSource('openai-community/gpt2', 'main', { fetch: fetchFn }),
      'config.json',
    );
    expect(calls[0].authorization).toBeNull();
  });

  it('stays out of the cache and of error messages', async () => {
    const { fetchFn } = recording();
    const cache = new MemoryCache();
    const source = hubSource('Qwen/Qwen3-0.6B', 'main', {
      fetch: fetchFn,
      token: TOKEN,
      cache: cache.asCache(),
    });
    await readJsonFile(source, 'config.json');
    expect(cache.entries.size).toBe(1);
    for (const request of await cache.keys()) {
      expect(request.url).not.toContain(TOKEN);
      const res = await cache.match(request);
      expect([...res!.headers].flat().join(' ')).not.toContain(TOKEN);
    }
    const denied = recording(403, { 'x-error-code': 'GatedRepo' });
    const gated = hubSource('meta-llama/Llama-3.2-1B', 'main', {
      fetch: denied.fetchFn,
      token: TOKEN,
    });
    const error = await readJsonFile(gated, 'config.json').catch((e: Error) => e);
    expect(String(error)).toContain('has no access to it');
    expect(String(error)).not.toContain(TOKEN);
  });

  it('is asked for when a gated model answers 401 without one', async () => {
    const { fetchFn } = recording(401, { 'x-error-code': 'GatedRepo' });
    const gated = hubSource('meta-llama/Llama-3.2-1B', 'main', { fetch: fetchFn });
    await expect(readJsonFile(gated, 'config.json')).rejects.toThrow(
      /gated or private model \(HTTP 401.*paste a Hugging Face access token/,
    );
  });
});
