/**
 * The engine behind the worker API, independent of the worker and of the browser: it holds the
 * loaded model and answers loads, estimates, attributions, predictions and projections on any
 * `Runtime` (onnxruntime-web in the worker, onnxruntime-node in tests). Model files come from
 * a `SourceFactory`, so Node tests load from memory and the worker from URLs, the Hub or files.
 */
import {
  type AttributionResult,
  type BlockProgress,
  attribute,
  layoutOf,
} from '../attribution/attribute';
import { type Model, addCounts, loadModel, noCounts } from '../model';
import { type Prediction, predict } from '../attribution/predict';
import { encodePrompt } from '../attribution/prompt';
import { type PromotedToken, ValueProjector } from '../analysis/projection';
import type { BackendLimits } from '../attribution/fit';
import type { Runtime } from '../runtime/runtime';
import { type LoadProgress, MemorySource, type ModelSource } from '../weights';
import { cyrb53 } from '../util/hash';
import type {
  AttributeRequest,
  Benchmark,
  Estimate,
  EstimateRequest,
  LoadEvent,
  ModelInfo,
  ModelRequest,
  PredictRequest,
  PromptEstimate,
  ValueTokensRequest,
} from './api';
import { assessSource, refuseUnfit } from './assess';
import { benchmarkModel, estimatePrompt } from './benchmark';
import { EditRegistry, editedKey } from './edit-registry';
import { EngineError } from './errors';
import type { EngineCall, Serves } from './queued-calls';
import { PROGRESS_MS, throttle } from './runs';

/** Opens the model a request names; `onDownload` reports bytes as files are downloaded. */
export type SourceFactory = (
  request: ModelRequest,
  onDownload: (p: LoadProgress) => void,
) => Promise<ModelSource>;

/** Small files read before the checkpoint: they identify the model (see ModelInfo.key). */
const IDENTITY_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

/** A short digest of bytes (cyrb53, base 36): enough to tell model files apart. */
const hash53 = (bytes: Uint8Array): string => cyrb53(bytes).toString(36);

async function prefetch(source: ModelSource): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const name of IDENTITY_FILES) {
    // config.json and tokenizer.json are required: open() reports them missing with the fix.
    if (name === 'tokenizer_config.json' && !(await source.has(name))) continue;
    const file = await source.open(name);
    files.set(name, await file.slice(0, file.size));
  }
  return files;
}

interface Loaded {
  model: Model;
  /** As loaded, without edits. */
  info: ModelInfo;
  projector: ValueProjector;
  edits: EditRegistry;
}

export class Engine implements Serves<EngineCall> {
  private loaded: Loaded | undefined;
  private readonly benchmarks = new Map<string, Benchmark>();
  private editCount = 0;

  private readonly runtime: Runtime;

  private readonly now: () => number;
  /** What this page's backends allow: a folder from disk that does not fit is refused. */
  private readonly backends?: BackendLimits[];

  constructor(
    runtime: Runtime,
    private readonly sources: SourceFactory,
    opts: { now?: () => number; backends?: BackendLimits[] } = {},
  ) {
    this.runtime = runtime;
    this.now = opts.now ?? (() => performance.now());
    this.backends = opts.backends;
  }

  /** The loaded model, with the weight edits in force and the key that says so. */
  get info(): ModelInfo | undefined {
    const l = this.loaded;
    if (!l) return undefined;
    const edits = l.edits.list();
    return { ...l.info, key: editedKey(l.info.key, edits), edits };
  }

  /** The loaded model's weight edits (see ./edit-registry.ts); throws NoModelError without one. */
  edits(): EditRegistry {
    return this.current().edits;
  }

  /**
   * The loaded model, for services that run on it (analysis views); throws NoModelError when
   * none is. Call it inside a queued call (the worker's `guarded`), so no load swaps it out.
   */
  model(): Model {
    return this.current().model;
  }

  /** The loaded model, or an error telling the user to load one. */
  private current(): Loaded {
    if (!this.loaded)
      throw new EngineError('NoModelError', 'No model is loaded: pick a model first.');
    return this.loaded;
  }

  async unloadModel(): Promise<void> {
    const l = this.loaded;
    this.loaded = undefined;
    if (l) {
      // The edited tensors are device buffers of their own: swap the originals back first.
      try {
        await l.edits.revertAll();
      } finally {
        await l.projector.release();
        await l.model.release();
      }
    }
  }

  async load(
    request: ModelRequest,
    signal: AbortSignal,
    onEvent?: (e: LoadEvent) => void,
  ): Promise<ModelInfo> {
    // Free the old model first: two models may not fit in memory together.
    await this.unloadModel();
    const t0 = this.now();
    const events = throttle(onEvent, PROGRESS_MS, this.now);
    const source = await this.sources(request, (p) =>
      events.push({ phase: 'download', ...p }, p.loadedBytes === p.totalBytes),
    );
    signal.throwIfAborted();
    // A Hub model is assessed before its download on request; a folder from disk, which the
    // user could not assess first, is checked here, from config.json and the files' sizes.
    // A folder the check cannot read (no config.json, no safetensors) gets loadModel's own
    // message, which says how to convert or complete it.
    if (request.kind === 'files' && this.backends) {
      const assessment = await assessSource(source, this.backends, {
        float32As16: !!request.float32As16,
      }).catch(() => undefined);
      if (assessment) refuseUnfit(assessment, this.runtime.info.backend);
      signal.throwIfAborted();
    }
    const identity = await prefetch(source);
    let checkpointBytes = 0;
    // loadModel frees what it uploaded when it fails; a model that loaded is released here.
    const prefetched = new MemorySource(source.id, Object.fromEntries(identity), {
      fallback: source,
    });
    const model = await loadModel(prefetched, this.runtime, {
      float32As16: !!request.float32As16,
      signal,
      onProgress: (p) => {
        checkpointBytes = p.totalBytes;
        events.push({ phase: 'read', ...p }, p.loadedBytes === p.totalBytes);
      },
    });
    try {
      events.push({ phase: 'prepare', loadedBytes: 0, totalBytes: 0 }, true);
      await model.sessions();
      signal.throwIfAborted();
    } catch (e) {
      await model.release();
      throw e;
    }
    const digest = hash53(
      new TextEncoder().encode(
        IDENTITY_FILES.map((n) => `${n}:${identity.has(n) ? hash53(identity.get(n)!) : '-'}`)
          .concat(`checkpoint:${checkpointBytes}`)
          // Rounded weights give other results: they are kept apart from the float32 model's.
          .concat(model.summary.rounded ? ['weights:float32-as-16-bit'] : [])
          .join('\n'),
      ),
    );
    const info: ModelInfo = {
      id: source.id,
      key: `${source.id}#${digest}`,
      kind: request.kind,
      label: model.id,
      weights: { ...model.summary, notes: [...model.summary.notes] },
      config: { ...model.config },
      checkpointBytes,
      backend: this.runtime.info.backend,
      loadSeconds: (this.now() - t0) / 1000,
      edits: [],
    };
    if (model.config.family === 'bert' && model.tokenizer.maskToken)
      info.maskToken = model.tokenizer.maskToken;
    this.loaded = {
      model,
      info,
      projector: new ValueProjector(model),
      edits: new EditRegistry(() => `e${++this.editCount}`),
    };
    return info;
  }

  /** This device's timings on the loaded model, measured on first use. */
  async benchmark(): Promise<Benchmark> {
    const { model, info } = this.current();
    const key = `${info.key}|${info.backend}`;
    let b = this.benchmarks.get(key);
    if (!b) {
      b = await benchmarkModel(model, this.now);
      this.benchmarks.set(key, b);
    }
    return b;
  }

  async estimate(request: EstimateRequest): Promise<Estimate> {
    const { model } = this.current();
    const { settings } = request;
    const benchmark = await this.benchmark();
    const items: PromptEstimate[] = request.prompts.map(({ prompt, object }) => {
      try {
        const enc = encodePrompt(
          model.config,
          model.tokenizer,
          prompt,
          object,
          settings.multiToken,
        );
        const est = estimatePrompt(
          benchmark,
          model.config,
          model.arch.causal,
          layoutOf(enc),
          settings,
        );
        return {
          ok: true,
          tokens: enc.ids.length,
          passes: enc.slots.length,
          warnings: enc.warnings,
          ...est,
        };
      } catch (e) {
        return { ok: false, error: e instanceof Error ? e.message : String(e) };
      }
    });
    const ok = items.filter((i) => i.ok);
    return {
      items,
      total: {
        prompts: ok.length,
        passes: ok.reduce((s, i) => s + i.passes, 0),
        counts: ok.reduce((sum, i) => addCounts(sum, i.counts), noCounts()),
        seconds: ok.reduce((s, i) => s + i.seconds, 0),
      },
      benchmark,
    };
  }

  async attribute(
    request: AttributeRequest,
    signal: AbortSignal,
    onProgress?: (p: BlockProgress) => void,
  ): Promise<AttributionResult> {
    const { model } = this.current();
    const progress = throttle(onProgress, PROGRESS_MS, this.now);
    return attribute(model, request.prompt, request.object, request.settings, {
      signal,
      onProgress: (p) => progress.push(p, p.done === p.total),
    });
  }

  async predict(request: PredictRequest): Promise<Prediction[]> {
    const { model } = this.current();
    const enc = encodePrompt(
      model.config,
      model.tokenizer,
      request.prompt,
      request.object,
      request.multiToken,
    );
    return predict(model, enc, request.variants ?? [[]], {
      topK: request.topK,
      tapMode: request.tapMode,
    });
  }

  async valueVectorTokens(request: ValueTokensRequest): Promise<PromotedToken[]> {
    return this.current().projector.tokens(
      request.layer,
      request.unit,
      request.k,
      request.direction,
    );
  }
}
