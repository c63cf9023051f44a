/**
 * A model ready to run: its config, tokenizer, weights uploaded once to the runtime's device,
 * and sessions for the graphs of src/arch (built per tap mode, on first use).
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import {
  type Architecture,
  type TapMode,
  type WeightStorage,
  architectures,
  buildModelGraphs,
} from '../arch';
import type { ModelGraphs } from '../arch';
import { toOnnx } from '../graph';
import type { Runtime } from '../runtime/runtime';
import { type DecodedFeeds, HostDecoder, hostDecodedStorage } from './host-decode';
import { type GraphSession, type ResidentSessions, residentSessions } from './resident';
import type { ModelTokenizer } from '../weights/tokenizer';
import type { ModelConfig } from '../weights/types';

export type { TapMode } from '../arch';

/**
 * Sessions of the graphs the model's family needs (see graphNames); where the runtime copies fed
 * tensors at each run, the graphs reading the global weights are views of one session holding
 * them (./resident).
 */
export type Sessions = { [K in keyof ModelGraphs]?: GraphSession };

/** The graphs that read the global weights (the embedding tables). */
const GLOBAL_GRAPHS: readonly string[] = ['embed', 'head', 'headVjp'];

/**
 * Device tensors by graph input name: a weight stored at 16 bits or in row blocks is several
 * (`word_emb.0`, `word_emb.1`, `q_w.scale`; see src/graph/storage.ts).
 */
export interface ModelWeights {
  global: Record<string, Tensor>;
  layers: Record<string, Tensor>[];
}

/** How the loader keeps weights: 16-bit checkpoints stay 16-bit; float32 ones on request. */
export interface WeightPrecision {
  /** Round float32 checkpoints to 16 bits (the "load as 16-bit" setting). */
  float32As16?: boolean;
}

/** How a loaded model's weights are held on the device, for the model summary. */
export interface WeightSummary {
  /** Bytes of all weights on the device. */
  deviceBytes: number;
  /** Of those, bytes held at 16 bits. */
  float16Bytes: number;
  /** float32 checkpoint tensors were rounded to 16 bits (the user's setting; the model's id says so). */
  rounded: boolean;
  /** Why some weights are float32 on the device although stored at 16 bits, if any are. */
  notes: string[];
}

/** A model's weights on the device, how they are stored, and the summary the app shows. */
export interface LoadedWeights {
  weights: ModelWeights;
  storage: WeightStorage;
  summary: WeightSummary;
}

export class Model {
  readonly arch: Architecture;
  private readonly sessionCache = new Map<TapMode, Promise<Sessions>>();

  /** Mutable on purpose: weight edits swap single tensors (see analysis/edits). */
  readonly weights: ModelWeights;
  /** How each weight input is stored (16-bit, row blocks); the graphs are built for it. */
  readonly storage: WeightStorage;
  readonly summary: WeightSummary;

  constructor(
    /** The model as results and exports name it (see weightsLabel in ./load). */
    readonly id: string,
    readonly config: ModelConfig,
    readonly tokenizer: ModelTokenizer,
    readonly runtime: Runtime,
    loaded: LoadedWeights,
  ) {
    this.arch = architectures[config.family];
    this.weights = loaded.weights;
    this.storage = loaded.storage;
    this.summary = loaded.summary;
    if (runtime.limits.decodesOnHost)
      this.decoder = new HostDecoder(runtime, this.storage, this.blockInputs());
  }

  private blockInputs(): string[] {
    return this.arch.blockWeights(this.config).map((s) => s.input);
  }

  /** Decodes 16-bit weights before each run, where the runtime says so (./host-decode). */
  private readonly decoder: HostDecoder | undefined;

  /**
   * The weights that a graph's inputs `names` read (those not in `given`), of `layer` or the
   * global ones, as its session takes them; `release` them once the run is over.
   */
  async graphWeights(
    names: readonly string[],
    layer: number | null,
    given: Record<string, Tensor>,
  ): Promise<DecodedFeeds> {
    const slot = layer === null ? this.weights.global : this.weights.layers[layer];
    for (const name of names)
      if (!given[name] && !slot[name])
        throw new Error(`graph input ${name} has no tensor (layer ${layer})`);
    if (this.decoder) return this.decoder.feeds(names, slot, given);
    const feeds: Record<string, Tensor> = {};
    for (const name of names) if (!given[name]) feeds[name] = slot[name];
    return { feeds, release: () => {} };
  }

  get numLayers(): number {
    return this.config.numLayers;
  }

  get numUnits(): number {
    return this.config.intermediateSize;
  }

  private readonly auxiliary = new Map<string, Promise<InferenceSession>>();

  /**
   * A session of a small graph over this model's weights (row reads, edits, projections),
   * built on first use under `key` and released with the model.
   */
  auxSession(key: string, build: () => Uint8Array): Promise<InferenceSession> {
    let s = this.auxiliary.get(key);
    if (!s) {
      s = this.runtime.createSession(build());
      this.auxiliary.set(key, s);
      s.catch(() => this.auxiliary.delete(key)); // a failed build may be tried again
    }
    return s;
  }

  sessions(mode: TapMode = 'post-activation'): Promise<Sessions> {
    let s = this.sessionCache.get(mode);
    if (!s) {
      s = this.createSessions(mode);
      this.sessionCache.set(mode, s);
    }
    return s;
  }

  /** The global graphs' shared session, where there is one (the same for every tap mode). */
  private resident: Promise<ResidentSessions | undefined> | undefined;

  private async createSessions(mode: TapMode): Promise<Sessions> {
    const graphs = buildModelGraphs(this.arch, this.config, {
      tapMode: mode,
      storage: this.decoder ? hostDecodedStorage(this.storage, this.blockInputs()) : this.storage,
    });
    const global = this.runtime.limits.copiesFeeds
      ? Object.fromEntries(Object.entries(graphs).filter(([k]) => GLOBAL_GRAPHS.includes(k)))
      : {};
    if (Object.keys(global).length > 0)
      this.resident ??= residentSessions(this.runtime, global, this.weights.global);
    const shared = (await this.resident)?.views ?? {};
    const entries = await Promise.all(
      Object.entries(graphs).map(
        async ([k, g]) => [k, shared[k] ?? (await this.runtime.createSession(toOnnx(g)))] as const,
      ),
    );
    return Object.fromEntries(entries) as Sessions;
  }

  /** Frees the sessions and the device copies of the weights. */
  async release(): Promise<void> {
    for (const pending of this.sessionCache.values()) {
      const sessions = await pending.catch(() => undefined); // a failed creation left nothing
      for (const session of Object.values(sessions ?? {})) await session.release();
    }
    this.sessionCache.clear();
    await (await this.resident?.catch(() => undefined))?.release();
    this.resident = undefined;
    for (const pending of this.auxiliary.values())
      await (await pending.catch(() => null))?.release();
    this.auxiliary.clear();
    this.decoder?.release();
    for (const t of Object.values(this.weights.global)) this.runtime.dispose(t);
    for (const layer of this.weights.layers)
      for (const t of Object.values(layer)) this.runtime.dispose(t);
  }
}
