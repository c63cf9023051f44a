/**
 * The model of a command: a model folder on disk, or a Hugging Face Hub id (`owner/name`,
 * `owner/name@revision`) read through the Hugging Face cache (src/weights/hub-cache.ts), loaded
 * by the explorer's own engine (src/worker-api/engine.ts) on onnxruntime-node.
 */
import { basename, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { keyDigest, type ResultsModel } from '../analysis/results';
import type { Model } from '../model';
import { createNodeRuntime } from '../runtime/node';
import { type LoadProgress, type ModelSource, parseHubRef } from '../weights';
import { ModelSourceError } from '../weights/errors';
import { HubCacheSource } from '../weights/hub-cache';
import { NodeFolderSource } from '../weights/node-source';
import type { ModelInfo, ModelRequest } from '../worker-api/api';
import { Engine } from '../worker-api/engine';
import { UsageError } from './errors';

export interface ModelOptions {
  offline?: boolean;
  token?: string;
  /** onnxruntime's intra-op threads (default: all cores). */
  threads?: number;
  /** HF_HOME, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE and the like (default: the process's). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The id results are keyed by, when it must be another run's (kne analyze). */
  id?: string;
  log: (line: string) => void;
  signal: AbortSignal;
}

export interface OpenedModel {
  model: Model;
  info: ModelInfo;
  /** How a results manifest names it. */
  identity: ResultsModel;
  release(): Promise<void>;
}

/** A path rather than a Hub id: starts with ./, ../, / or ~, or has more than one slash. */
const looksLikePath = (spec: string) =>
  /^(\.{1,2}[\\/]|[\\/~])/.test(spec) || spec.split('/').length > 2;

/** A source under another id (a folder opened by two paths keeps one id: its name). */
function renamed(source: ModelSource, id: string): ModelSource {
  return { id, has: (name) => source.has(name), open: (name) => source.open(name) };
}

/** Opens and loads the model `spec` names; a ModelLoadError or UsageError says what is wrong. */
export async function openModel(spec: string, opts: ModelOptions): Promise<OpenedModel> {
  const folder = await stat(spec).then(
    (s) => s.isDirectory(),
    () => false,
  );
  let source: ModelSource;
  let request: ModelRequest;
  let revision: string | null = null;
  let commit: string | null = null;
  if (folder) {
    const label = basename(resolve(spec));
    request = { kind: 'files', label };
    source = renamed(new NodeFolderSource(spec), opts.id ?? `local:${label}`);
  } else if (looksLikePath(spec)) {
    throw new UsageError(`--model ${spec}: no such folder`);
  } else {
    const ref = parseHubRef(spec);
    let hub: HubCacheSource;
    try {
      hub = await HubCacheSource.open(ref.id, ref.revision, {
        offline: opts.offline,
        token: opts.token,
        env: opts.env,
        onProgress: downloadLog(opts.log),
      });
    } catch (e) {
      if (e instanceof ModelSourceError && /not a valid Hugging Face model id/.test(e.message))
        throw new UsageError(
          `--model ${spec} is neither a model folder nor a Hugging Face model id: ${e.message}`,
        );
      throw e;
    }
    request = { kind: 'hub', id: ref.id, revision: ref.revision };
    revision = hub.revision;
    commit = hub.commit;
    source = opts.id ? renamed(hub, opts.id) : hub;
  }
  const engine = new Engine(createNodeRuntime({ threads: opts.threads }), async () => source);
  const info = await engine.load(request, opts.signal);
  return {
    model: engine.model(),
    info,
    identity: {
      id: info.id,
      revision,
      commit,
      digest: keyDigest(info.key),
      modelType: info.config.modelType,
      layers: info.config.numLayers,
      units: info.config.intermediateSize,
    },
    release: () => engine.unloadModel(),
  };
}

/** One log line per file downloaded, and one per tenth of a large file. */
function downloadLog(log: (line: string) => void) {
  const shown = new Map<string, number>();
  const mb = (n: number) => (n / 2 ** 20).toFixed(1);
  return (p: LoadProgress) => {
    const tenth = p.totalBytes ? Math.floor((10 * p.loadedBytes) / p.totalBytes) : 10;
    if (shown.get(p.file) === tenth) return;
    shown.set(p.file, tenth);
    if (tenth === 0 && p.loadedBytes > 0)
      log(`downloading ${p.file}: resuming at ${mb(p.loadedBytes)} of ${mb(p.totalBytes)} MB`);
    else if (tenth === 10 || p.totalBytes > 2 ** 24)
      log(`downloading ${p.file}: ${mb(p.loadedBytes)} of ${mb(p.totalBytes)} MB`);
  };
}
