/**
 * A model ready to run: its config, tokenizer, weights uploaded once to the runtime's device,
 * and sessions for the graphs of src/arch (built per tap mode, on first use).
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import {
  type Architecture,
  type GraphOptions,
  type TapMode,
  architectures,
  buildModelGraphs,
} from '../arch';
import type { ModelGraphs } from '../arch';
import { toOnnx } from '../graph';
import type { Runtime } from '../runtime/runtime';
import type { ModelTokenizer } from '../weights/tokenizer';
import type { ModelConfig } from '../weights/types';

export type { TapMode } from '../arch';

/** Sessions of the graphs the model's family needs (see graphNames). */
export type Sessions = { [K in keyof ModelGraphs]?: InferenceSession };

export interface ModelWeights {
  global: Record<string, Tensor>;
  layers: Record<string, Tensor>[];
}

export class Model {
  readonly arch: Architecture;
  private readonly sessionCache = new Map<TapMode, Promise<Sessions>>();

  constructor(
    readonly id: string,
    readonly config: ModelConfig,
    readonly tokenizer: ModelTokenizer,
    readonly runtime: Runtime,
    /** Mutable on purpose: weight edits swap single tensors (see analysis/edits). */
    readonly weights: ModelWeights,
  ) {
    this.arch = architectures[config.family];
  }

  get numLayers(): number {
    return this.config.numLayers;
  }

  get numUnits(): number {
    return this.config.intermediateSize;
  }

  sessions(mode: TapMode = 'post-activation'): Promise<Sessions> {
    let s = this.sessionCache.get(mode);
    if (!s) {
      s = createSessions(this.runtime, this.arch, this.config, { tapMode: mode });
      this.sessionCache.set(mode, s);
    }
    return s;
  }

  /** Frees the sessions and the device copies of the weights. */
  async release(): Promise<void> {
    for (const pending of this.sessionCache.values()) {
      const sessions = await pending.catch(() => undefined); // a failed creation left nothing
      for (const session of Object.values(sessions ?? {})) await session.release();
    }
    this.sessionCache.clear();
    for (const t of Object.values(this.weights.global)) this.runtime.dispose(t);
    for (const layer of this.weights.layers)
      for (const t of Object.values(layer)) this.runtime.dispose(t);
  }
}

async function createSessions(
  runtime: Runtime,
  arch: Architecture,
  cfg: ModelConfig,
  opts: GraphOptions,
): Promise<Sessions> {
  const graphs = buildModelGraphs(arch, cfg, opts);
  const entries = await Promise.all(
    Object.entries(graphs).map(
      async ([k, g]) => [k, await runtime.createSession(toOnnx(g))] as const,
    ),
  );
  return Object.fromEntries(entries) as Sessions;
}
