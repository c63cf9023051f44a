/**
 * Attribution of an object's probability to every FFN neuron (layer, unit): AMIG (default),
 * Dai et al.'s integrated gradients, and gradient x activation. See docs/method.md and
 * docs/design.md for the schedule.
 */
import type { Tensor } from 'onnxruntime-common';
import type { ModelConfig } from '../weights/types';
import { type BlockCounts, Executor, type Model, type RunContext, type TapMode } from '../model';
import { type EncodedPrompt, type MultiTokenMode, type ObjectSlot, encodePrompt } from './prompt';
import {
  type AttributionMethod,
  type AttributionSettings,
  type ScoreMode,
  checkTapMode,
  resolveSettings,
  takesSteps,
} from './settings';

/**
 * 'staggered' (default): every layer's path shares each block evaluation (docs/design.md).
 * 'per-layer': the authors' schedule, each layer's path run through the whole model; kept to
 * benchmark against and to check that both give the same scores.
 */
export type Schedule = 'staggered' | 'per-layer';

/** How the engine schedules a run: its speed and device memory, never its scores. */
export interface ScheduleOptions {
  schedule?: Schedule;
  /** Rows one pass may hold; larger paths are split into several passes. */
  maxRows?: number;
}

/** Block evaluations done and planned (forward and backward together). */
export interface BlockProgress {
  done: number;
  total: number;
}

/** Cancellation and progress of one call. */
export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (p: BlockProgress) => void;
}

export interface SlotAttribution {
  position: number;
  token: string;
  /** The token as text, for display (absent in results cached before it was kept). */
  text?: string;
  tokenId: number;
  /** P(token) at its slot in the unedited model. */
  probability: number;
}

export interface AttributionResult {
  model: string;
  method: AttributionMethod;
  steps: number;
  score: ScoreMode;
  tapMode: TapMode;
  multiToken: MultiTokenMode;
  prompt: string;
  object: string;
  layers: number;
  units: number;
  /** layers x units, row-major: scores[l * units + i]. */
  scores: Float32Array;
  /** The tapped activation at the target position (mean over object tokens), layers x units. */
  activations: Float32Array;
  /** 'mask-mean' / 'eos-mean' (AMIG), 'zero' (IG), 'none' (grad-x-act). */
  baseline: 'mask-mean' | 'eos-mean' | 'zero' | 'none';
  tokens: string[];
  /** The prompt's tokens as text, for display (absent in results cached before it was kept). */
  texts?: string[];
  slots: SlotAttribution[];
  /** P(object): the product of the per-token probabilities. */
  probability: number;
  counts: BlockCounts;
  warnings: string[];
}

/** A run's schedule, with the memory budget filled in. */
interface Plan {
  schedule: Schedule;
  maxRows: number;
}

/** Path points as fractions of the way from the baseline to the activation (method with a path). */
function alphas(method: AttributionMethod, m: number): number[] {
  // AMIG: left Riemann sum k/m, k = 0..m-1. Dai et al.: k/(m-1), both ends included.
  if (method === 'amig') return Array.from({ length: m }, (_, k) => k / m);
  return m === 1 ? [1] : Array.from({ length: m }, (_, k) => k / (m - 1));
}

/** The dimensions that decide a run's cost. */
export type ModelShape = Pick<
  ModelConfig,
  'numLayers' | 'hiddenSize' | 'intermediateSize' | 'vocabSize'
>;

/**
 * Rows one staggered pass may hold by default: the activations of a block's backward pass (the
 * FFN's [rows, T, F] tensors dominate) must fit in a quarter of the weights' size (at least
 * 64 MiB), so device memory stays within 1.3x the weights; at least one point per layer.
 */
export function defaultMaxRows(shape: ModelShape, seqLen: number, steps: number): number {
  const { numLayers: L, hiddenSize: H, intermediateSize: F, vocabSize: V } = shape;
  const weightBytes = 4 * (L * (4 * H * H + 2 * H * F) + V * H);
  const budget = Math.max(64 * 2 ** 20, weightBytes / 4);
  // Live float32 tensors per row: in a block VJP about 6 of width F and 12 of width H per
  // token; in the head's VJP about 4 of width V (logits, softmax and their gradients).
  const rowBytes = 4 * (seqLen * (6 * F + 12 * H) + 4 * V);
  return Math.max(1 + L, Math.min(1 + L * steps, Math.floor(budget / rowBytes)));
}

/** Block evaluations a run will execute, for estimates before it starts. */
export function estimateCounts(
  shape: ModelShape,
  seqLen: number,
  slots: number,
  settings: Partial<AttributionSettings> = {},
  opts: ScheduleOptions = {},
): BlockCounts {
  const { method, steps: m } = resolveSettings(settings);
  const L = shape.numLayers;
  if (!takesSteps(method)) return { forward: slots * L, backward: slots * L };
  const baselineRows = method === 'amig' ? seqLen : 0;
  const setup = (1 + baselineRows) * L;
  if (opts.schedule === 'per-layer') {
    // Per layer: a clean pass, then m rows through all L blocks and back down to the layer.
    const fwd = setup + L * L * (1 + m);
    const bwd = (m * L * (L + 1)) / 2;
    return { forward: slots * fwd, backward: slots * bwd };
  }
  const maxRows = opts.maxRows ?? defaultMaxRows(shape, seqLen, m);
  const chunk = Math.max(1, Math.floor((maxRows - 1) / L));
  const passes = Math.ceil(m / chunk);
  const path = passes * L + (m * L * (L + 1)) / 2;
  return { forward: slots * (setup + path), backward: slots * path };
}

/** Attributes P(object | prompt) to every FFN neuron. */
export async function attribute(
  model: Model,
  prompt: string,
  object: string,
  settings: Partial<AttributionSettings> = {},
  options: ScheduleOptions & CallOptions = {},
): Promise<AttributionResult> {
  const s = resolveSettings(settings);
  checkTapMode(model.config.family, model.config.modelType, s.tapMode);
  if (options.maxRows !== undefined && options.maxRows < 1 + model.numLayers)
    throw new RangeError(
      `maxRows must be at least ${1 + model.numLayers} (one step for every layer)`,
    );
  const enc = encodePrompt(model.config, model.tokenizer, prompt, object, s.multiToken);
  const plan: Plan = {
    schedule: options.schedule ?? 'staggered',
    maxRows: options.maxRows ?? defaultMaxRows(model.config, enc.ids.length, s.steps),
  };
  const exec = await Executor.create(model, s.tapMode);
  const L = model.numLayers;
  const F = model.numUnits;
  const total = enc.slots.length;
  const estimate = estimateCounts(model.config, enc.ids.length, total, s, plan);
  const progress = () => {
    options.signal?.throwIfAborted();
    options.onProgress?.({
      done: exec.counts.forward + exec.counts.backward,
      total: estimate.forward + estimate.backward,
    });
  };
  try {
    const scores = new Float32Array(L * F);
    const activations = new Float32Array(L * F);
    const slots: SlotAttribution[] = [];
    for (const slot of enc.slots) {
      const r = await attributeSlot(exec, enc, slot, s, plan, progress);
      // Per-token maps are averaged; the reference mode sums them.
      const w = s.multiToken === 'reference' ? 1 : 1 / enc.slots.length;
      for (let i = 0; i < L * F; i++) {
        scores[i] += w * r.scores[i];
        activations[i] += r.activations[i] / enc.slots.length;
      }
      slots.push({
        position: slot.position,
        token: slot.token,
        text: slot.text,
        tokenId: slot.tokenId,
        probability: r.probability,
      });
    }
    return {
      model: model.id,
      method: s.method,
      steps: s.steps,
      score: s.score,
      tapMode: s.tapMode,
      multiToken: s.multiToken,
      prompt,
      object,
      layers: L,
      units: F,
      scores,
      activations,
      baseline:
        s.method === 'amig'
          ? model.config.family === 'bert'
            ? 'mask-mean'
            : 'eos-mean'
          : s.method === 'ig'
            ? 'zero'
            : 'none',
      tokens: enc.tokens,
      texts: enc.texts,
      slots,
      probability: slots.reduce((p, s) => p * s.probability, 1),
      counts: { ...exec.counts },
      warnings: enc.warnings,
    };
  } finally {
    exec.dispose();
  }
}

interface SlotResult {
  scores: Float32Array;
  activations: Float32Array;
  probability: number;
}

async function attributeSlot(
  exec: Executor,
  enc: EncodedPrompt,
  slot: ObjectSlot,
  s: AttributionSettings,
  plan: Plan,
  progress: () => void,
): Promise<SlotResult> {
  const L = exec.model.numLayers;
  const F = exec.model.numUnits;
  const ctx = exec.context(enc.ids.length, [slot.position]);
  if (!takesSteps(s.method)) return gradTimesActivation(exec, enc, slot, ctx, progress);

  const { a, b } = await activationsAndBaseline(
    exec,
    enc,
    slot,
    s.method === 'amig',
    ctx,
    progress,
  );
  const base = s.method === 'amig' ? b : new Float32Array(L * F);
  const points = alphas(s.method, s.steps);
  const run = plan.schedule === 'per-layer' ? perLayerPath : staggeredPath;
  const { gradSum, probability } = await run(
    exec,
    enc,
    slot,
    ctx,
    a,
    base,
    points,
    plan.maxRows,
    progress,
  );
  const scores = new Float32Array(L * F);
  for (let i = 0; i < L * F; i++) {
    const weight = s.score === 'difference' ? a[i] - base[i] : a[i];
    scores[i] = (weight * gradSum[i]) / points.length;
  }
  return { scores, activations: a, probability };
}

function tokenRows(enc: EncodedPrompt, rows: number[][]) {
  return {
    ids: BigInt64Array.from(rows.flat().map(BigInt)),
    positions: BigInt64Array.from(rows.flatMap(() => enc.positions).map(BigInt)),
  };
}

const filled = (n: number, v: number) => new Float32Array(n).fill(v);

/**
 * One forward pass over the prompt and its baseline variants (each position in turn replaced by
 * the mask or end-of-sequence token) reads the activation a and the baseline b of every layer.
 */
async function activationsAndBaseline(
  exec: Executor,
  enc: EncodedPrompt,
  slot: ObjectSlot,
  withBaseline: boolean,
  ctx: RunContext,
  progress: () => void,
): Promise<{ a: Float32Array; b: Float32Array }> {
  const L = exec.model.numLayers;
  const F = exec.model.numUnits;
  // Causal models: positions after the slot cannot affect it, so only those up to it vary.
  const varied = exec.model.arch.causal ? slot.position + 1 : enc.ids.length;
  const rows = [enc.ids];
  if (withBaseline)
    for (let j = 0; j < varied; j++)
      rows.push(enc.ids.map((id, k) => (k === j ? enc.baselineToken : id)));
  const R = rows.length;
  const { ids, positions } = tokenRows(enc, rows);
  let h = await exec.embed(ids, positions, R);
  const mul = exec.input(filled(R * F, 1), [R, F]);
  const add = exec.input(filled(R * F, 0), [R, F]);
  const a = new Float32Array(L * F);
  const b = new Float32Array(L * F);
  for (let l = 0; l < L; l++) {
    const out = await exec.block(l, h, ctx, mul, add);
    exec.free(h);
    h = out.h;
    const found = await exec.read(out.found);
    exec.free(out.found);
    a.set(found.subarray(0, F), l * F);
    for (let r = 1; r < R; r++)
      for (let i = 0; i < F; i++) b[l * F + i] += found[r * F + i] / (R - 1);
    progress();
  }
  exec.free(h);
  return { a, b };
}

type PathRun = (
  exec: Executor,
  enc: EncodedPrompt,
  slot: ObjectSlot,
  ctx: RunContext,
  a: Float32Array,
  base: Float32Array,
  points: number[],
  maxRows: number,
  progress: () => void,
) => Promise<{ gradSum: Float32Array; probability: number }>;

/** x_k = base + alpha_k (a - base) for one layer: [points, F]. */
function pathPoints(
  a: Float32Array,
  base: Float32Array,
  layer: number,
  F: number,
  points: number[],
) {
  const x = new Float32Array(points.length * F);
  points.forEach((alpha, k) => {
    for (let i = 0; i < F; i++) {
      const j = layer * F + i;
      x[k * F + i] = base[j] + alpha * (a[j] - base[j]);
    }
  });
  return x;
}

/**
 * The staggered schedule: row 0 runs unedited; at block l, one row per path point spawns from
 * row 0's input with the tap at layer l replaced, and rides along to the head; the backward pass
 * returns, at each block, the gradient at the points spawned there.
 */
const staggeredPath: PathRun = async (exec, enc, slot, ctx, a, base, points, maxRows, progress) => {
  const L = exec.model.numLayers;
  const F = exec.model.numUnits;
  const gradSum = new Float32Array(L * F);
  const perPass = Math.max(1, Math.floor((maxRows - 1) / L));
  let probability = NaN;
  for (let start = 0; start < points.length; start += perPass) {
    const chunk = points.slice(start, start + perPass);
    const m = chunk.length;
    const spawn = Array.from({ length: L }, (_, l) =>
      exec.input(pathPoints(a, base, l, F, chunk), [m, F]),
    );
    const { ids, positions } = tokenRows(enc, [enc.ids]);
    let h = await exec.embed(ids, positions, 1);
    const inputs: Tensor[] = [];
    for (let l = 0; l < L; l++) {
      inputs.push(h);
      h = await exec.blockGrow(l, h, ctx, spawn[l]);
      progress();
    }
    const rows = 1 + L * m;
    const objects = exec.input(
      BigInt64Array.from({ length: rows }, () => BigInt(slot.tokenId)),
      [rows],
    );
    const head = await exec.headVjp(h, ctx.tapPos, objects);
    exec.free(h);
    probability = (await exec.read(head.prob))[0];
    exec.free(head.prob);
    let g = head.gH;
    for (let l = L - 1; l >= 0; l--) {
      const out = await exec.blockGrowVjp(l, inputs[l], ctx, spawn[l], g);
      exec.free(g, inputs[l]);
      g = out.gH;
      const gs = await exec.read(out.gSpawn);
      exec.free(out.gSpawn);
      for (let k = 0; k < m; k++) for (let i = 0; i < F; i++) gradSum[l * F + i] += gs[k * F + i];
      progress();
    }
    exec.free(g);
  }
  return { gradSum, probability };
};

/**
 * The authors' schedule: for each layer, a clean pass, then the path's rows through the whole
 * model with the tap replaced at that layer, and back down to it.
 */
const perLayerPath: PathRun = async (exec, enc, slot, ctx, a, base, points, maxRows, progress) => {
  const L = exec.model.numLayers;
  const F = exec.model.numUnits;
  const gradSum = new Float32Array(L * F);
  let probability = NaN;
  const perPass = Math.max(1, maxRows);
  for (let layer = 0; layer < L; layer++) {
    // The clean pass the reference code makes for every layer.
    probability = await cleanProbability(exec, enc, slot, ctx);
    progress();
    for (let start = 0; start < points.length; start += perPass) {
      const chunk = points.slice(start, start + perPass);
      const m = chunk.length;
      const { ids, positions } = tokenRows(
        enc,
        chunk.map(() => enc.ids),
      );
      const identityMul = exec.input(filled(m * F, 1), [m, F]);
      const identityAdd = exec.input(filled(m * F, 0), [m, F]);
      const replaceMul = exec.input(filled(m * F, 0), [m, F]);
      const replaceAdd = exec.input(pathPoints(a, base, layer, F, chunk), [m, F]);
      const tapOf = (l: number) =>
        l === layer ? [replaceMul, replaceAdd] : [identityMul, identityAdd];
      let h = await exec.embed(ids, positions, m);
      const inputs: Tensor[] = [];
      for (let l = 0; l < L; l++) {
        inputs.push(h);
        const [mul, add] = tapOf(l);
        const out = await exec.block(l, h, ctx, mul, add);
        exec.free(out.found);
        h = out.h;
        progress();
      }
      const objects = exec.input(
        BigInt64Array.from({ length: m }, () => BigInt(slot.tokenId)),
        [m],
      );
      const head = await exec.headVjp(h, ctx.tapPos, objects);
      exec.free(h);
      exec.free(head.prob);
      let g = head.gH;
      for (let l = L - 1; l >= layer; l--) {
        const [mul, add] = tapOf(l);
        const out = await exec.blockVjp(l, inputs[l], ctx, mul, add, g);
        exec.free(g);
        g = out.gH;
        if (l === layer) {
          const gt = await exec.read(out.gTap);
          for (let k = 0; k < m; k++)
            for (let i = 0; i < F; i++) gradSum[layer * F + i] += gt[k * F + i];
        }
        exec.free(out.gTap);
        progress();
      }
      exec.free(g, ...inputs);
    }
  }
  return { gradSum, probability };
};

/** P(token) at the slot with no edit: one row through every block and the head. */
async function cleanProbability(
  exec: Executor,
  enc: EncodedPrompt,
  slot: ObjectSlot,
  ctx: RunContext,
) {
  const F = exec.model.numUnits;
  const { ids, positions } = tokenRows(enc, [enc.ids]);
  let h = await exec.embed(ids, positions, 1);
  const one = exec.input(filled(F, 1), [1, F]);
  const zero = exec.input(filled(F, 0), [1, F]);
  for (let l = 0; l < exec.model.numLayers; l++) {
    const out = await exec.block(l, h, ctx, one, zero);
    exec.free(h, out.found);
    h = out.h;
  }
  const objects = exec.input(BigInt64Array.of(BigInt(slot.tokenId)), [1]);
  const head = await exec.headVjp(h, ctx.tapPos, objects);
  const p = (await exec.read(head.prob))[0];
  exec.free(h, head.prob, head.gH);
  return p;
}

/** Gradient x activation at the activation itself: one forward and one backward pass. */
async function gradTimesActivation(
  exec: Executor,
  enc: EncodedPrompt,
  slot: ObjectSlot,
  ctx: RunContext,
  progress: () => void,
): Promise<SlotResult> {
  const L = exec.model.numLayers;
  const F = exec.model.numUnits;
  const { ids, positions } = tokenRows(enc, [enc.ids]);
  const one = exec.input(filled(F, 1), [1, F]);
  const zero = exec.input(filled(F, 0), [1, F]);
  let h = await exec.embed(ids, positions, 1);
  const inputs: Tensor[] = [];
  const activations = new Float32Array(L * F);
  for (let l = 0; l < L; l++) {
    inputs.push(h);
    const out = await exec.block(l, h, ctx, one, zero);
    activations.set(await exec.read(out.found), l * F);
    exec.free(out.found);
    h = out.h;
    progress();
  }
  const objects = exec.input(BigInt64Array.of(BigInt(slot.tokenId)), [1]);
  const head = await exec.headVjp(h, ctx.tapPos, objects);
  exec.free(h);
  const probability = (await exec.read(head.prob))[0];
  exec.free(head.prob);
  const scores = new Float32Array(L * F);
  let g = head.gH;
  for (let l = L - 1; l >= 0; l--) {
    // With mul = 1 and add = 0 the tap is the identity, and dP/d(add) is dP/d(activation).
    const out = await exec.blockVjp(l, inputs[l], ctx, one, zero, g);
    exec.free(g, inputs[l]);
    g = out.gH;
    const gt = await exec.read(out.gTap);
    exec.free(out.gTap);
    for (let i = 0; i < F; i++) scores[l * F + i] = activations[l * F + i] * gt[i];
    progress();
  }
  exec.free(g);
  return { scores, activations, probability };
}
