/**
 * How fast this device runs the loaded model: a few timed block evaluations (forward, backward)
 * and head evaluations at a typical batch, taken once per model and backend. Estimates
 * multiply the engine's own counts (estimateCounts) by these timings.
 */
import {
  type ModelShape,
  type PromptLayout,
  type ScheduleOptions,
  planRun,
} from '../attribution/schedule';
import type { AttributionSettings } from '../attribution/settings';
import { type BlockCounts, Executor, type Model } from '../model';
import type { Benchmark } from './api';

/** Batch rows and tokens the timings are taken at: a mid-sized staggered batch. */
const ROWS = 32;
const TOKENS = 16;
const REPEATS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Times block 0 forward and backward and the head's VJP at ROWS x TOKENS, after a warm-up. */
export async function benchmarkModel(
  model: Model,
  now: () => number = () => performance.now(),
): Promise<Benchmark> {
  const T = Math.min(TOKENS, model.config.maxPositions);
  const R = ROWS;
  const F = model.numUnits;
  const exec = await Executor.create(model);
  try {
    const ids = BigInt64Array.from({ length: R * T }, (_, i) => BigInt(i % model.config.vocabSize));
    const positions = BigInt64Array.from({ length: R * T }, (_, i) =>
      BigInt((i % T) + model.config.positionOffset),
    );
    const h = await exec.embed(ids, positions, R);
    const ctx = exec.context(T, [T - 1]);
    const mul = exec.input(new Float32Array(R * F).fill(1), [R, F]);
    const add = exec.input(new Float32Array(R * F), [R, F]);
    const objects = exec.input(new BigInt64Array(R), [R]);
    const timed = async (step: () => Promise<void>) => {
      await step(); // the first run compiles kernels (WebGPU shaders) and sizes buffers
      const times: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const t0 = now();
        await step();
        times.push(now() - t0);
      }
      return median(times) / 1000 / R;
    };
    // Each step reads its result back, as attribution does, so the time includes the GPU's work.
    const forwardSeconds = await timed(async () => {
      const out = await exec.block(0, h, ctx, mul, add);
      await exec.read(out.found);
      exec.free(out.h, out.found);
    });
    const backwardSeconds = await timed(async () => {
      const out = await exec.blockVjp(0, h, ctx, mul, add, h);
      await exec.read(out.gTap);
      exec.free(out.gH, out.gTap);
    });
    const headSeconds = await timed(async () => {
      const out = await exec.headVjp(h, exec.oneHot(Array<number>(R).fill(T - 1), T), objects);
      await exec.read(out.prob);
      exec.free(out.prob, out.gH);
    });
    exec.free(h);
    return {
      backend: model.runtime.info.backend,
      forwardSeconds,
      backwardSeconds,
      headSeconds,
      rows: R,
      tokens: T,
    };
  } finally {
    exec.dispose();
  }
}

/**
 * Block evaluations, token-block evaluations and seconds for one prompt: the engine's own plan
 * of the run (every call it will make), priced per position through a block and per head row.
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
  const counts = plan.counts[0];
  const headRows = plan.calls
    .filter((c) => c.graph === 'head' || c.graph === 'headVjp')
    .reduce((n, c) => n + c.rows, 0);
  // The benchmark times rows of b.tokens positions: a position through a block costs 1/b.tokens.
  const seconds =
    (counts.forwardTokens * b.forwardSeconds + counts.backwardTokens * b.backwardSeconds) /
      b.tokens +
    headRows * b.headSeconds;
  return { counts, seconds };
}
