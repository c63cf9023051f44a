/**
 * How fast this device runs the loaded model: a block's forward and backward, each timed at one
 * row and at a per-layer pass's rows (probeBlockRows) of TOKENS positions, the head's VJP at one
 * and HEAD_ROWS rows, and the staggered schedule's path block forward and VJP as the run calls
 * them (a causal model's rows one position each, against cached keys; a masked LM's rows of
 * TOKENS positions), at one row and at a typical call's rows (probePathRows); taken once per
 * model and backend. The two sizes separate a call's fixed cost from its cost per unit of work:
 * small maps run many small calls, where the fixed cost is most of the time. Each timed call
 * runs the next block's weights, as a run does (the same block again and again finds its weights
 * in the cache). Estimates price the engine's own plan of a run (planRun), call by call, with the
 * costs of the graph each call runs.
 */
import {
  type ModelShape,
  type PlannedCall,
  type PromptLayout,
  type ScheduleOptions,
  defaultMaxRows,
  planRun,
} from '../attribution/schedule';
import { type AttributionSettings, DEFAULT_SETTINGS } from '../attribution/settings';
import { type BlockCounts, Executor, type Model, type SpawnFeeds } from '../model';
import type { Benchmark, CallCost } from './api';

/** Positions of a probed block row; rows through the head at the head's large size. */
const TOKENS = 16;
const HEAD_ROWS = 32;
/**
 * Block rows of the probe's large size: the rows of a per-layer pass (its path points, as many
 * as fit the memory budget), which the staggered setup's calls (a prompt's baseline rows) do not
 * exceed on a typical prompt. A cost per position fitted up to much larger calls prices these
 * calls by products they never form.
 */
export function probeBlockRows(shape: ModelShape, tokens: number): number {
  const steps = DEFAULT_SETTINGS.steps;
  return Math.max(2, Math.min(steps, defaultMaxRows(shape, tokens, steps)));
}
/**
 * Path rows of the probe's large size: what a path block call of a typical run carries, half the
 * rows of a full pass (a pass's blocks carry from none to all of them). A per-row cost measured at
 * a much larger size is cheaper than the run's calls get (larger products run faster per row).
 */
export function probePathRows(shape: ModelShape, causal: boolean, tokens: number): number {
  return Math.max(
    2,
    Math.floor(defaultMaxRows(shape, causal ? 1 : tokens, DEFAULT_SETTINGS.steps) / 2),
  );
}
const REPEATS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * The line through two timings, (units, seconds) at a small and a large size: seconds per call
 * and per unit. Timing noise can tilt it; neither part is allowed below zero (a negative fixed
 * cost puts the whole time on the units, a negative slope puts it on the call).
 */
export function fitCost(
  small: { units: number; seconds: number },
  large: { units: number; seconds: number },
): CallCost {
  const unit = (large.seconds - small.seconds) / (large.units - small.units);
  if (!(unit > 0)) return { call: Math.max(small.seconds, large.seconds), unit: 0 };
  const call = small.seconds - unit * small.units;
  if (call < 0) return { call: 0, unit: large.seconds / large.units };
  return { call, unit };
}

/** Seconds of one planned call. */
export function callSeconds(b: Benchmark, call: PlannedCall): number {
  switch (call.graph) {
    case 'head':
    case 'headVjp':
      return b.head.call + call.rows * b.head.unit;
    case 'pathBlock':
    case 'pathBlockLast':
      return b.path.call + (call.tokens + (call.keyValueTokens ?? 0)) * b.path.unit;
    case 'pathBlockVjp':
    case 'pathBlockLastVjp':
      return b.pathBackward.call + (call.tokens + (call.keyValueTokens ?? 0)) * b.pathBackward.unit;
    case 'spawnVjp':
    case 'blockVjp':
      return b.backward.call + call.tokens * b.backward.unit;
    case 'embed':
      // A lookup: its fixed cost only.
      return b.forward.call;
    default:
      return b.forward.call + call.tokens * b.forward.unit;
  }
}

/** Seconds of `rows` forward passes of `tokens` positions through every block and the head. */
export function forwardSeconds(b: Benchmark, layers: number, rows: number, tokens: number): number {
  return (
    b.forward.call * (layers + 1) +
    layers * rows * tokens * b.forward.unit +
    b.head.call +
    rows * b.head.unit
  );
}

/** Times each graph at its two sizes, after a warm-up (see the top of this file). */
export async function benchmarkModel(
  model: Model,
  now: () => number = () => performance.now(),
): Promise<Benchmark> {
  const T = Math.min(TOKENS, model.config.maxPositions);
  const F = model.numUnits;
  const L = model.numLayers;
  const exec = await Executor.create(model);
  /** The block each timed call runs: the next one, round the model. */
  let layer = 0;
  const nextBlock = () => (layer = (layer + 1) % L);
  try {
    /** The three graphs' steps at R rows of T positions, and what to free after. */
    const steps = async (R: number) => {
      const ids = BigInt64Array.from({ length: R * T }, (_, i) =>
        BigInt(i % model.config.vocabSize),
      );
      const positions = BigInt64Array.from({ length: R * T }, (_, i) =>
        BigInt((i % T) + model.config.positionOffset),
      );
      const h = await exec.embed(ids, positions, R);
      const ctx = exec.context(T, [T - 1]);
      const mul = exec.input(new Float32Array(R * F).fill(1), [R, F]);
      const add = exec.input(new Float32Array(R * F), [R, F]);
      const objects = exec.input(new BigInt64Array(R), [R]);
      const target = exec.oneHot(Array<number>(R).fill(T - 1), T);
      // Each step reads its result back, as attribution does, so the time includes the GPU's.
      return {
        h,
        forward: async () => {
          const out = await exec.block(nextBlock(), h, ctx, mul, add);
          await exec.read(out.found);
          exec.free(out.h, out.found);
        },
        backward: async () => {
          const out = await exec.blockVjp(nextBlock(), h, ctx, mul, add, h);
          await exec.read(out.gTap);
          exec.free(out.gH, out.gTap);
        },
        head: async () => {
          const out = await exec.headVjp(h, target, objects);
          await exec.read(out.prob);
          exec.free(out.prob, out.gH);
        },
      };
    };
    const causal = model.arch.causal;
    /**
     * A path block's forward and VJP at R carried rows and one spawned row (block 0's setup; the
     * calls run every block's weights in turn, which take the same inputs),
     * as the staggered schedule runs them: a clean row of T positions through the setup gives
     * the anchor's base and mid (and a causal model's cached keys); the carried rows are T
     * positions each (masked) or one position attending to the cached T (causal).
     */
    const pathSteps = async (R: number) => {
      const clean = await exec.embed(
        BigInt64Array.from({ length: T }, (_, i) => BigInt(i % model.config.vocabSize)),
        BigInt64Array.from({ length: T }, (_, i) => BigInt(i + model.config.positionOffset)),
        1,
      );
      const ctx = exec.context(T, [T - 1]);
      const int64 = (xs: number[]) => BigInt64Array.from(xs.map(BigInt));
      const setup = await exec.setup(
        0,
        clean,
        ctx.attention,
        {
          read: exec.input(int64([0, T - 1]), [1, 2]),
          base: exec.input(
            int64(causal ? [0, T - 1] : Array.from({ length: T }, (_, t) => [0, t]).flat()),
            [1, causal ? 1 : T, 2],
          ),
          cache: causal
            ? exec.input(int64(Array.from({ length: T }, (_, t) => [0, t]).flat()), [T, 2])
            : undefined,
        },
        1,
      );
      const P = causal ? 1 : T; // positions per carried row
      const rows = await exec.embed(
        BigInt64Array.from({ length: R * P }, (_, i) => BigInt(i % model.config.vocabSize)),
        BigInt64Array.from({ length: R * P }, (_, i) =>
          BigInt((causal ? T - 1 : i % P) + model.config.positionOffset),
        ),
        R,
      );
      const bias = exec.input(new Float32Array(P * P), [1, 1, P, P]);
      const attention = causal
        ? exec.attention(bias, Array<number>(R).fill(T - 1 + model.config.positionOffset), R)
        : { bias };
      const past = setup.cache
        ? {
            past_k: setup.cache.k,
            past_v: setup.cache.v,
            past_bias: exec.input(new Float32Array(R * T), [R, 1, 1, T]),
          }
        : undefined;
      const spawn: SpawnFeeds = {
        base: setup.base,
        mid: setup.mid,
        tap_pos: exec.oneHot([P - 1], P),
        spawn_from: exec.input(int64([0]), [1]),
        spawn_add: exec.input(new Float32Array(F), [1, F]),
      };
      const kept = await exec.pathBlock(0, rows, attention, spawn, past);
      const free = () =>
        exec.free(clean, setup.h_out, setup.found, setup.mid, setup.base, rows, kept.h, kept.saved);
      return {
        free,
        forward: async () => {
          const out = await exec.pathBlock(nextBlock(), rows, attention, spawn, past);
          await exec.read(out.h);
          exec.free(out.h, out.saved);
        },
        backward: async () => {
          const out = await exec.pathBlockVjp(
            nextBlock(),
            rows,
            attention,
            spawn,
            kept.saved,
            kept.h,
            past,
          );
          await exec.read(out.gSpawn);
          exec.free(out.gH, out.gSpawn);
        },
      };
    };
    const blockRows = probeBlockRows(model.config, T);
    const one = await steps(1);
    // Every block once before any timing: a block's weights run for the first time fault their
    // pages in (a loaded model's memory is touched lazily), which a run pays once, not per call.
    for (let l = 0; l < L; l++) await one.forward();
    const many = await steps(blockRows);
    const heads = await steps(HEAD_ROWS);
    const pathRows = probePathRows(model.config, causal, T);
    const pathOne = await pathSteps(1);
    const pathMany = await pathSteps(pathRows);
    /**
     * A graph's cost: both sizes warmed up (the first run compiles kernels and sizes buffers),
     * then timed in turn, so that a change in the machine's load reaches both alike.
     */
    const fit = async (
      small: () => Promise<void>,
      large: () => Promise<void>,
      units: { small: number; large: number },
    ): Promise<CallCost> => {
      await small();
      await large();
      const ts: number[] = [];
      const tl: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        let t0 = now();
        await small();
        ts.push(now() - t0);
        t0 = now();
        await large();
        tl.push(now() - t0);
      }
      return fitCost(
        { units: units.small, seconds: median(ts) / 1000 },
        { units: units.large, seconds: median(tl) / 1000 },
      );
    };
    const block = { small: T, large: blockRows * T };
    // A path call's work: its carried rows' positions and the spawned row.
    const perRow = causal ? 1 : T;
    const path = { small: perRow + 1, large: pathRows * perRow + 1 };
    const costs = {
      forward: await fit(one.forward, many.forward, block),
      backward: await fit(one.backward, many.backward, block),
      head: await fit(one.head, heads.head, { small: 1, large: HEAD_ROWS }),
      path: await fit(pathOne.forward, pathMany.forward, path),
      pathBackward: await fit(pathOne.backward, pathMany.backward, path),
    };
    exec.free(one.h, many.h, heads.h);
    pathOne.free();
    pathMany.free();
    return {
      backend: model.runtime.info.backend,
      ...costs,
      rows: blockRows,
      headRows: HEAD_ROWS,
      tokens: T,
      pathRows,
    };
  } finally {
    exec.dispose();
  }
}

/**
 * Block evaluations, token-block evaluations and seconds for one prompt: the engine's own plan
 * of the run (every call it will make), each call priced by its fixed cost and its work.
 */
export function estimatePrompt(
  b: Benchmark,
  shape: ModelShape,
  causal: boolean,
  prompt: PromptLayout,
  settings: Partial<AttributionSettings>,
  opts: ScheduleOptions = {},
): { counts: BlockCounts; seconds: number } {
  const plan = planRun(shape, causal, [prompt], settings, opts);
  const seconds = plan.calls.reduce((t, call) => t + callSeconds(b, call), 0);
  return { counts: plan.counts[0], seconds };
}
