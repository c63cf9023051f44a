import { describe, expect, it } from 'vitest';
import { ModelSourceError } from './errors';
import { readJsonFile } from './files';
import { readSafetensors, writeSafetensors } from './safetensors';
import type { HostTensor, LoadProgress } from './types';
import { MemoryCache } from '../../tests/util/memory-cache';
import { checkHubId } from './model-ref';
import { UrlSource, cachedModels, hubSource, removeCachedModel } from './url-source';

const BASE = 'https://models.example/demo-bert/';

interface Served {
  body?: Uint8Array;
  status?: number;
  headers?: Record<string, string>;
  /** Send only this many body bytes (a cut connection) while announcing the full length. */
  cutAt?: number;
  /** Answer 200 with the whole file to Range requests. */
  ignoreRange?: boolean;
}

interface Call {
  url: string;
  method: string;
  range: string | null;
  signal?: AbortSignal;
}

/** A fake server: path -> response; every call is recorded. `offline` makes fetch throw. */
function fakeFetch(files: Record<string, Served>, state = { offline: false }) {
  const calls: Call[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    const method = init?.method ?? 'GET';
    const range = new Headers(init?.headers).get('range');
    calls.push({ url, method, range, signal: init?.signal ?? undefined });
    if (state.offline) throw new TypeError('Failed to fetch');
    init?.signal?.throwIfAborted();
    const served = files[url];
    if (!served)
      return new Response('Entry not found', {
        status: 404,
        headers: { 'x-error-code': 'EntryNotFound' },
      });
    const status = served.status ?? 200;
    const body = served.body ?? new Uint8Array(0);
    const headers = new Headers(served.headers);
    if (status !== 200) return new Response(null, { status, headers });
    let bytes = body;
    let code = 200;
    const m = range && !served.ignoreRange ? /^bytes=(\d+)-(\d+)$/.exec(range) : null;
    if (m) {
      bytes = body.slice(Number(m[1]), Number(m[2]) + 1);
      code = 206;
      headers.set('content-range', `bytes ${m[1]}-${m[2]}/${body.length}`);
    }
    headers.set('content-length', String(bytes.length));
    const sent = served.cutAt !== undefined && !m ? bytes.slice(0, served.cutAt) : bytes;
    return new Response(chunked(sent, 1000, init?.signal ?? undefined), { status: code, headers });
  }) as typeof fetch;
  return { fetch: fetchFn, calls, state };
}

function chunked(
  bytes: Uint8Array,
  size: number,
  signal?: AbortSignal,
): ReadableStream<Uint8Array> {
  let pos = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (signal?.aborted) return controller.error(signal.reason);
      if (pos >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(pos, pos + size));
      pos += size;
    },
  });
}

const WEIGHTS = writeSafetensors({
  'bert.embeddings.word_embeddings.weight': {
    dims: [500, 4],
    data: new Float32Array(2000).fill(0.25),
  },
  'cls.predictions.bias': { dtype: 'F16', dims: [500], data: new Float32Array(500).fill(-2) },
});
const CONFIG = new TextEncoder().encode(JSON.stringify({ model_type: 'bert', hidden_size: 4 }));

function demoFiles(extra: Record<string, Served> = {}): Record<string, Served> {
  return {
    [`${BASE}config.json`]: { body: CONFIG, headers: { 'content-type': 'application/json' } },
    [`${BASE}model.safetensors`]: {
      body: WEIGHTS,
      headers: { 'content-type': 'application/octet-stream' },
    },
    ...extra,
  };
}

async function readWeights(source: UrlSource, signal?: AbortSignal) {
  const file = await source.open('model.safetensors');
  const tensors = new Map<string, HostTensor>();
  await readSafetensors(file, (name, t) => void tensors.set(name, t), { signal });
  return tensors;
}

async function failure(promise: Promise<unknown>): Promise<ModelSourceError> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ModelSourceError);
  return e as ModelSourceError;
}

describe('UrlSource', () => {
  it('reads small files whole and safetensors with range requests and one streamed download', async () => {
    const server = fakeFetch(demoFiles());
    const progress: LoadProgress[] = [];
    const source = new UrlSource('demo-bert', BASE.slice(0, -1), {
      fetch: server.fetch,
      onProgress: (p) => progress.push(p),
    });
    expect(await readJsonFile(source, 'config.json')).toEqual({
      model_type: 'bert',
      hidden_size: 4,
    });
    const tensors = await readWeights(source);
    expect(tensors.get('cls.predictions.bias')!.data[499]).toBe(-2);
    expect(tensors.get('bert.embeddings.word_embeddings.weight')!.dims).toEqual([500, 4]);

    const weightCalls = server.calls.filter((c) => c.url.endsWith('model.safetensors'));
    expect(weightCalls.map((c) => [c.method, c.range])).toEqual([
      ['GET', 'bytes=0-0'],
      ['GET', 'bytes=0-7'],
      ['GET', expect.stringMatching(/^bytes=0-\d+$/)],
      ['GET', null],
    ]);
    const last = progress.filter((p) => p.file === 'model.safetensors').at(-1);
    expect(last).toEqual({
      file: 'model.safetensors',
      loadedBytes: WEIGHTS.length,
      totalBytes: WEIGHTS.length,
    });
  });

  it('caches what it downloads and works offline afterwards', async () => {
    const cache = new MemoryCache();
    const server = fakeFetch(demoFiles());
    const online = new UrlSource('demo-bert', BASE, {
      fetch: server.fetch,
      cache: cache.asCache(),
    });
    await readJsonFile(online, 'config.json');
    await readWeights(online);
    expect([...cache.entries.keys()].sort()).toEqual([
      `${BASE}config.json`,
      `${BASE}model.safetensors`,
    ]);

    server.state.offline = true;
    const before = server.calls.length;
    const offline = new UrlSource('demo-bert', BASE, {
      fetch: server.fetch,
      cache: cache.asCache(),
    });
    expect(await offline.has('model.safetensors')).toBe(true);
    expect(await readJsonFile(offline, 'config.json')).toEqual({
      model_type: 'bert',
      hidden_size: 4,
    });
    expect((await readWeights(offline)).get('cls.predictions.bias')!.data[0]).toBe(-2);
    // Files never downloaded are taken as absent rather than failing the load.
    expect(await offline.has('model.safetensors.index.json')).toBe(false);
    expect(server.calls.length - before).toBe(1);

    expect(await cachedModels(cache.asCache())).toEqual([
      {
        id: 'demo-bert',
        files: [
          { name: 'config.json', bytes: CONFIG.length },
          { name: 'model.safetensors', bytes: WEIGHTS.length },
        ],
        bytes: CONFIG.length + WEIGHTS.length,
      },
    ]);
    expect(await removeCachedModel(cache.asCache(), 'demo-bert')).toBe(2);
    expect(await cachedModels(cache.asCache())).toEqual([]);
  });

  it('reports an uncached model while offline', async () => {
    const server = fakeFetch(demoFiles(), { offline: true });
    const source = new UrlSource('demo-bert', BASE, {
      fetch: server.fetch,
      cache: new MemoryCache().asCache(),
    });
    const e = await failure(source.has('config.json'));
    expect(e.message).toBe(
      'Cannot download config.json of "demo-bert": the network request failed (Failed to fetch), so ' +
        'you may be offline, and the file is not in the browser cache; connect to the internet to ' +
        'download the model once.',
    );
    await failure(source.open('model.safetensors'));
  });

  it('does not cache a download that was cut short', async () => {
    const cache = new MemoryCache();
    const server = fakeFetch(
      demoFiles({ [`${BASE}model.safetensors`]: { body: WEIGHTS, cutAt: 3000 } }),
    );
    const source = new UrlSource('demo-bert', BASE, {
      fetch: server.fetch,
      cache: cache.asCache(),
    });
    const e = await failure(readWeights(source));
    expect(e.message).toBe(
      `The download of model.safetensors of "demo-bert" was cut short: 3000 of ${WEIGHTS.length} ` +
        'bytes arrived; check the connection and try again.',
    );
    expect(cache.entries.has(`${BASE}model.safetensors`)).toBe(false);
  });

  it('slices correctly from a server that ignores Range', async () => {
    const server = fakeFetch(
      demoFiles({ [`${BASE}model.safetensors`]: { body: WEIGHTS, ignoreRange: true } }),
    );
    const file = await new UrlSource('demo-bert', BASE, { fetch: server.fetch }).open(
      'model.safetensors',
    );
    expect(await file.slice(100, 2100)).toEqual(WEIGHTS.slice(100, 2100));
    expect(
      (await readWeights(new UrlSource('demo-bert', BASE, { fetch: server.fetch }))).size,
    ).toBe(2);
  });

  it('aborts the download when reading is aborted', async () => {
    const server = fakeFetch(demoFiles());
    const controller = new AbortController();
    const source = new UrlSource('demo-bert', BASE, { fetch: server.fetch });
    const file = await source.open('model.safetensors');
    const reading = readSafetensors(file, () => controller.abort(), { signal: controller.signal });
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    const download = server.calls.find((c) => c.method === 'GET' && c.range === null)!;
    expect(download.signal?.aborted).toBe(true);
  });

  it('treats 404 and dev-server HTML fallbacks as missing files', async () => {
    const server = fakeFetch(
      demoFiles({
        [`${BASE}tokenizer_config.json`]: {
          body: new TextEncoder().encode('<!doctype html>'),
          headers: { 'content-type': 'text/html' },
        },
      }),
    );
    const source = new UrlSource('demo-bert', BASE, { fetch: server.fetch });
    expect(await source.has('config.json')).toBe(true);
    expect(await source.has('tokenizer.json')).toBe(false);
    expect(await source.has('tokenizer_config.json')).toBe(false);
    const e = await failure(source.open('tokenizer.json'));
    expect(e.message).toBe(
      `tokenizer.json was not found for model "demo-bert" (${BASE}tokenizer.json answered 404); ` +
        'check that the model id is right and that the model has this file.',
    );
    expect(e.status).toBe(404);
    expect((await failure(source.open('tokenizer_config.json'))).message).toContain(
      'answered with a web page',
    );
  });

  it('explains unknown, gated and failing Hub models', async () => {
    const hub = 'https://huggingface.co/';
    const server = fakeFetch({
      [`${hub}nobody/nothing/resolve/main/config.json`]: {
        status: 401,
        headers: { 'x-error-code': 'RepoNotFound' },
      },
      [`${hub}meta/gated/resolve/main/config.json`]: {
        status: 401,
        headers: { 'x-error-code': 'GatedRepo' },
      },
      [`${hub}org/forbidden/resolve/main/config.json`]: { status: 403 },
      [`${hub}org/busy/resolve/main/config.json`]: { status: 503 },
      [`${hub}org/model/resolve/v9/config.json`]: {
        status: 404,
        headers: { 'x-error-code': 'RevisionNotFound' },
      },
    });
    const open = (id: string, revision = 'main') =>
      failure(hubSource(id, revision, { fetch: server.fetch }).has('config.json'));
    expect((await open('nobody/nothing')).message).toBe(
      '"nobody/nothing" was not found on the Hugging Face Hub, or it is private (HTTP 401 for ' +
        'config.json); check the model id, e.g. "google-bert/bert-base-multilingual-cased".',
    );
    expect((await open('meta/gated')).message).toBe(
      '"meta/gated" is a gated or private model (HTTP 401 for config.json): request access on its ' +
        'model page, then paste a Hugging Face access token in "Hugging Face token" and try again ' +
        '(or download the files yourself and open the folder).',
    );
    expect((await open('org/forbidden')).message).toMatch(
      /^"org\/forbidden" is a gated or private model \(HTTP 403/,
    );
    expect((await open('org/busy')).message).toBe(
      'config.json of "org/busy" could not be downloaded: https://huggingface.co/org/busy/resolve/main/' +
        'config.json answered HTTP 503; try again later.',
    );
    expect((await open('org/model', 'v9')).message).toMatch(
      /^The requested revision of "org\/model@v9" does not exist/,
    );
  });
});

describe('hubSource', () => {
  it('builds resolve URLs and ids with the revision', () => {
    const main = hubSource('google-bert/bert-base-multilingual-cased');
    expect(main.id).toBe('google-bert/bert-base-multilingual-cased');
    expect(main.urlOf('config.json')).toBe(
      'https://huggingface.co/google-bert/bert-base-multilingual-cased/resolve/main/config.json',
    );
    const pr = hubSource('ai-forever/mGPT', 'refs/pr/1');
    expect(pr.id).toBe('ai-forever/mGPT@refs/pr/1');
    expect(pr.urlOf('onnx/model.onnx')).toBe(
      'https://huggingface.co/ai-forever/mGPT/resolve/refs%2Fpr%2F1/onnx/model.onnx',
    );
    expect(hubSource('gpt2').urlOf('config.json')).toBe(
      'https://huggingface.co/gpt2/resolve/main/config.json',
    );
  });

  it('rejects invalid model ids with a clear message', () => {
    for (const id of ['FacebookAI/xlm-roberta-base', 'bert-base-uncased', 'a_b/c.d-e', 'x']) {
      expect(() => checkHubId(id)).not.toThrow();
    }
    for (const id of [
      '',
      'https://huggingface.co/gpt2',
      'a/b/c',
      'a--b',
      '-abc',
      'abc.',
      'a..b',
      'o/m.git',
      'a b',
      'x/' + 'm'.repeat(97),
    ]) {
      expect(() => checkHubId(id)).toThrow(ModelSourceError);
    }
    expect(() => hubSource('https://huggingface.co/gpt2')).toThrow(
      '"https://huggingface.co/gpt2" is not a valid Hugging Face model id: write "owner/name" (or a ' +
        'bare "name") using letters, digits, "-", "_" and ".", e.g. ' +
        '"google-bert/bert-base-multilingual-cased", not a URL.',
    );
  });

  it('rejects file names that would leave the model folder', () => {
    expect(() => hubSource('gpt2').urlOf('../../other/model/config.json')).toThrow(
      ModelSourceError,
    );
  });
});
