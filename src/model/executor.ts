/**
 * Runs the model's graphs one block at a time, feeding each the weights it reads and keeping
 * results on the device, and counts the block evaluations it executes (one sample through one
 * block) so schedules can be compared.
 */
import type { Tensor } from 'onnxruntime-common';
import { type GraphFeeds, type GraphName, type GraphResults, ropeTables } from '../arch';
import type { Model, Sessions, TapMode } from './model';

export interface BlockCounts {
  /** Sample-blocks evaluated forward. */
  forward: number;
  /** Sample-blocks differentiated (each recomputes its forward from the block input). */
  backward: number;
}

export class Executor {
  readonly counts: BlockCounts = { forward: 0, backward: 0 };
  private readonly owned: Tensor[] = [];

  private constructor(
    readonly model: Model,
    private readonly s: Sessions,
  ) {}

  static async create(model: Model, mode: TapMode = 'post-activation'): Promise<Executor> {
    return new Executor(model, await model.sessions(mode));
  }

  private get rt() {
    return this.model.runtime;
  }

  /** A small per-run input; freed with the executor. */
  input(data: Float32Array | BigInt64Array, dims: number[]): Tensor {
    const t = this.rt.tensor(data, dims);
    this.owned.push(t);
    return t;
  }

  /** Runs graph G with `feeds` and the weights it reads (the global ones, or `layer`'s). */
  private async run<G extends GraphName>(
    graph: G,
    feeds: GraphFeeds<G, Tensor>,
    layer: number | null,
  ): Promise<GraphResults<G, Tensor>> {
    const session = this.s[graph];
    const w = this.model.weights;
    const all: Record<string, Tensor> = { ...feeds };
    for (const name of session.inputNames) {
      if (all[name]) continue;
      const t = (layer === null ? w.global : w.layers[layer])[name];
      if (!t) throw new Error(`graph input ${name} has no tensor (layer ${layer})`);
      all[name] = t;
    }
    return (await session.run(all)) as GraphResults<G, Tensor>;
  }

  async embed(ids: BigInt64Array, positions: BigInt64Array, rows: number): Promise<Tensor> {
    const T = ids.length / rows;
    const out = await this.run(
      'embed',
      { ids: this.input(ids, [rows, T]), positions: this.input(positions, [rows, T]) },
      null,
    );
    return out.h_out;
  }

  async block(
    layer: number,
    h: Tensor,
    ctx: RunContext,
    tapMul: Tensor,
    tapAdd: Tensor,
  ): Promise<{ h: Tensor; found: Tensor }> {
    this.counts.forward += h.dims[0];
    const out = await this.run(
      'block',
      { h, ...ctx.attention, tap_pos: ctx.tapPos, tap_mul: tapMul, tap_add: tapAdd },
      layer,
    );
    return { h: out.h_out, found: out.tap_found };
  }

  async blockVjp(
    layer: number,
    h: Tensor,
    ctx: RunContext,
    tapMul: Tensor,
    tapAdd: Tensor,
    gOut: Tensor,
  ): Promise<{ gH: Tensor; gTap: Tensor }> {
    this.counts.backward += h.dims[0];
    const out = await this.run(
      'blockVjp',
      {
        h,
        ...ctx.attention,
        tap_pos: ctx.tapPos,
        tap_mul: tapMul,
        tap_add: tapAdd,
        g_out: gOut,
      },
      layer,
    );
    return { gH: out.g_h, gTap: out.g_tap };
  }

  async blockGrow(layer: number, h: Tensor, ctx: RunContext, spawnAdd: Tensor): Promise<Tensor> {
    this.counts.forward += h.dims[0] + spawnAdd.dims[0];
    const out = await this.run(
      'blockGrow',
      { h, ...ctx.attention, tap_pos: ctx.tapPos, spawn_add: spawnAdd },
      layer,
    );
    return out.h_out;
  }

  async blockGrowVjp(
    layer: number,
    h: Tensor,
    ctx: RunContext,
    spawnAdd: Tensor,
    gOut: Tensor,
  ): Promise<{ gH: Tensor; gSpawn: Tensor }> {
    this.counts.backward += h.dims[0] + spawnAdd.dims[0];
    const out = await this.run(
      'blockGrowVjp',
      { h, ...ctx.attention, tap_pos: ctx.tapPos, spawn_add: spawnAdd, g_out: gOut },
      layer,
    );
    return { gH: out.g_h, gSpawn: out.g_spawn };
  }

  async head(h: Tensor, targetPos: Tensor): Promise<Tensor> {
    return (await this.run('head', { h, target_pos: targetPos }, null)).log_probs;
  }

  async headVjp(
    h: Tensor,
    targetPos: Tensor,
    objectIds: Tensor,
  ): Promise<{ prob: Tensor; gH: Tensor }> {
    const out = await this.run(
      'headVjp',
      { h, target_pos: targetPos, object_ids: objectIds },
      null,
    );
    return { prob: out.prob, gH: out.g_h };
  }

  async read(t: Tensor): Promise<Float32Array> {
    return (await this.rt.read(t)) as Float32Array;
  }

  /** Frees a device tensor a session returned. */
  free(...ts: Tensor[]): void {
    for (const t of ts) this.rt.dispose(t);
  }

  /** Frees the per-run inputs this executor made. */
  dispose(): void {
    this.free(...this.owned.splice(0));
  }

  /** Inputs shared by every block run on one prompt. */
  context(seqLen: number, tapPositions: number[]): RunContext {
    const T = seqLen;
    const { arch, config } = this.model;
    const bias = new Float32Array(T * T);
    // Causal models may not attend to later positions; -1e9 underflows to 0 after softmax.
    if (arch.causal)
      for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) bias[i * T + j] = -1e9;
    const attention: RunContext['attention'] = { bias: this.input(bias, [1, 1, T, T]) };
    if (arch.rotary) {
      const positions = Array.from({ length: T }, (_, t) => t + config.positionOffset);
      const { cos, sin } = ropeTables(config, positions);
      const d = cos.length / T;
      attention.rope_cos = this.input(cos, [T, d]);
      attention.rope_sin = this.input(sin, [T, d]);
    }
    const pos = new Float32Array(T);
    for (const p of tapPositions) pos[p] = 1;
    return { attention, tapPos: this.input(pos, [1, T]), seqLen: T };
  }
}

export interface RunContext {
  /** The attention's inputs: the bias (causal mask) and, for rotary models, the rope tables. */
  attention: { bias: Tensor; rope_cos?: Tensor; rope_sin?: Tensor };
  tapPos: Tensor;
  seqLen: number;
}
