import { ModelSourceError } from './errors';
import { blobFile, bytesFile, checkFileName } from './files';
import { MAIN_REVISION, checkHubId, modelId as refId } from './model-ref';
import type { LoadProgress, ModelFile, ModelSource } from './types';

export const HUB_URL = 'https://huggingface.co';

export interface UrlSourceOptions {
  /** Cache Storage to serve files from first and to keep downloads in (for offline use). */
  cache?: Cache;
  /** Download progress of each file, from its body as it is read. */
  onProgress?: (p: LoadProgress) => void;
  fetch?: typeof fetch;
  /**
   * A Hugging Face access token (for gated and private models): sent as `Authorization: Bearer`
   * on requests to the Hub's origin only, never to any other host.
   */
  token?: string;
}

export interface CachedModel {
  id: string;
  files: { name: string; bytes: number }[];
  bytes: number;
}

// Cached responses are tagged with their model and file, so the cache can be listed by model.
const MODEL_HEADER = 'x-kne-model';
const FILE_HEADER = 'x-kne-file';

/** A model on the Hugging Face Hub, at a branch, tag or commit. */
export function hubSource(
  modelId: string,
  revision = MAIN_REVISION,
  opts: UrlSourceOptions = {},
): UrlSource {
  checkHubId(modelId);
  if (revision.length === 0) {
    throw new ModelSourceError(
      `The revision of "${modelId}" is empty; give a branch, tag or commit (e.g. "main").`,
    );
  }
  const id = refId({ kind: 'hub', id: modelId, revision });
  return new UrlSource(id, `${HUB_URL}/${modelId}/resolve/${encodeURIComponent(revision)}/`, opts);
}

/**
 * Model files under a URL prefix: the bundled demo models ("/models/demo-bert/") and the Hub.
 * safetensors files are read with range requests (header) and one streamed download; all other
 * files are small and are downloaded whole when opened.
 */
export class UrlSource implements ModelSource {
  readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly hub: boolean;

  constructor(
    readonly id: string,
    baseUrl: string,
    private readonly opts: UrlSourceOptions = {},
  ) {
    this.baseUrl = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
    this.hub = this.baseUrl.startsWith(`${HUB_URL}/`);
    // A bare `fetch` stored on an object throws "Illegal invocation" in browsers.
    const plain = opts.fetch ?? ((input, init) => fetch(input, init));
    const token = opts.token?.trim();
    this.fetch = token ? (input, init) => plain(input, withHubToken(input, init, token)) : plain;
  }

  urlOf(name: string): string {
    checkFileName(name, `model "${this.id}"`);
    return this.baseUrl + name.split('/').map(encodeURIComponent).join('/');
  }

  async has(name: string): Promise<boolean> {
    if (await this.cached(name)) return true;
    let res: Response;
    try {
      res = await this.probe(name);
    } catch (e) {
      // Offline: a model downloaded before has everything it needs cached, so what is not
      // cached was absent then.
      if (!isAbort(e) && (await this.cached('config.json'))) return false;
      throw this.failure(name, e);
    }
    if (this.isMissingFile(res, name)) return false;
    if (!isAnswer(res)) throw this.httpError(name, res);
    return true;
  }

  async open(name: string): Promise<ModelFile> {
    const cached = await this.cached(name);
    if (cached) return blobFile(name, await cached.blob());
    if (!name.endsWith('.safetensors')) {
      const res = await this.request(name);
      const bytes = await readBody(this.counted(res, name));
      await this.store(name, bytes, res);
      return bytesFile(name, bytes);
    }
    let res: Response;
    try {
      res = await this.probe(name);
    } catch (e) {
      throw this.failure(name, e);
    }
    if (this.isMissingFile(res, name) || !isAnswer(res)) throw this.httpError(name, res);
    const size = totalSize(res);
    if (size === undefined) {
      throw new ModelSourceError(
        `${this.urlOf(name)} did not report the size of ${name} (no Content-Range or ` +
          `Content-Length); the server must send it for safetensors files, serve the model ` +
          `from another host.`,
        name,
      );
    }
    return {
      name,
      size,
      slice: (start, end) => this.slice(name, size, start, end),
      stream: () => this.lazyStream(name, size),
    };
  }

  /**
   * A one-byte range request: whether a file exists, and its size, without downloading it. Not
   * HEAD: the Hub redirects large files to signed storage URLs that may only accept GET.
   */
  private async probe(name: string): Promise<Response> {
    const res = await this.fetch(this.urlOf(name), { headers: { Range: 'bytes=0-0' } });
    await res.body?.cancel().catch(() => {});
    return res;
  }

  private async cached(name: string): Promise<Response | undefined> {
    return this.opts.cache?.match(this.urlOf(name));
  }

  /** A checked request: any answer but the file itself becomes a ModelSourceError. */
  private async request(name: string, init?: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetch(this.urlOf(name), init);
    } catch (e) {
      throw this.failure(name, e);
    }
    if (this.isMissingFile(res, name) || !res.ok) throw this.httpError(name, res);
    return res;
  }

  private async slice(name: string, size: number, start: number, end: number): Promise<Uint8Array> {
    const stop = Math.min(end, size);
    if (stop <= start) return new Uint8Array(0);
    const cached = await this.cached(name);
    if (cached) return new Uint8Array(await (await cached.blob()).slice(start, stop).arrayBuffer());
    const res = await this.request(name, { headers: { Range: `bytes=${start}-${stop - 1}` } });
    // A server that ignores Range answers 200 with the whole file: skip to the slice.
    const skip = res.status === 206 ? 0 : start;
    const out = new Uint8Array(stop - start);
    let pos = 0;
    const reader = res.body!.getReader();
    try {
      while (pos < skip + out.length) {
        const { done, value } = await reader.read();
        if (done) break;
        const from = Math.max(0, skip - pos);
        const to = Math.min(value.length, skip + out.length - pos);
        if (to > from) out.set(value.subarray(from, to), pos + from - skip);
        pos += value.length;
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
    if (pos < skip + out.length) throw this.truncated(name, size, pos - skip + start);
    return out;
  }

  /** The file as a stream that starts downloading when first read and aborts when cancelled. */
  private lazyStream(name: string, size: number): ReadableStream<Uint8Array> {
    const abort = new AbortController();
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          reader ??= (await this.download(name, size, abort.signal)).getReader();
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        cancel: async (reason) => {
          abort.abort(reason);
          await reader?.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
  }

  private async download(
    name: string,
    size: number,
    signal: AbortSignal,
  ): Promise<ReadableStream<Uint8Array>> {
    const cache = this.opts.cache;
    const cached = await this.cached(name);
    if (cached) return (await cached.blob()).stream();
    const res = await this.request(name, { signal });
    const body = this.counted(res, name, size);
    if (!cache) return body;
    // Download into the cache, then read it back: the body goes to disk without being held in
    // memory, and the model stays usable offline. A failed or short download is not stored.
    await cache.put(
      this.urlOf(name),
      new Response(body, { headers: this.cacheHeaders(name, size, res) }),
    );
    const stored = await this.cached(name);
    if (!stored) {
      throw new ModelSourceError(
        `The browser cache dropped ${name} of "${this.id}" right after storing it; free some ` +
          `disk space and try again.`,
        name,
      );
    }
    return (await stored.blob()).stream();
  }

  private async store(name: string, bytes: Uint8Array<ArrayBuffer>, res: Response): Promise<void> {
    await this.opts.cache?.put(
      this.urlOf(name),
      new Response(bytes, { headers: this.cacheHeaders(name, bytes.length, res) }),
    );
  }

  private cacheHeaders(name: string, size: number, res: Response): Record<string, string> {
    return {
      'content-type': res.headers.get('content-type') ?? 'application/octet-stream',
      'content-length': String(size),
      [MODEL_HEADER]: encodeURIComponent(this.id),
      [FILE_HEADER]: encodeURIComponent(name),
    };
  }

  /**
   * The body with progress reports; when `size` is known, a body of another length is an error
   * (so a cut download is never cached or parsed).
   */
  private counted(res: Response, name: string, size?: number): ReadableStream<Uint8Array> {
    const reader = res.body!.getReader();
    const header = Number(res.headers.get('content-length') ?? NaN);
    const total = size ?? (Number.isFinite(header) ? header : undefined);
    let loaded = 0;
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          const { done, value } = await reader.read();
          if (done) {
            if (size !== undefined && loaded !== size)
              controller.error(this.truncated(name, size, loaded));
            else controller.close();
            return;
          }
          loaded += value.length;
          this.opts.onProgress?.({
            file: name,
            loadedBytes: loaded,
            totalBytes: Math.max(total ?? loaded, loaded),
          });
          controller.enqueue(value);
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 },
    );
  }

  /**
   * 404, or an HTML page for a file that is not HTML: dev servers and SPA hosts answer unknown
   * paths with index.html and status 200.
   */
  private isMissingFile(res: Response, name: string): boolean {
    const code = res.headers.get('x-error-code');
    if (res.status === 404) return code !== 'RepoNotFound' && code !== 'RevisionNotFound';
    return (
      res.ok &&
      !!res.headers.get('content-type')?.startsWith('text/html') &&
      !name.endsWith('.html')
    );
  }

  private httpError(name: string, res: Response): ModelSourceError {
    const url = this.urlOf(name);
    const code = res.headers.get('x-error-code');
    const status = res.status;
    let message: string;
    if (this.isMissingFile(res, name)) {
      message =
        `${name} was not found for model "${this.id}" (${url} answered ${status === 404 ? '404' : 'with a web page'}); ` +
        `check that the model id is right and that the model has this file.`;
    } else if (code === 'RevisionNotFound') {
      message = `The requested revision of "${this.id}" does not exist (HTTP 404 for ${name}); check the branch, tag or commit.`;
    } else if (code === 'RepoNotFound' || (this.hub && status === 401 && code !== 'GatedRepo')) {
      message =
        `"${this.id}" was not found on the Hugging Face Hub, or it is private (HTTP ${status} for ` +
        `${name}); check the model id, e.g. "google-bert/bert-base-multilingual-cased".`;
    } else if ((status === 401 || status === 403) && this.hub && !this.opts.token?.trim()) {
      message =
        `"${this.id}" is a gated or private model (HTTP ${status} for ${name}): request access on ` +
        `its model page, then paste a Hugging Face access token in "Hugging Face token" and try ` +
        `again (or download the files yourself and open the folder).`;
    } else if (status === 401 || status === 403) {
      message =
        `"${this.id}" is a gated or private model (HTTP ${status} for ${name}) and ` +
        (this.hub
          ? `the Hugging Face token given has no access to it: request access on its model page, ` +
            `or paste a token of an account that has it.`
          : `this host needs a login; download the files yourself and open the folder instead.`);
    } else {
      message =
        `${name} of "${this.id}" could not be downloaded: ${url} answered HTTP ` +
        `${[status, res.statusText].filter(Boolean).join(' ')}; try again later.`;
    }
    return new ModelSourceError(message, name, status);
  }

  /** A fetch that threw: an abort stays an abort; anything else means no network. */
  private failure(name: string, e: unknown): unknown {
    if (isAbort(e)) return e;
    return new ModelSourceError(
      `Cannot download ${name} of "${this.id}": the network request failed (${(e as Error).message}), ` +
        `so you may be offline, and the file is not in the browser cache; connect to the internet ` +
        `to download the model once.`,
      name,
    );
  }

  private truncated(name: string, size: number, got: number): ModelSourceError {
    return new ModelSourceError(
      `The download of ${name} of "${this.id}" was cut short: ${got} of ${size} bytes arrived; ` +
        `check the connection and try again.`,
      name,
    );
  }
}

/** The request's init with the token added, when the request goes to the Hub's origin. */
function withHubToken(
  input: RequestInfo | URL,
  init: RequestInit | undefined,
  token: string,
): RequestInit | undefined {
  const url = input instanceof Request ? input.url : String(input);
  if (new URL(url).origin !== new URL(HUB_URL).origin) return init;
  const headers = new Headers(init?.headers);
  headers.set('Authorization', `Bearer ${token}`);
  return { ...init, headers };
}

async function readBody(body: ReadableStream<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
  }
  const out = new Uint8Array(length);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/** A successful answer, or 416 to a range request on an empty file. */
function isAnswer(res: Response): boolean {
  return res.ok || res.status === 416;
}

/** The full size from "Content-Range: bytes 0-0/SIZE", or the length of a whole-file answer. */
function totalSize(res: Response): number | undefined {
  const range = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '');
  const size = range
    ? Number(range[1])
    : res.status === 200
      ? Number(res.headers.get('content-length') ?? NaN)
      : NaN;
  return Number.isSafeInteger(size) ? size : undefined;
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

/** The models in a cache that UrlSource filled, with their files and sizes. */
export async function cachedModels(cache: Cache): Promise<CachedModel[]> {
  const models = new Map<string, CachedModel>();
  for (const request of await cache.keys()) {
    const res = await cache.match(request);
    const id = res?.headers.get(MODEL_HEADER);
    const file = res?.headers.get(FILE_HEADER);
    if (!res || !id || !file) continue;
    const key = decodeURIComponent(id);
    const bytes = Number(res.headers.get('content-length') ?? 0);
    const model = models.get(key) ?? { id: key, files: [], bytes: 0 };
    model.files.push({ name: decodeURIComponent(file), bytes });
    model.bytes += bytes;
    models.set(key, model);
  }
  return [...models.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** Deletes a model's files from the cache; returns how many were deleted. */
export async function removeCachedModel(cache: Cache, id: string): Promise<number> {
  let removed = 0;
  for (const request of await cache.keys()) {
    const res = await cache.match(request);
    if (res?.headers.get(MODEL_HEADER) === encodeURIComponent(id) && (await cache.delete(request)))
      removed++;
  }
  return removed;
}
