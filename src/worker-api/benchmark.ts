/**
 * How fast this device runs the loaded model: block 0 forward and backward and the head's VJP,
 * each timed at one row and at ROWS rows of TOKENS positions, taken once per model and backend.
 * The two sizes separate a call's fixed cost from its cost per unit of work: small maps run many
 * small calls, where the fixed cost is most of the time. Estimates price the engine's own plan
 * of a run (planRun), call by call, with these costs.
 */
import {
  type ModelShape,
  type PlannedCall,
  type PromptLayout,
  type ScheduleOptions,
  planRun,
} from '../attribution/schedule';
import type { AttributionSettings } from '../attribution/settings';
import { type BlockCounts, Executor, type Model } from '../model';
import type { Benchmark, CallCost } from './api';

/** Batch rows and tokens of the probe's large size: a mid-sized staggered batch. */
const ROWS = 32;
const TOKENS = 16;
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
    case 'pathBlockVjp':
    case 'pathBlockLastVjp':
      // The probe's VJP recomputes its block's forward; a path block's recalls the products its
      // forward saved, so it costs the VJP less a forward, and at least a forward's products.
      return (
        b.backward.call +
        (call.tokens + (call.keyValueTokens ?? 0)) *
          Math.max(b.backward.unit - b.forward.unit, b.forward.unit)
      );
    case 'spawnVjp':
    case 'blockVjp':
      return b.backward.call + call.tokens * b.backward.unit;
    case 'embed':
      // A lookup: its fixed cost only.
      return b.forward.call;
    default:
      return b.forward.call + (call.tokens + (call.keyValueTokens ?? 0)) * b.forward.unit;
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

/** Times block 0 forward and backward and the head's VJP at 1 and ROWS rows, after a warm-up. */
export async function benchmarkModel(
  model: Model,
  now: () => number = () => performance.now(),
): Promise<Benchmark> {
  const T = Math.min(TOKENS, model.config.maxPositions);
  const F = model.numUnits;
  const exec = await Executor.create(model);
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
          const out = await exec.block(0, h, ctx, mul, add);
          await exec.read(out.found);
          exec.free(out.h, out.found);
        },
        backward: async () => {
          const out = await exec.blockVjp(0, h, ctx, mul, add, h);
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
    const one = await steps(1);
    const many = await steps(ROWS);
    /**
     * A graph's cost: both sizes warmed up (the first run compiles kernels and sizes buffers),
     * then timed in turn, so that a change in the machine's load reaches both alike.
     */
    const fit = async (k: 'forward' | 'backward' | 'head', perRow: number): Promise<CallCost> => {
      await one[k]();
      await many[k]();
      const small: number[] = [];
      const large: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        let t0 = now();
        await one[k]();
        small.push(now() - t0);
        t0 = now();
        await many[k]();
        large.push(now() - t0);
      }
      return fitCost(
        { units: perRow, seconds: median(small) / 1000 },
        { units: ROWS * perRow, seconds: median(large) / 1000 },
      );
    };
    const costs = {
      forward: await fit('forward', T),
      backward: await fit('backward', T),
      head: await fit('head', 1),
    };
    exec.free(one.h, many.h);
    return {
      backend: model.runtime.info.backend,
      ...costs,
      rows: ROWS,
      tokens: T,
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
