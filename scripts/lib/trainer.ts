/**
 * A small, seeded trainer for the demo models: batches of tokenised examples, the training
 * graph of train-graph.ts run in onnxruntime-node, and AdamW on the host.
 */
import type { InferenceSession } from 'onnxruntime-common';
import { type Architecture, ropeTables } from '../../src/arch';
import { toOnnx } from '../../src/graph';
import { type TrainWeight, trainingGraph } from './train-graph';
import type { Runtime } from '../../src/runtime/runtime';
import type { ModelConfig } from '../../src/weights/types';
import { mulberry32 } from '../../src/util/random';

/** One training sequence: token ids and which of them the model must learn to produce. */
export interface TokenisedExample {
  ids: number[];
  /** Positions of the answer's tokens in `ids`. */
  answer: number[];
}

export type Objective = 'mlm' | 'clm';

export interface TrainOptions {
  objective: Objective;
  steps: number;
  batch: number;
  peakLr: number;
  warmup: number;
  weightDecay: number;
  seed: number;
  /** Weight of a target outside the answer (MLM: a randomly masked token; CLM: any next token). */
  contextWeight: number;
  /** MLM: probability of masking a token outside the answer. */
  contextMaskRate: number;
  maskId: number;
  padId: number;
  log?: (line: string) => void;
  /** Called every `evalEvery` steps with the current weights. */
  evaluate?: (params: Map<string, Float32Array>, step: number) => Promise<void>;
  evalEvery?: number;
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** HF-style initialisation in input layout: N(0, 0.02) matrices, unit norms, zero biases. */
export function initialWeights(weights: TrainWeight[], seed: number): Map<string, Float32Array> {
  const rand = mulberry32(seed);
  const out = new Map<string, Float32Array>();
  for (const w of weights) {
    const n = (w.spec.shape as number[]).reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const name = w.spec.input;
    if (name.endsWith('_g')) data.fill(1);
    else if (w.spec.shape.length === 2) for (let i = 0; i < n; i++) data[i] = 0.02 * gaussian(rand);
    out.set(w.input, data);
  }
  return out;
}

/** Sequences are padded to the smallest bucket that holds them; each bucket has its own graph. */
const BUCKETS = [16, 24, 32, 48, 64];

interface Batch {
  ids: BigInt64Array;
  positions: BigInt64Array;
  bias: Float32Array;
  targets: BigInt64Array;
  weights: Float32Array;
}

function makeBatch(
  examples: TokenisedExample[],
  T: number,
  cfg: ModelConfig,
  opts: TrainOptions,
  rand: () => number,
  causal: boolean,
): Batch {
  const B = examples.length;
  const V = cfg.vocabSize;
  const ids = new BigInt64Array(B * T).fill(BigInt(opts.padId));
  const positions = new BigInt64Array(B * T);
  const bias = new Float32Array(B * T * T);
  const targets: number[] = [];
  const weights: number[] = [];
  examples.forEach((ex, b) => {
    const n = ex.ids.length;
    const answer = new Set(ex.answer);
    const input = [...ex.ids];
    if (opts.objective === 'mlm') {
      for (let p = 0; p < n; p++) {
        const isAnswer = answer.has(p);
        const special = p === 0 || p === n - 1;
        if (isAnswer || (!special && rand() < opts.contextMaskRate)) {
          targets.push(b * T * V + p * V + ex.ids[p]);
          weights.push(isAnswer ? 1 : opts.contextWeight);
          input[p] = opts.maskId;
        }
      }
    } else {
      for (let p = 0; p + 1 < n; p++) {
        targets.push(b * T * V + p * V + ex.ids[p + 1]);
        weights.push(answer.has(p + 1) ? 1 : opts.contextWeight);
      }
    }
    for (let p = 0; p < T; p++) {
      if (p < n) ids[b * T + p] = BigInt(input[p]);
      positions[b * T + p] = BigInt(Math.min(p, cfg.maxPositions - 1) + cfg.positionOffset);
      for (let k = 0; k < T; k++) {
        const masked = k >= n || (causal && k > p);
        if (masked) bias[(b * T + p) * T + k] = -1e9;
      }
    }
  });
  const total = weights.reduce((a, w) => a + w, 0);
  return {
    ids,
    positions,
    bias,
    targets: BigInt64Array.from(targets.map(BigInt)),
    weights: Float32Array.from(weights.map((w) => w / total)),
  };
}

/** Trains from `initial` and returns the final weights (keys: training-graph input names). */
export async function train(
  arch: Architecture,
  cfg: ModelConfig,
  runtime: Runtime,
  examples: TokenisedExample[],
  initial: Map<string, Float32Array>,
  opts: TrainOptions,
): Promise<Map<string, Float32Array>> {
  const rand = mulberry32(opts.seed);
  const buckets = new Map<number, TokenisedExample[]>();
  for (const ex of examples) {
    const T = BUCKETS.find((b) => b >= ex.ids.length);
    if (!T) throw new Error(`example of ${ex.ids.length} tokens is longer than the largest bucket`);
    buckets.set(T, [...(buckets.get(T) ?? []), ex]);
  }
  const sessions = new Map<number, { session: InferenceSession; weights: TrainWeight[] }>();
  const sessionFor = async (T: number) => {
    let s = sessions.get(T);
    if (!s) {
      const tg = trainingGraph(arch, cfg, opts.batch, T);
      s = { session: await runtime.createSession(toOnnx(tg.graph)), weights: tg.weights };
      sessions.set(T, s);
    }
    return s;
  };

  const params = new Map([...initial].map(([k, v]) => [k, Float32Array.from(v)]));
  const m1 = new Map([...params].map(([k, v]) => [k, new Float32Array(v.length)]));
  const m2 = new Map([...params].map(([k, v]) => [k, new Float32Array(v.length)]));
  const [beta1, beta2, eps] = [0.9, 0.98, 1e-8];
  const bucketList = [...buckets.entries()];
  const weightsOfBucket = bucketList.map(([, exs]) => exs.length / examples.length);

  let smoothed = NaN;
  const started = Date.now();
  for (let step = 1; step <= opts.steps; step++) {
    // Pick a bucket in proportion to its size, then a batch from it.
    let r = rand();
    let k = 0;
    while (k < bucketList.length - 1 && r >= weightsOfBucket[k]) r -= weightsOfBucket[k++];
    const [T, pool] = bucketList[k];
    const chosen = Array.from({ length: opts.batch }, () => pool[Math.floor(rand() * pool.length)]);
    const batch = makeBatch(chosen, T, cfg, opts, rand, arch.causal);
    const { session, weights } = await sessionFor(T);
    const feeds: Record<string, ReturnType<Runtime['tensor']>> = {
      ids: runtime.tensor(batch.ids, [opts.batch, T]),
      positions: runtime.tensor(batch.positions, [opts.batch, T]),
      bias: runtime.tensor(batch.bias, [opts.batch, 1, T, T]),
      targets: runtime.tensor(batch.targets, [batch.targets.length]),
      target_weights: runtime.tensor(batch.weights, [batch.weights.length]),
    };
    if (arch.rotary) {
      const { cos, sin } = ropeTables(
        cfg,
        Array.from({ length: T }, (_, t) => t),
      );
      feeds.rope_cos = runtime.tensor(cos, [T, cos.length / T]);
      feeds.rope_sin = runtime.tensor(sin, [T, sin.length / T]);
    }
    for (const w of weights)
      feeds[w.input] = runtime.tensor(params.get(w.input)!, w.spec.shape as number[]);
    const out = await session.run(feeds);
    const loss = (out.loss.data as Float32Array)[0];
    smoothed = Number.isNaN(smoothed) ? loss : 0.98 * smoothed + 0.02 * loss;

    // Global-norm clipping at 1, then AdamW with warmup and cosine decay to 10%.
    let norm = 0;
    for (const w of weights)
      for (const g of out[`grad:${w.input}`].data as Float32Array) norm += g * g;
    const clip = Math.min(1, 1 / Math.sqrt(norm + 1e-12));
    const progress = Math.max(0, step - opts.warmup) / Math.max(1, opts.steps - opts.warmup);
    const lr =
      step <= opts.warmup
        ? (opts.peakLr * step) / opts.warmup
        : opts.peakLr * (0.1 + 0.45 * (1 + Math.cos(Math.PI * progress)));
    const c1 = 1 - beta1 ** step;
    const c2 = 1 - beta2 ** step;
    for (const w of weights) {
      const p = params.get(w.input)!;
      const g = out[`grad:${w.input}`].data as Float32Array;
      const a = m1.get(w.input)!;
      const b = m2.get(w.input)!;
      const decay = w.spec.shape.length === 2 ? opts.weightDecay : 0;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] * clip;
        a[i] = beta1 * a[i] + (1 - beta1) * gi;
        b[i] = beta2 * b[i] + (1 - beta2) * gi * gi;
        p[i] -= lr * (a[i] / c1 / (Math.sqrt(b[i] / c2) + eps) + decay * p[i]);
      }
    }
    if (step % 100 === 0 || step === 1)
      opts.log?.(
        `step ${step}/${opts.steps} loss ${smoothed.toFixed(4)} lr ${lr.toExponential(2)} ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
    if (opts.evaluate && opts.evalEvery && step % opts.evalEvery === 0 && step < opts.steps)
      await opts.evaluate(params, step);
  }
  for (const { session } of sessions.values()) await session.release();
  return params;
}
