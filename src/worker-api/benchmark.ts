/**
 * How fast this device runs the loaded model: a few timed block evaluations (forward, backward)
 * and head evaluations at a typical batch, taken once per model and backend. Estimates
 * multiply the engine's own counts (estimateCounts) by these timings.
 */
import {
  type ModelShape,
  type Schedule,
  type ScheduleOptions,
  estimateCounts,
} from '../attribution/attribute';
import {
  type AttributionMethod,
  type AttributionSettings,
  resolveSettings,
  takesSteps,
} from '../attribution/settings';
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
      const out = await exec.headVjp(h, ctx.tapPos, objects);
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

/** Rows that go through the head in one attribution of one object token. */
function headRows(
  layers: number,
  method: AttributionMethod,
  steps: number,
  schedule: Schedule,
): number {
  if (!takesSteps(method)) return 1;
  if (schedule === 'per-layer') return layers * (1 + steps);
  return 1 + layers * steps;
}

/** Block evaluations and seconds for one prompt of `tokens` tokens and `passes` object tokens. */
export function estimatePrompt(
  b: Benchmark,
  shape: ModelShape,
  tokens: number,
  passes: number,
  settings: Partial<AttributionSettings>,
  opts: ScheduleOptions = {},
): { counts: BlockCounts; seconds: number } {
  const schedule = opts.schedule ?? 'staggered';
  const { method, steps } = resolveSettings(settings);
  const counts = estimateCounts(shape, tokens, passes, settings, { ...opts, schedule });
  // Block cost grows with the tokens each sample carries; the head reads one position per row.
  const scale = tokens / b.tokens;
  const seconds =
    scale * (counts.forward * b.forwardSeconds + counts.backward * b.backwardSeconds) +
    passes * headRows(shape.numLayers, method, steps, schedule) * b.headSeconds;
  return { counts, seconds };
}
