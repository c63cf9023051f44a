/**
 * Which files a load request opens, and how the Hub cache is kept clean when a load fails: the
 * worker's source policy, kept out of the worker file so that Node tests run it.
 */
import {
  BUNDLED_NAME,
  FileListSource,
  type LoadProgress,
  MAIN_REVISION,
  type ModelRef,
  type ModelSource,
  UrlSource,
  cachedModels,
  hubSource,
  modelId,
  removeCachedModel,
} from '../weights';
import type { ModelRequest } from './api';
import { EngineError } from './errors';

export interface SourceOptions {
  /** The app's own URL: bundled models are its models/<name>/ folders. */
  appUrl: string;
  /**
   * Opens the Cache Storage that keeps Hub downloads (undefined outside secure contexts, where
   * nothing is kept); only Hub requests open it.
   */
  openCache?: () => Promise<Cache | undefined>;
  /** Bytes of each Hub file as it downloads. */
  onDownload?: (p: LoadProgress) => void;
  fetch?: typeof fetch;
}

/** The files of the model a request names. */
export async function openSource(request: ModelRequest, opts: SourceOptions): Promise<ModelSource> {
  const fetcher = opts.fetch ?? ((input, init) => fetch(input, init));
  switch (request.kind) {
    case 'bundled': {
      if (!BUNDLED_NAME.test(request.name))
        throw new EngineError('EngineError', `"${request.name}" is not a bundled model name.`);
      return new UrlSource(modelId(request), new URL(`models/${request.name}/`, opts.appUrl).href, {
        // Past the HTTP cache: Vite's server (sirv) answers "Range: bytes=0-0" with the whole
        // file, and Chromium then keeps the cancelled body as a complete entry and serves that
        // cut copy to the next full download. The demo models are small; fetch them fresh.
        fetch: (input, init) => fetcher(input, { ...init, cache: 'no-store' }),
      });
    }
    case 'hub':
      return hubSource(request.id, request.revision || MAIN_REVISION, {
        cache: await opts.openCache?.(),
        onProgress: opts.onDownload,
        fetch: opts.fetch,
        token: request.hubToken,
      });
    case 'files':
      if (!request.files)
        throw new EngineError(
          'EngineError',
          `The files of folder "${request.label}" did not arrive; pick the folder again.`,
        );
      return new FileListSource(request.files, { id: modelId(request) });
  }
}

/**
 * Runs a load; a Hub model that fails or is cancelled on its first download leaves nothing in
 * the cache (its config and tokenizer would otherwise be listed as a downloaded model). A model
 * that was complete in the cache before stays, whatever the failure.
 */
export async function keepingCacheClean<T>(
  ref: ModelRef,
  openCache: () => Promise<Cache | undefined>,
  load: () => Promise<T>,
): Promise<T> {
  const cache = ref.kind === 'hub' ? await openCache() : undefined;
  if (!cache) return load();
  const id = modelId(ref);
  const before = (await cachedModels(cache)).some((m) => m.id === id);
  try {
    return await load();
  } catch (e) {
    if (!before) await removeCachedModel(cache, id);
    throw e;
  }
}
