/**
 * The graphs the engine runs for a model (see docs/design.md). Weights are graph inputs,
 * declared lazily so each graph asks only for the weights it reads.
 */
import { type DType, type Dim, Graph, type InputStorage, type Tensor, ops } from '../graph';
import type { ModelConfig } from '../weights/types';
import type { Architecture } from './architecture';
import { runBlock } from './architecture';
import {
  type BlockContext,
  type TapMode,
  type WeightSpec,
  type Weights,
  atPosition,
  editTap,
  readTap,
  replaceTap,
} from './common';
import { llamaParams } from './rope';

export interface GraphOptions {
  /** Where the tap sits (default: after the activation). */
  tapMode?: TapMode;
  /**
   * How each weight input is stored on the device (16-bit, row blocks; src/graph/storage.ts),
   * by input name; weights not listed are float32 tensors.
   */
  storage?: WeightStorage;
}

/** How weight inputs are stored, by input name (the loader decides: src/model/load.ts). */
export type WeightStorage = Record<string, InputStorage>;

/**
 * Each graph's inputs other than its weights, and its outputs, by name. The builder can declare
 * no other names and the executor feeds and reads these, so renaming one is a type error, not
 * a run that silently reads nothing.
 */
export const GRAPH_IO = {
  /** ids, positions [B, T] int64 -> h_out [B, T, H] */
  embed: { inputs: ['ids', 'positions'], outputs: ['h_out'] },
  /** h [B, T, H], bias [1, 1, T, T], tap_pos [1, T], tap_mul, tap_add [B, F] -> h_out, tap_found [B, F] */
  block: {
    inputs: ['h', 'bias', 'tap_pos', 'tap_mul', 'tap_add'],
    outputs: ['h_out', 'tap_found'],
  },
  /** block's inputs + g_out [B, T, H] -> g_h [B, T, H], g_tap = dP/d tap_add [B, F] */
  blockVjp: {
    inputs: ['h', 'bias', 'tap_pos', 'tap_mul', 'tap_add', 'g_out'],
    outputs: ['g_h', 'g_tap'],
  },
  /**
   * The first pass of a schedule, unedited: h [B, T, H] (a batch of rows, or several rows packed
   * into one), bias [1, 1, T, T], read_at [N, 2] and base_at [A, Tq, 2] int64 (row, position)
   * pairs -> h_out, found [N, F] (the tapped value at read_at), mid [N, H] (the attention
   * sublayer's output there), base [A, Tq, H] (h_out at base_at).
   */
  setup: {
    inputs: ['h', 'bias', 'read_at', 'base_at'],
    outputs: ['h_out', 'found', 'mid', 'base'],
  },
  /** setup's, + cache_at [K, 2] -> + the keys and values there, k_cache, v_cache [1, heads, K, dh] */
  setupCached: {
    inputs: ['h', 'bias', 'read_at', 'base_at', 'cache_at'],
    outputs: ['h_out', 'found', 'mid', 'base', 'k_cache', 'v_cache'],
  },
  /**
   * Path rows spawned in a block: base [A, Tq, H] (the unedited block output at the rows'
   * positions, per anchor), mid [>= A, H] (the attention sublayer's output at each anchor's tap
   * position), tap_pos [A, Tq], spawn_from [S] int64 (each row's anchor), spawn_add [S, F] ->
   * h_out [S, Tq, H]: the anchor's output with the tapped value at its position replaced.
   */
  spawn: {
    inputs: ['base', 'mid', 'tap_pos', 'spawn_from', 'spawn_add'],
    outputs: ['h_out'],
  },
  /** spawn's inputs + g_out [S, Tq, H] -> g_spawn = dP/d spawn_add [S, F] */
  spawnVjp: {
    inputs: ['base', 'mid', 'tap_pos', 'spawn_from', 'spawn_add', 'g_out'],
    outputs: ['g_spawn'],
  },
  /**
   * A block of a staggered pass: h [P, T, H] (rows spawned in earlier blocks) through the block
   * unedited, then the rows spawned here (spawn's inputs) -> h_out [P + S, T, H], and saved
   * [P, T, W]: the products of activations and weights, so the VJP need not recompute them.
   */
  pathBlock: {
    inputs: ['h', 'bias', 'base', 'mid', 'tap_pos', 'spawn_from', 'spawn_add'],
    outputs: ['h_out', 'saved'],
  },
  /** pathBlock's inputs + saved + g_out [P + S, T, H] -> g_h [P, T, H], g_spawn [S, F] */
  pathBlockVjp: {
    inputs: ['h', 'bias', 'base', 'mid', 'tap_pos', 'spawn_from', 'spawn_add', 'saved', 'g_out'],
    outputs: ['g_h', 'g_spawn'],
  },
  /**
   * A masked LM's last block of a staggered pass, computing each row's output at one position
   * only (the head reads nothing else): h [P, T, H] (rows spawned in earlier blocks), bias
   * [1, 1, T, T], query_pos [P, T] (one-hot: each row's target), then the rows spawned here
   * (mid, spawn_from, spawn_add as in spawn) -> h_out [P + S, 1, H]; saved [P, T, W] (the key and
   * value products of every position) and saved_query [P, 1, Wq] (the products at the target).
   */
  pathBlockLast: {
    inputs: ['h', 'bias', 'query_pos', 'mid', 'spawn_from', 'spawn_add'],
    outputs: ['h_out', 'saved', 'saved_query'],
  },
  /** pathBlockLast's inputs + saved, saved_query + g_out [P + S, 1, H] -> g_h [P, T, H], g_spawn */
  pathBlockLastVjp: {
    inputs: [
      'h',
      'bias',
      'query_pos',
      'mid',
      'spawn_from',
      'spawn_add',
      'saved',
      'saved_query',
      'g_out',
    ],
    outputs: ['g_h', 'g_spawn'],
  },
  /**
   * pathBlock for causal rows that carry only their newest positions: + past_k, past_v
   * [1, heads, K, dh] (the clean pass's keys and values) and past_bias [P, 1, T, K] (which of
   * them each row sees).
   */
  pathBlockCached: {
    inputs: [
      'h',
      'bias',
      'past_k',
      'past_v',
      'past_bias',
      'base',
      'mid',
      'tap_pos',
      'spawn_from',
      'spawn_add',
    ],
    outputs: ['h_out', 'saved'],
  },
  /** pathBlockCached's inputs + saved + g_out -> g_h, g_spawn */
  pathBlockCachedVjp: {
    inputs: [
      'h',
      'bias',
      'past_k',
      'past_v',
      'past_bias',
      'base',
      'mid',
      'tap_pos',
      'spawn_from',
      'spawn_add',
      'saved',
      'g_out',
    ],
    outputs: ['g_h', 'g_spawn'],
  },
  /** h [B, T, H], target_pos [B, T] (one-hot: each row's target) -> log_probs [B, V] */
  head: { inputs: ['h', 'target_pos'], outputs: ['log_probs'] },
  /** h, target_pos, object_ids [B] -> prob [B], g_h = dP/dh [B, T, H] */
  headVjp: { inputs: ['h', 'target_pos', 'object_ids'], outputs: ['prob', 'g_h'] },
} as const;

/** The graphs every family has, and those of the masked and the causal schedules. */
const SHARED_GRAPHS = [
  'embed',
  'block',
  'blockVjp',
  'spawn',
  'spawnVjp',
  'head',
  'headVjp',
] as const;
const MASKED_GRAPHS = [
  'setup',
  'pathBlock',
  'pathBlockVjp',
  'pathBlockLast',
  'pathBlockLastVjp',
] as const;
const CAUSAL_GRAPHS = ['setupCached', 'pathBlockCached', 'pathBlockCachedVjp'] as const;

/** The graphs a model of the family needs (a causal model's schedule uses cached keys). */
export function graphNames(causal: boolean): GraphName[] {
  return [...SHARED_GRAPHS, ...(causal ? CAUSAL_GRAPHS : MASKED_GRAPHS)];
}

/**
 * The inputs every graph with an attention `bias` (block, blockVjp, setupCached, pathBlockCached,
 * pathBlockCachedVjp) of a rotary model (LLaMA family) also takes, right after `bias`: cos and
 * sin of position x inverse frequency, [T, head_dim], or [P, 1, T, head_dim] for path rows at
 * different positions (src/arch/rope.ts computes them).
 */
export const ROTARY_INPUTS = ['rope_cos', 'rope_sin'] as const;
export type RotaryInput = (typeof ROTARY_INPUTS)[number];

export type GraphName = keyof typeof GRAPH_IO;
export type GraphInput<G extends GraphName> = (typeof GRAPH_IO)[G]['inputs'][number];
export type GraphOutput<G extends GraphName> = (typeof GRAPH_IO)[G]['outputs'][number];
/** What a run of graph G is fed besides the weights, by input name (rope tables if rotary). */
export type GraphFeeds<G extends GraphName, T> = Record<GraphInput<G>, T> &
  Partial<Record<RotaryInput, T>>;
/** What a run of graph G returns, by output name. */
export type GraphResults<G extends GraphName, T> = Record<GraphOutput<G>, T>;

/** The graphs of one model: those of `graphNames` for its family. */
export type ModelGraphs = Partial<Record<GraphName, Graph>>;

/** A graph under construction that may declare only graph G's own input and output names. */
interface SignedGraph<G extends GraphName> {
  graph: Graph;
  input: (name: GraphInput<G>, dtype: DType, shape: Dim[]) => Tensor;
  output: (name: GraphOutput<G>, tensor: Tensor) => void;
}

function signedGraph<G extends GraphName>(onnxName: string): SignedGraph<G> {
  const graph = new Graph(onnxName);
  return {
    graph,
    input: (name, dtype, shape) => graph.input(name, dtype, shape),
    output: (name, tensor) => graph.output(name, tensor),
  };
}

/** A graph that declares (at least) the inputs named N. */
interface Declares<N extends string> {
  graph: Graph;
  input: (name: N, dtype: DType, shape: Dim[]) => Tensor;
}

/**
 * A record whose properties become graph inputs the first time they are read, stored as
 * `storage` says (the graph reads float32 either way).
 */
function lazyWeights(g: Graph, specs: WeightSpec[], storage: WeightStorage = {}): Weights {
  const byName = new Map(specs.map((s) => [s.input, s]));
  const made = new Map<string, Tensor>();
  return new Proxy({} as Weights, {
    get(_t, name: string) {
      let t = made.get(name);
      if (!t) {
        const spec = byName.get(name);
        if (!spec) throw new Error(`graph ${g.name} reads weight '${name}', which has no spec`);
        made.set(name, (t = g.input(name, 'float32', spec.shape, storage[name])));
      }
      return t;
    },
  });
}

/** Whether `t` is a product of an activation and one of `weights` (what a VJP recalls). */
function weightProduct(t: Tensor, weights: ReadonlySet<string>): boolean {
  if (t.origin.kind !== 'op' || t.origin.node.def.onnx !== 'MatMul') return false;
  const w = t.origin.node.inputs[1];
  return w.origin.kind === 'input' && weights.has(w.name);
}

function decoderWeight(cfg: ModelConfig, w: Weights): Tensor {
  return cfg.tieWordEmbeddings ? w.word_emb : w.decoder_w;
}

export function buildModelGraphs(
  arch: Architecture,
  cfg: ModelConfig,
  opts: GraphOptions = {},
): ModelGraphs {
  const globals = arch.globalWeights(cfg);
  const blocks = arch.blockWeights(cfg);
  const blockWeightNames = new Set(blocks.map((s) => s.input));
  const { hiddenSize: H, intermediateSize: F } = cfg;
  const mode: TapMode = opts.tapMode ?? 'post-activation';
  // Key/value heads and head width (grouped-query attention in the LLaMA family).
  const kv = arch.rotary
    ? { heads: llamaParams(cfg).numKvHeads, dim: llamaParams(cfg).headDim }
    : { heads: cfg.numHeads, dim: H / cfg.numHeads };
  const built: ModelGraphs = {};

  const embed = signedGraph<'embed'>('embed');
  {
    const ids = embed.input('ids', 'int64', ['B', 'T']);
    const positions = embed.input('positions', 'int64', ['B', 'T']);
    embed.output(
      'h_out',
      arch.embed(cfg, ids, positions, lazyWeights(embed.graph, globals, opts.storage)),
    );
  }
  built.embed = embed.graph;

  /**
   * Rows h and their attention context: the bias and, in a rotary model, the rope tables right
   * after it ([T, d] shared by every row, or [P, 1, T, d] per row).
   */
  const rowInputs = (g: Declares<'h' | 'bias'>, rows: string, ropePerRow = false) => {
    const h = g.input('h', 'float32', [rows, 'T', H]);
    const ctx: BlockContext = { bias: g.input('bias', 'float32', [1, 1, 'T', 'T']) };
    if (arch.rotary) {
      const shape: Dim[] = ropePerRow ? [rows, 1, 'T', kv.dim] : ['T', kv.dim];
      // The rotary inputs are not in GRAPH_IO's lists (only rotary models have them).
      const [cos, sin] = ROTARY_INPUTS.map((name) => g.graph.input(name, 'float32', shape));
      ctx.rope = { cos, sin };
    }
    return { h, ctx };
  };

  const plainBlock = (g: Declares<'h' | 'bias' | 'tap_pos' | 'tap_mul' | 'tap_add'>) => {
    const { h, ctx } = rowInputs(g, 'B');
    const position = g.input('tap_pos', 'float32', [1, 'T']);
    const mul = g.input('tap_mul', 'float32', ['B', F]);
    const add = g.input('tap_add', 'float32', ['B', F]);
    const tap = editTap(position, mul, add, mode);
    return {
      h,
      add,
      out: runBlock(arch, cfg, h, ctx, tap, lazyWeights(g.graph, blocks, opts.storage)),
    };
  };

  const block = signedGraph<'block'>('block');
  {
    const { out } = plainBlock(block);
    block.output('h_out', out.h);
    block.output('tap_found', out.found!);
  }
  built.block = block.graph;

  const blockVjp = signedGraph<'blockVjp'>('block_vjp');
  {
    const { h, add, out } = plainBlock(blockVjp);
    const gOut = blockVjp.input('g_out', 'float32', ['B', 'T', H]);
    const [gH, gTap] = blockVjp.graph.grad(out.h, [h, add], gOut);
    blockVjp.output('g_h', gH);
    blockVjp.output('g_tap', gTap);
  }
  built.blockVjp = blockVjp.graph;

  // The schedules' first pass, unedited; a causal model's also keeps keys and values.
  const setupBody = (g: Declares<'h' | 'bias' | 'read_at' | 'base_at'>) => {
    const { h, ctx } = rowInputs(g, 'B');
    const readAt = g.input('read_at', 'int64', ['N', 2]);
    const baseAt = g.input('base_at', 'int64', ['A', 'Tq', 2]);
    const w = lazyWeights(g.graph, blocks, opts.storage);
    const out = runBlock(arch, cfg, h, ctx, readTap(readAt, mode), w);
    return { out, mid: ops.gatherND(out.mid, readAt), base: ops.gatherND(out.h, baseAt) };
  };
  if (arch.causal) {
    const setup = signedGraph<'setupCached'>('setup_cached');
    const { out, mid, base } = setupBody(setup);
    const cacheAt = setup.input('cache_at', 'int64', ['K', 2]);
    // [B, kv heads, T, dh] -> the keys (values) at cache_at, [1, kv heads, K, dh].
    const cached = (t: Tensor) =>
      ops
        .gatherND(t.transpose([0, 2, 1, 3]), cacheAt)
        .transpose([1, 0, 2])
        .unsqueeze([0]);
    setup.output('h_out', out.h);
    setup.output('found', out.found!);
    setup.output('mid', mid);
    setup.output('base', base);
    setup.output('k_cache', cached(out.k));
    setup.output('v_cache', cached(out.v));
    built.setupCached = setup.graph;
  } else {
    const setup = signedGraph<'setup'>('setup');
    const { out, mid, base } = setupBody(setup);
    setup.output('h_out', out.h);
    setup.output('found', out.found!);
    setup.output('mid', mid);
    setup.output('base', base);
    built.setup = setup.graph;
  }

  type SpawnInput = 'base' | 'mid' | 'tap_pos' | 'spawn_from' | 'spawn_add';
  const spawnInputs = (g: Declares<SpawnInput>) => ({
    base: g.input('base', 'float32', ['A', 'T', H]),
    mid: g.input('mid', 'float32', ['N', H]),
    tapPos: g.input('tap_pos', 'float32', ['A', 'T']),
    from: g.input('spawn_from', 'int64', ['S']),
    add: g.input('spawn_add', 'float32', ['S', F]),
  });
  /**
   * Rows spawned in a block: the anchor's unedited output, with the FFN sublayer redone at the
   * tap position from the anchor's attention output and the tapped value replaced there. The
   * block's other work is the anchor's, done once by the setup pass.
   */
  const spawnRows = (s: ReturnType<typeof spawnInputs>, w: Weights) => {
    const atTap = s.mid.gather(s.from).unsqueeze([1]); // [S, 1, H]
    const y = arch.feedForwardSublayer(cfg, atTap, replaceTap(s.add, mode), w).h;
    const where = ops.greater(s.tapPos.gather(s.from).unsqueeze([2]), 0.5); // [S, T, 1]
    return ops.where(where, y, s.base.gather(s.from));
  };

  const spawn = signedGraph<'spawn'>('spawn');
  spawn.output(
    'h_out',
    spawnRows(spawnInputs(spawn), lazyWeights(spawn.graph, blocks, opts.storage)),
  );
  built.spawn = spawn.graph;

  const spawnVjp = signedGraph<'spawnVjp'>('spawn_vjp');
  {
    const inputs = spawnInputs(spawnVjp);
    const rows = spawnRows(inputs, lazyWeights(spawnVjp.graph, blocks, opts.storage));
    const gOut = spawnVjp.input('g_out', 'float32', ['S', 'T', H]);
    spawnVjp.output('g_spawn', spawnVjp.graph.grad(rows, [inputs.add], gOut)[0]);
  }
  built.spawnVjp = spawnVjp.graph;

  /**
   * The rows spawned in earlier blocks, through the whole block unedited, with the products of
   * activations and weights saved (forward) or recalled from `saved` (VJP), so that the VJP
   * computes none of them again.
   */
  const pastInputs = (g: Declares<'past_k' | 'past_v' | 'past_bias'>) => ({
    k: g.input('past_k', 'float32', [1, kv.heads, 'K', kv.dim]),
    v: g.input('past_v', 'float32', [1, kv.heads, 'K', kv.dim]),
    bias: g.input('past_bias', 'float32', ['P', 1, 'T', 'K']),
  });
  const through = (
    g: Graph,
    rows: { h: Tensor; ctx: BlockContext },
    past: BlockContext['past'],
    w: Weights,
    mode: { save: Tensor[][] } | { recall: Tensor[] },
  ) => {
    // Products at every position go to group 0; with `queries`, those at the queried positions
    // only ([P, 1, W]) to group 1.
    const groupOf = (t: Tensor) => (rows.ctx.queries && t.shape[1] === 1 ? 1 : 0);
    const offsets = [0, 0];
    const rewrite = (t: Tensor) => {
      if (!weightProduct(t, blockWeightNames)) return t;
      const group = groupOf(t);
      if ('save' in mode) {
        mode.save[group].push(t);
        return t;
      }
      const width = t.shape[2] as number;
      const from = offsets[group];
      offsets[group] += width;
      return ops.recall(t, mode.recall[group].slice(2, from, from + width));
    };
    return g.rewriting(rewrite, () => runBlock(arch, cfg, rows.h, { ...rows.ctx, past }, null, w))
      .h;
  };
  // The width of `saved`: the products one position of one row keeps in a block.
  const savedWidth = (() => {
    const probe = new Graph('saved_width');
    const g = { graph: probe, input: probe.input.bind(probe) };
    const save: Tensor[][] = [[], []];
    const rows = rowInputs(g, 'P', true);
    const past = arch.causal ? pastInputs(g) : undefined;
    through(probe, rows, past, lazyWeights(probe, blocks, opts.storage), { save });
    return save[0].reduce((sum, t) => sum + (t.shape[2] as number), 0);
  })();

  const pathForward = (
    g: Declares<'h' | 'bias' | SpawnInput>,
    past: () => BlockContext['past'],
  ) => {
    const rows = rowInputs(g, 'P', true);
    const p = past();
    const s = spawnInputs(g);
    const w = lazyWeights(g.graph, blocks, opts.storage);
    const save: Tensor[][] = [[], []];
    const h = through(g.graph, rows, p, w, { save });
    return { out: ops.concat([h, spawnRows(s, w)], 0), saved: ops.concat(save[0], 2) };
  };
  const pathVjp = (
    g: Declares<'h' | 'bias' | SpawnInput | 'saved' | 'g_out'>,
    past: () => BlockContext['past'],
  ) => {
    const rows = rowInputs(g, 'P', true);
    const p = past();
    const s = spawnInputs(g);
    const saved = g.input('saved', 'float32', ['P', 'T', savedWidth]);
    const gOut = g.input('g_out', 'float32', ['P+S', 'T', H]);
    const w = lazyWeights(g.graph, blocks, opts.storage);
    const h = through(g.graph, rows, p, w, { recall: [saved] });
    const out = ops.concat([h, spawnRows(s, w)], 0);
    return g.graph.grad(out, [rows.h, s.add], gOut);
  };

  /**
   * A masked LM's last path block: the rows spawned earlier computed at their target position
   * only (keys and values at every position, which the target attends to), and the rows spawned
   * here, whose output is their FFN sublayer at the tap: their tap position is their target.
   */
  const lastPathBlockGraphs = () => {
    type LastInput = 'h' | 'bias' | 'query_pos' | 'mid' | 'spawn_from' | 'spawn_add';
    const lastInputs = (g: Declares<LastInput>) => {
      const { h, ctx } = rowInputs(g, 'P');
      const queries = g.input('query_pos', 'float32', ['P', 'T']).unsqueeze([1]); // [P, 1, T]
      return {
        rows: { h, ctx: { bias: queries.unsqueeze([1]).matmul(ctx.bias), queries } },
        mid: g.input('mid', 'float32', ['N', H]),
        from: g.input('spawn_from', 'int64', ['S']),
        add: g.input('spawn_add', 'float32', ['S', F]),
      };
    };
    const spawned = (i: ReturnType<typeof lastInputs>, w: Weights) =>
      arch.feedForwardSublayer(cfg, i.mid.gather(i.from).unsqueeze([1]), replaceTap(i.add, mode), w)
        .h;
    const forward = signedGraph<'pathBlockLast'>('path_block_last');
    {
      const i = lastInputs(forward);
      const w = lazyWeights(forward.graph, blocks, opts.storage);
      const save: Tensor[][] = [[], []];
      const h = through(forward.graph, i.rows, undefined, w, { save });
      forward.output('h_out', ops.concat([h, spawned(i, w)], 0));
      forward.output('saved', ops.concat(save[0], 2));
      forward.output('saved_query', ops.concat(save[1], 2));
    }
    const vjp = signedGraph<'pathBlockLastVjp'>('path_block_last_vjp');
    {
      const i = lastInputs(vjp);
      const w = lazyWeights(vjp.graph, blocks, opts.storage);
      // The products' widths, from a forward built on a scratch graph.
      const probe = new Graph('saved_width_last');
      const p = lastInputs({ graph: probe, input: probe.input.bind(probe) });
      const widths: Tensor[][] = [[], []];
      through(probe, p.rows, undefined, lazyWeights(probe, blocks, opts.storage), {
        save: widths,
      });
      const width = (ts: Tensor[]) => ts.reduce((sum, t) => sum + (t.shape[2] as number), 0);
      const saved = vjp.input('saved', 'float32', ['P', 'T', width(widths[0])]);
      const savedQuery = vjp.input('saved_query', 'float32', ['P', 1, width(widths[1])]);
      const gOut = vjp.input('g_out', 'float32', ['P+S', 1, H]);
      const h = through(vjp.graph, i.rows, undefined, w, { recall: [saved, savedQuery] });
      const out = ops.concat([h, spawned(i, w)], 0);
      const [gH, gSpawn] = vjp.graph.grad(out, [i.rows.h, i.add], gOut);
      vjp.output('g_h', gH);
      vjp.output('g_spawn', gSpawn);
    }
    return { pathBlockLast: forward.graph, pathBlockLastVjp: vjp.graph };
  };

  if (arch.causal) {
    // The past inputs come right after h, bias (and the rope tables): GRAPH_IO's order.
    const forward = signedGraph<'pathBlockCached'>('path_block_cached');
    const vjp = signedGraph<'pathBlockCachedVjp'>('path_block_cached_vjp');
    const f = pathForward(forward, () => pastInputs(forward));
    forward.output('h_out', f.out);
    forward.output('saved', f.saved);
    const [gH, gSpawn] = pathVjp(vjp, () => pastInputs(vjp));
    vjp.output('g_h', gH);
    vjp.output('g_spawn', gSpawn);
    built.pathBlockCached = forward.graph;
    built.pathBlockCachedVjp = vjp.graph;
  } else {
    const forward = signedGraph<'pathBlock'>('path_block');
    const vjp = signedGraph<'pathBlockVjp'>('path_block_vjp');
    const f = pathForward(forward, () => undefined);
    forward.output('h_out', f.out);
    forward.output('saved', f.saved);
    const [gH, gSpawn] = pathVjp(vjp, () => undefined);
    vjp.output('g_h', gH);
    vjp.output('g_spawn', gSpawn);
    built.pathBlock = forward.graph;
    built.pathBlockVjp = vjp.graph;
    Object.assign(built, lastPathBlockGraphs());
  }

  const head = signedGraph<'head'>('head');
  {
    const h = head.input('h', 'float32', ['B', 'T', H]);
    const target = head.input('target_pos', 'float32', ['B', 'T']);
    const w = lazyWeights(head.graph, globals, opts.storage);
    const x = arch.headTransform(cfg, atPosition(h, target), w);
    let logits = ops.matmulT(x, decoderWeight(cfg, w));
    if (arch.decoderBias) logits = logits.add(w.decoder_b);
    head.output('log_probs', logits.logSoftmax(-1));
  }
  built.head = head.graph;

  const headVjp = signedGraph<'headVjp'>('head_vjp');
  {
    const h = headVjp.input('h', 'float32', ['B', 'T', H]);
    const target = headVjp.input('target_pos', 'float32', ['B', 'T']);
    const objects = headVjp.input('object_ids', 'int64', ['B']);
    const w = lazyWeights(headVjp.graph, globals, opts.storage);
    const x = arch.headTransform(cfg, atPosition(h, target), w);
    const decoder = decoderWeight(cfg, w);
    let logits = ops.matmulT(x, decoder);
    // The object's logit, read without a [B, V] one-hot: x . E[y] (+ b[y]).
    let objectLogit = x.mul(decoder.gather(objects)).sum([1]);
    if (arch.decoderBias) {
      logits = logits.add(w.decoder_b);
      objectLogit = objectLogit.add(w.decoder_b.gather(objects));
    }
    // P = exp(logit_y - lse), and dP/dx = P (E[y] - sum_v softmax_v E[v]). The softmax-weighted
    // decoder row is one product of the unnormalised exp(logits - max) [B, V] with E, divided by
    // its sum: no [B, V] tensor is written for the backward pass (autograd wrote two).
    const max = ops.stopGradient(ops.max(logits, [1], true));
    const e = ops.stopGradient(logits.sub(max).exp());
    const z = e.sum([1], true); // [B, 1]
    const prob = objectLogit.sub(z.log().add(max).squeeze([1])).exp();
    const expected = ops.stopGradient(e.matmul(decoder).div(z)); // [B, H]
    // dP/dx as the gradient of P (logit_y - x . expected) with P and expected held: samples are
    // independent, so the gradient of the sum is each sample's own gradient.
    const surrogate = ops
      .stopGradient(prob)
      .mul(objectLogit.sub(x.mul(expected).sum([1])))
      .sum();
    const [gH] = headVjp.graph.grad(surrogate, [h]);
    headVjp.output('prob', prob);
    headVjp.output('g_h', gH);
  }
  built.headVjp = headVjp.graph;
  return built;
}
