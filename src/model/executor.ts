/**
 * Runs the model's graphs one block at a time, feeding each the weights it reads and keeping
 * results on the device, and counts the work it executes, in block evaluations (one row through
 * one block) and token-block evaluations (one position of a row through one block), so schedules
 * can be compared and estimated.
 */
import type { Tensor } from 'onnxruntime-common';
import { type GraphFeeds, type GraphName, type GraphResults, ropeTables } from '../arch';
import type { Model, Sessions, TapMode } from './model';

export interface BlockCounts {
  /** Rows (a prompt, a baseline variant, a path point) through one block, forward. */
  forward: number;
  /** Rows differentiated through one block. */
  backward: number;
  /** Positions through one block, forward: a row that carries T positions counts T. */
  forwardTokens: number;
  /** Positions differentiated through one block. */
  backwardTokens: number;
}

export const noCounts = (): BlockCounts => ({
  forward: 0,
  backward: 0,
  forwardTokens: 0,
  backwardTokens: 0,
});

export function addCounts(into: BlockCounts, c: BlockCounts): BlockCounts {
  into.forward += c.forward;
  into.backward += c.backward;
  into.forwardTokens += c.forwardTokens;
  into.backwardTokens += c.backwardTokens;
  return into;
}

export class Executor {
  readonly counts: BlockCounts = noCounts();
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
    if (!session)
      throw new Error(`graph ${graph} is not built for a ${this.model.config.family} model`);
    const given = feeds as Record<string, Tensor>;
    const weights = await this.model.graphWeights(session.inputNames, layer, given);
    try {
      return (await session.run({ ...given, ...weights.feeds })) as GraphResults<G, Tensor>;
    } finally {
      weights.release();
    }
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
    this.count('forward', h.dims[0], h.dims[0] * h.dims[1]);
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
    this.count('backward', h.dims[0], h.dims[0] * h.dims[1]);
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

  /**
   * The first pass of a schedule at one block: `rows` logical rows in h (a batch, or rows packed
   * into one sequence), the tapped values at `at.read` [N, 2], the attention output there, the
   * block output at `at.base` [A, Tq, 2], and, for a causal model, keys and values at `at.cache`.
   */
  async setup(
    layer: number,
    h: Tensor,
    attention: AttentionFeeds,
    at: { read: Tensor; base: Tensor; cache?: Tensor },
    rows: number,
  ): Promise<SetupResult> {
    this.count('forward', rows, h.dims[0] * h.dims[1]);
    const feeds = { h, ...attention, read_at: at.read, base_at: at.base };
    if (at.cache) {
      const out = await this.run('setupCached', { ...feeds, cache_at: at.cache }, layer);
      return { ...out, cache: { k: out.k_cache, v: out.v_cache } };
    }
    return this.run('setup', feeds, layer);
  }

  /** Rows spawned in `layer` (see GRAPH_IO.spawn); each computes one position of the block. */
  async spawn(layer: number, s: SpawnFeeds): Promise<Tensor> {
    this.count('forward', s.spawn_add.dims[0], s.spawn_add.dims[0]);
    return (await this.run('spawn', s, layer)).h_out;
  }

  async spawnVjp(layer: number, s: SpawnFeeds, gOut: Tensor): Promise<Tensor> {
    this.count('backward', s.spawn_add.dims[0], s.spawn_add.dims[0]);
    return (await this.run('spawnVjp', { ...s, g_out: gOut }, layer)).g_spawn;
  }

  /**
   * A staggered pass's block: rows h through it unedited, then the rows spawned here; with
   * `past` (a causal model), h holds the rows' newest positions and attends to the cached keys.
   */
  async pathBlock(
    layer: number,
    h: Tensor,
    attention: AttentionFeeds,
    s: SpawnFeeds,
    past?: PastFeeds,
  ): Promise<{ h: Tensor; saved: Tensor }> {
    this.countPath('forward', h, s);
    const feeds = { h, ...attention, ...s };
    const out = past
      ? await this.run('pathBlockCached', { ...feeds, ...past }, layer)
      : await this.run('pathBlock', feeds, layer);
    return { h: out.h_out, saved: out.saved };
  }

  async pathBlockVjp(
    layer: number,
    h: Tensor,
    attention: AttentionFeeds,
    s: SpawnFeeds,
    saved: Tensor,
    gOut: Tensor,
    past?: PastFeeds,
  ): Promise<{ gH: Tensor; gSpawn: Tensor }> {
    this.countPath('backward', h, s);
    const feeds = { h, ...attention, ...s, saved, g_out: gOut };
    const out = past
      ? await this.run('pathBlockCachedVjp', { ...feeds, ...past }, layer)
      : await this.run('pathBlockVjp', feeds, layer);
    return { gH: out.g_h, gSpawn: out.g_spawn };
  }

  /**
   * A masked LM's last path block: rows h [P, T, H] computed at their target (`query_pos`) only,
   * then the rows spawned here; every row leaves it as one position [P + S, 1, H]. Counted as
   * one position per row: the keys and values of the other positions are a sixth of a block.
   */
  async pathBlockLast(
    layer: number,
    h: Tensor,
    attention: AttentionFeeds,
    s: LastBlockFeeds,
  ): Promise<{ h: Tensor; saved: Tensor; savedQuery: Tensor }> {
    const rows = h.dims[0] + s.spawn_add.dims[0];
    this.count('forward', rows, rows);
    const out = await this.run('pathBlockLast', { h, ...attention, ...s }, layer);
    return { h: out.h_out, saved: out.saved, savedQuery: out.saved_query };
  }

  async pathBlockLastVjp(
    layer: number,
    h: Tensor,
    attention: AttentionFeeds,
    s: LastBlockFeeds,
    saved: { saved: Tensor; savedQuery: Tensor },
    gOut: Tensor,
  ): Promise<{ gH: Tensor; gSpawn: Tensor }> {
    const rows = h.dims[0] + s.spawn_add.dims[0];
    this.count('backward', rows, rows);
    const out = await this.run(
      'pathBlockLastVjp',
      { h, ...attention, ...s, saved: saved.saved, saved_query: saved.savedQuery, g_out: gOut },
      layer,
    );
    return { gH: out.g_h, gSpawn: out.g_spawn };
  }

  private count(direction: 'forward' | 'backward', rows: number, tokens: number): void {
    if (direction === 'forward') {
      this.counts.forward += rows;
      this.counts.forwardTokens += tokens;
    } else {
      this.counts.backward += rows;
      this.counts.backwardTokens += tokens;
    }
  }

  /** A path block: h's rows at all their positions, and the spawned rows at their tap position. */
  private countPath(direction: 'forward' | 'backward', h: Tensor, s: SpawnFeeds): void {
    const spawned = s.spawn_add.dims[0];
    this.count(direction, h.dims[0] + spawned, h.dims[0] * h.dims[1] + spawned);
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

  /** One-hot rows [positions.length, T]: row r is 1 at positions[r] (the head's targets). */
  oneHot(positions: readonly number[], seqLen: number): Tensor {
    const data = new Float32Array(positions.length * seqLen);
    positions.forEach((p, r) => (data[r * seqLen + p] = 1));
    return this.input(data, [positions.length, seqLen]);
  }

  /**
   * The attention inputs of rows at `positions` (position ids): `bias` [1, 1, T, T] as given,
   * and a rotary model's rope tables, [T, d] for one sequence (`rows` 0) or [rows, 1, T, d]
   * when `positions` holds `rows` rows of T positions each.
   */
  attention(bias: Tensor, positions: readonly number[], rows = 0): AttentionFeeds {
    const { arch, config } = this.model;
    if (!arch.rotary) return { bias };
    const { cos, sin } = ropeTables(config, positions);
    const T = rows ? positions.length / rows : positions.length;
    const d = cos.length / positions.length;
    const dims = rows ? [rows, 1, T, d] : [T, d];
    return { bias, rope_cos: this.input(cos, dims), rope_sin: this.input(sin, dims) };
  }

  /** Inputs shared by every block run on one prompt. */
  context(seqLen: number, tapPositions: number[]): RunContext {
    const T = seqLen;
    const bias = new Float32Array(T * T);
    // Causal models may not attend to later positions; -1e9 underflows to 0 after softmax.
    if (this.model.arch.causal)
      for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) bias[i * T + j] = -1e9;
    const positions = Array.from({ length: T }, (_, t) => t + this.model.config.positionOffset);
    const attention = this.attention(this.input(bias, [1, 1, T, T]), positions);
    const pos = new Float32Array(T);
    for (const p of tapPositions) pos[p] = 1;
    return { attention, tapPos: this.input(pos, [1, T]), seqLen: T };
  }
}

/** What the setup pass returns at one block (see GRAPH_IO.setup). */
export interface SetupResult {
  h_out: Tensor;
  found: Tensor;
  mid: Tensor;
  base: Tensor;
  cache?: { k: Tensor; v: Tensor };
}

/** The inputs of the rows spawned in one block (see GRAPH_IO.spawn). */
export type SpawnFeeds = GraphFeeds<'spawn', Tensor>;

/** The inputs of a masked LM's last path block besides h and the attention (GRAPH_IO.pathBlockLast). */
export type LastBlockFeeds = Pick<
  GraphFeeds<'pathBlockLast', Tensor>,
  'query_pos' | 'mid' | 'spawn_from' | 'spawn_add'
>;

/** A causal pass's cached keys and values of one block, and which of them each row sees. */
export interface PastFeeds {
  past_k: Tensor;
  past_v: Tensor;
  past_bias: Tensor;
}

/** The attention's inputs: the bias (causal mask) and, for rotary models, the rope tables. */
export interface AttentionFeeds {
  bias: Tensor;
  rope_cos?: Tensor;
  rope_sin?: Tensor;
}

export interface RunContext {
  attention: AttentionFeeds;
  tapPos: Tensor;
  seqLen: number;
}
