/**
 * The graphs the engine runs for a model (see docs/design.md). Weights are graph inputs,
 * declared lazily so each graph asks only for the weights it reads.
 */
import { type DType, type Dim, Graph, type Tensor, ops } from '../graph';
import type { ModelConfig } from '../weights/types';
import type { Architecture } from './architecture';
import {
  type BlockContext,
  type Tap,
  type TapMode,
  type WeightSpec,
  type Weights,
  atPosition,
  objectLogProb,
} from './common';
import { llamaParams } from './rope';

export interface GraphOptions {
  /** Where the tap sits (default: after the activation). */
  tapMode?: TapMode;
}

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
   * The staggered schedule's block: h [P, T, H] whose row 0 is the unedited run, bias, tap_pos,
   * spawn_add [S, F] -> h_out [P + S, T, H]: the P rows pass through unedited, and S new rows
   * start from row 0's input with the tapped value replaced by spawn_add.
   */
  blockGrow: { inputs: ['h', 'bias', 'tap_pos', 'spawn_add'], outputs: ['h_out'] },
  /** blockGrow's inputs + g_out [P + S, T, H] -> g_h [P, T, H], g_spawn = dP/d spawn_add [S, F] */
  blockGrowVjp: {
    inputs: ['h', 'bias', 'tap_pos', 'spawn_add', 'g_out'],
    outputs: ['g_h', 'g_spawn'],
  },
  /** h [B, T, H], target_pos [1, T] -> log_probs [B, V] */
  head: { inputs: ['h', 'target_pos'], outputs: ['log_probs'] },
  /** h, target_pos, object_ids [B] -> prob [B], g_h = dP/dh [B, T, H] */
  headVjp: { inputs: ['h', 'target_pos', 'object_ids'], outputs: ['prob', 'g_h'] },
} as const;

/**
 * The inputs every block graph (block, blockVjp, blockGrow, blockGrowVjp) of a rotary model
 * (LLaMA family) also takes, right after `bias`: cos and sin of position x inverse frequency,
 * [T, head_dim] (src/arch/rope.ts computes them per prompt).
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

export type ModelGraphs = Record<GraphName, Graph>;

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

/** A block graph: declares bias and tap_pos, and the rope tables of a rotary model. */
type BlockGraph<N extends string> = Declares<N | 'h' | 'bias' | 'tap_pos'>;

/** A record whose properties become graph inputs the first time they are read. */
function lazyWeights(g: Graph, specs: WeightSpec[]): Weights {
  const byName = new Map(specs.map((s) => [s.input, s]));
  const made = new Map<string, Tensor>();
  return new Proxy({} as Weights, {
    get(_t, name: string) {
      let t = made.get(name);
      if (!t) {
        const spec = byName.get(name);
        if (!spec) throw new Error(`graph ${g.name} reads weight '${name}', which has no spec`);
        made.set(name, (t = g.input(name, 'float32', spec.shape)));
      }
      return t;
    },
  });
}

function blockInputs(arch: Architecture, g: BlockGraph<never>, cfg: ModelConfig, rows: string) {
  const h = g.input('h', 'float32', [rows, 'T', cfg.hiddenSize]);
  const ctx: BlockContext = { bias: g.input('bias', 'float32', [1, 1, 'T', 'T']) };
  if (arch.rotary) {
    const d = llamaParams(cfg).headDim;
    // The rotary inputs are not in GRAPH_IO's lists (only rotary models have them).
    const [cos, sin] = ROTARY_INPUTS.map((name) => g.graph.input(name, 'float32', ['T', d]));
    ctx.rope = { cos, sin };
  }
  const position = g.input('tap_pos', 'float32', [1, 'T']);
  return { h, ctx, position };
}

/** blockGrow's body: unedited rows plus S rows spawned from row 0 with the tap replaced. */
function growBlock(
  arch: Architecture,
  cfg: ModelConfig,
  g: BlockGraph<'spawn_add'>,
  opts: GraphOptions,
  w: Weights,
) {
  const F = cfg.intermediateSize;
  const { h, ctx, position } = blockInputs(arch, g, cfg, 'P');
  const spawnAdd = g.input('spawn_add', 'float32', ['S', F]);
  // The spawned rows share row 0's input; no gradient flows back into row 0 through them.
  const spawned = ops.expandRows(h.slice(0, 0, 1).stopGradient(), spawnAdd);
  const ones = g.graph.constant(new Float32Array(F).fill(1), [1, F]);
  const zeros = g.graph.constant(new Float32Array(F), [1, F]);
  const tap: Tap = {
    position,
    mul: ops.concat([ops.expandRows(ones, h), ops.expandRows(zeros, spawnAdd)], 0),
    add: ops.concat([ops.expandRows(zeros, h), spawnAdd], 0),
    mode: opts.tapMode ?? 'post-activation',
  };
  const out = arch.block(cfg, ops.concat([h, spawned], 0), ctx, tap, w);
  return { h, spawnAdd, out: out.h };
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

  const embed = signedGraph<'embed'>('embed');
  {
    const ids = embed.input('ids', 'int64', ['B', 'T']);
    const positions = embed.input('positions', 'int64', ['B', 'T']);
    embed.output('h_out', arch.embed(cfg, ids, positions, lazyWeights(embed.graph, globals)));
  }

  const plainBlock = (g: BlockGraph<'tap_mul' | 'tap_add'>) => {
    const { h, ctx, position } = blockInputs(arch, g, cfg, 'B');
    const F = cfg.intermediateSize;
    const tap: Tap = {
      position,
      mul: g.input('tap_mul', 'float32', ['B', F]),
      add: g.input('tap_add', 'float32', ['B', F]),
      mode: opts.tapMode ?? 'post-activation',
    };
    return { h, tap, out: arch.block(cfg, h, ctx, tap, lazyWeights(g.graph, blocks)) };
  };

  const block = signedGraph<'block'>('block');
  {
    const { out } = plainBlock(block);
    block.output('h_out', out.h);
    block.output('tap_found', out.found!);
  }

  const blockVjp = signedGraph<'blockVjp'>('block_vjp');
  {
    const { h, tap, out } = plainBlock(blockVjp);
    const gOut = blockVjp.input('g_out', 'float32', ['B', 'T', cfg.hiddenSize]);
    const [gH, gTap] = blockVjp.graph.grad(out.h, [h, tap.add], gOut);
    blockVjp.output('g_h', gH);
    blockVjp.output('g_tap', gTap);
  }

  const blockGrow = signedGraph<'blockGrow'>('block_grow');
  {
    const { out } = growBlock(arch, cfg, blockGrow, opts, lazyWeights(blockGrow.graph, blocks));
    blockGrow.output('h_out', out);
  }

  const blockGrowVjp = signedGraph<'blockGrowVjp'>('block_grow_vjp');
  {
    const { h, spawnAdd, out } = growBlock(
      arch,
      cfg,
      blockGrowVjp,
      opts,
      lazyWeights(blockGrowVjp.graph, blocks),
    );
    const gOut = blockGrowVjp.input('g_out', 'float32', [...out.shape]);
    const [gH, gSpawn] = blockGrowVjp.graph.grad(out, [h, spawnAdd], gOut);
    blockGrowVjp.output('g_h', gH);
    blockGrowVjp.output('g_spawn', gSpawn);
  }

  const head = signedGraph<'head'>('head');
  {
    const h = head.input('h', 'float32', ['B', 'T', cfg.hiddenSize]);
    const target = head.input('target_pos', 'float32', [1, 'T']);
    const w = lazyWeights(head.graph, globals);
    const x = arch.headTransform(cfg, atPosition(h, target), w);
    let logits = ops.matmulT(x, decoderWeight(cfg, w));
    if (arch.decoderBias) logits = logits.add(w.decoder_b);
    head.output('log_probs', logits.logSoftmax(-1));
  }

  const headVjp = signedGraph<'headVjp'>('head_vjp');
  {
    const h = headVjp.input('h', 'float32', ['B', 'T', cfg.hiddenSize]);
    const target = headVjp.input('target_pos', 'float32', [1, 'T']);
    const objects = headVjp.input('object_ids', 'int64', ['B']);
    const w = lazyWeights(headVjp.graph, globals);
    const x = arch.headTransform(cfg, atPosition(h, target), w);
    const decoder = decoderWeight(cfg, w);
    let logits = ops.matmulT(x, decoder);
    // The object's logit, read without a [B, V] one-hot: x . E[y] (+ b[y]).
    let objectLogit = x.mul(decoder.gather(objects)).sum([1]);
    if (arch.decoderBias) {
      logits = logits.add(w.decoder_b);
      objectLogit = objectLogit.add(w.decoder_b.gather(objects));
    }
    const prob = objectLogProb(logits, objectLogit).exp();
    // Samples are independent, so the gradient of the sum is each sample's own gradient.
    const [gH] = headVjp.graph.grad(prob.sum(), [h]);
    headVjp.output('prob', prob);
    headVjp.output('g_h', gH);
  }

  return {
    embed: embed.graph,
    block: block.graph,
    blockVjp: blockVjp.graph,
    blockGrow: blockGrow.graph,
    blockGrowVjp: blockGrowVjp.graph,
    head: head.graph,
    headVjp: headVjp.graph,
  };
}
