/**
 * Attribution of an object's probability to every FFN neuron (layer, unit): AMIG (default),
 * Dai et al.'s integrated gradients, and gradient x activation. See docs/method.md, and
 * docs/design.md and schedule.ts for the schedules.
 */
import type { Tensor } from 'onnxruntime-common';
import {
  type AttentionFeeds,
  type BlockCounts,
  Executor,
  type Model,
  type PastFeeds,
  type RunContext,
  type SpawnFeeds,
  type TapMode,
} from '../model';
import { type EncodedPrompt, type MultiTokenMode, type ObjectSlot, encodePrompt } from './prompt';
import { type GroupPlan, type ScheduleOptions, layoutOf, planRun } from './schedule';
import {
  type AttributionMethod,
  type AttributionSettings,
  type ScoreMode,
  checkTapMode,
  resolveSettings,
  takesSteps,
} from './settings';

export {
  type ModelShape,
  type Schedule,
  type ScheduleOptions,
  defaultMaxRows,
  estimateCounts,
  layoutOf,
  pathRowBytes,
  promptsPerPass,
} from './schedule';

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
  /** The work done for this prompt (its share when it ran together with others). */
  counts: BlockCounts;
  warnings: string[];
}

/** A prompt and its object. */
export interface PromptInput {
  prompt: string;
  object: string;
}

/** Path points as fractions of the way from the baseline to the activation (method with a path). */
function alphas(method: AttributionMethod, m: number): number[] {
  // AMIG: left Riemann sum k/m, k = 0..m-1. Dai et al.: k/(m-1), both ends included.
  if (method === 'amig') return Array.from({ length: m }, (_, k) => k / m);
  return m === 1 ? [1] : Array.from({ length: m }, (_, k) => k / (m - 1));
}

/** Attributes P(object | prompt) to every FFN neuron. */
export async function attribute(
  model: Model,
  prompt: string,
  object: string,
  settings: Partial<AttributionSettings> = {},
  options: ScheduleOptions & CallOptions = {},
): Promise<AttributionResult> {
  const [result] = await attributeMany(model, [{ prompt, object }], settings, options);
  return result;
}

/**
 * Attributes several prompts with the same settings, in shared passes where the schedule
 * allows it (a causal model's prompts share their setup and path passes); the scores are each
 * prompt's own, as if it ran alone. Results in the order of `prompts`.
 */
export async function attributeMany(
  model: Model,
  prompts: readonly PromptInput[],
  settings: Partial<AttributionSettings> = {},
  options: ScheduleOptions & CallOptions = {},
): Promise<AttributionResult[]> {
  const s = resolveSettings(settings);
  checkTapMode(model.config.family, model.config.modelType, s.tapMode);
  const L = model.numLayers;
  if (options.maxRows !== undefined && options.maxRows < L)
    throw new RangeError(`maxRows must be at least ${L} (one step for every layer)`);
  const encs = prompts.map((p) =>
    encodePrompt(model.config, model.tokenizer, p.prompt, p.object, s.multiToken),
  );
  const plan = planRun(model.config, model.arch.causal, encs.map(layoutOf), s, options);
  const total = plan.counts.reduce((n, c) => n + c.forward + c.backward, 0);
  const exec = await Executor.create(model, s.tapMode);
  const progress = () => {
    options.signal?.throwIfAborted();
    options.onProgress?.({ done: exec.counts.forward + exec.counts.backward, total });
  };
  try {
    const slotResults: SlotResult[][] = encs.map(() => []);
    if (plan.staggered)
      for (const group of plan.staggered.groups) {
        const results = await staggeredGroup(exec, group, encs, s, progress);
        group.prompts.forEach((p, i) => (slotResults[p] = results[i]));
      }
    else
      for (const [p, enc] of encs.entries())
        for (const slot of enc.slots)
          slotResults[p].push(
            takesSteps(s.method)
              ? await perLayerSlot(exec, enc, slot, s, plan.maxRows, progress)
              : await gradTimesActivation(exec, enc, slot, progress),
          );
    return encs.map((enc, p) =>
      assemble(model, prompts[p], enc, s, slotResults[p], plan.counts[p]),
    );
  } finally {
    exec.dispose();
  }
}

interface SlotResult {
  scores: Float32Array;
  activations: Float32Array;
  probability: number;
}

/** A prompt's result from its slots' maps: averaged per token, summed in reference mode. */
function assemble(
  model: Model,
  input: PromptInput,
  enc: EncodedPrompt,
  s: AttributionSettings,
  slots: SlotResult[],
  counts: BlockCounts,
): AttributionResult {
  const L = model.numLayers;
  const F = model.numUnits;
  const scores = new Float32Array(L * F);
  const activations = new Float32Array(L * F);
  const w = s.multiToken === 'reference' ? 1 : 1 / slots.length;
  for (const r of slots)
    for (let i = 0; i < L * F; i++) {
      scores[i] += w * r.scores[i];
      activations[i] += r.activations[i] / slots.length;
    }
  const slotInfo = enc.slots.map((slot, k) => ({
    position: slot.position,
    token: slot.token,
    text: slot.text,
    tokenId: slot.tokenId,
    probability: slots[k].probability,
  }));
  return {
    model: model.id,
    method: s.method,
    steps: s.steps,
    score: s.score,
    tapMode: s.tapMode,
    multiToken: s.multiToken,
    prompt: input.prompt,
    object: input.object,
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
    slots: slotInfo,
    probability: slotInfo.reduce((p, x) => p * x.probability, 1),
    counts,
    warnings: enc.warnings,
  };
}

/** score = weight x mean gradient, weight a (AMIG, IG) or a - baseline ('difference'). */
function score(s: AttributionSettings, a: Float32Array, base: Float32Array, gradSum: Float32Array) {
  const m = s.steps;
  const scores = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const weight = s.score === 'difference' ? a[i] - base[i] : a[i];
    scores[i] = (weight * gradSum[i]) / m;
  }
  return scores;
}

const filled = (n: number, v: number) => new Float32Array(n).fill(v);
const int64 = (values: readonly number[]) => BigInt64Array.from(values.map(BigInt));

// ---------------------------------------------------------------------------------------------
// The staggered schedule (schedule.ts)

/** The device tensors the setup leaves for the path passes, per block. */
interface SetupOutputs {
  /** Per anchor: the activation a and baseline b of every layer, [L * F]. */
  a: Float32Array[];
  b: Float32Array[];
  /** P(token) of each anchor, unedited. */
  probability: number[];
  mid: Tensor[];
  base: Tensor[];
  cache: { k: Tensor; v: Tensor }[];
}

/** The rows of one setup call and where to read what the schedule needs. */
interface SetupLayout {
  ids: number[];
  positions: number[];
  batch: number;
  length: number;
  bias: Float32Array;
  /** (row, position) pairs: the anchors first, then each variant read. */
  read: [number, number][];
  /** Per variant read (after the anchors): its anchor. */
  readAnchor: number[];
  base: [number, number][][];
  cache: [number, number][];
}

/** A masked LM's setup call: the clean prompt and its variants, a batch of full rows. */
function batchedLayout(group: GroupPlan, encs: EncodedPrompt[], variants: number[][]): SetupLayout {
  const enc = encs[group.prompts[0]];
  const T = enc.ids.length;
  const rows = [
    enc.ids,
    ...variants[0].map((j) => enc.ids.map((id, k) => (k === j ? enc.baselineToken : id))),
  ];
  const read: [number, number][] = group.anchors.map((a) => [0, a.position]);
  const readAnchor: number[] = [];
  group.anchors.forEach((a, i) =>
    variants[0].forEach((_, v) => {
      read.push([1 + v, a.position]);
      readAnchor.push(i);
    }),
  );
  return {
    ids: rows.flat(),
    positions: rows.flatMap(() => enc.positions),
    batch: rows.length,
    length: T,
    bias: new Float32Array(T * T),
    read,
    readAnchor,
    base: group.anchors.map(() => Array.from({ length: T }, (_, t) => [0, t] as [number, number])),
    cache: [],
  };
}

/**
 * A causal model's setup call: the group's clean prompts and some variants packed into one
 * sequence. A variant that replaces token j carries positions j .. reach - 1 and sees the clean
 * prompt's first j positions as its prefix.
 */
function packedLayout(group: GroupPlan, encs: EncodedPrompt[], variants: number[][]): SetupLayout {
  const ids: number[] = [];
  const positions: number[] = [];
  // Per packed position: its prompt, its row's first position, its own position, and where the
  // prompt's clean row starts.
  const owner: { prompt: number; from: number; at: number; clean: number }[] = [];
  const cleanStart: number[] = [];
  const variantStart: Map<number, number>[] = [];
  group.prompts.forEach((p, i) => {
    const enc = encs[p];
    const reach = group.reach[i];
    cleanStart.push(ids.length);
    for (let t = 0; t < reach; t++) {
      ids.push(enc.ids[t]);
      positions.push(enc.positions[t]);
      owner.push({ prompt: i, from: 0, at: t, clean: cleanStart[i] });
    }
    const starts = new Map<number, number>();
    for (const j of variants[i]) {
      starts.set(j, ids.length);
      for (let t = j; t < reach; t++) {
        ids.push(t === j ? enc.baselineToken : enc.ids[t]);
        positions.push(enc.positions[t]);
        owner.push({ prompt: i, from: j, at: t, clean: cleanStart[i] });
      }
    }
    variantStart.push(starts);
  });
  const N = ids.length;
  const bias = new Float32Array(N * N).fill(-1e9);
  for (let q = 0; q < N; q++) {
    const o = owner[q];
    // The clean prefix before the row's first position, then the row's own positions up to q.
    for (let t = 0; t < o.from; t++) bias[q * N + o.clean + t] = 0;
    for (let k = q - (o.at - o.from); k <= q; k++) bias[q * N + k] = 0;
  }
  const read: [number, number][] = group.anchors.map((a) => [0, cleanStart[a.prompt] + a.position]);
  const readAnchor: number[] = [];
  group.anchors.forEach((a, i) => {
    for (const [j, start] of variantStart[a.prompt])
      if (j <= a.position) {
        read.push([0, start + a.position - j]);
        readAnchor.push(i);
      }
  });
  return {
    ids,
    positions,
    batch: 1,
    length: N,
    bias,
    read,
    readAnchor,
    base: group.anchors.map((a) => [[0, cleanStart[a.prompt] + a.position]]),
    cache: group.prompts.flatMap((_, i) =>
      Array.from({ length: group.reach[i] }, (_, t) => [0, cleanStart[i] + t] as [number, number]),
    ),
  };
}

/** How many baseline variants each anchor averages (AMIG), for the mean. */
function variantCount(group: GroupPlan, causal: boolean, baseline: boolean, anchor: number) {
  if (!baseline) return 0;
  const a = group.anchors[anchor];
  return causal ? a.position + 1 : group.reach[a.prompt];
}

async function runSetup(
  exec: Executor,
  group: GroupPlan,
  encs: EncodedPrompt[],
  baseline: boolean,
  progress: () => void,
): Promise<SetupOutputs> {
  const L = exec.model.numLayers;
  const F = exec.model.numUnits;
  const causal = exec.model.arch.causal;
  const A = group.anchors.length;
  const out: SetupOutputs = {
    a: group.anchors.map(() => new Float32Array(L * F)),
    b: group.anchors.map(() => new Float32Array(L * F)),
    probability: [],
    mid: [],
    base: [],
    cache: [],
  };
  for (const [c, call] of group.setup.entries()) {
    const lay = causal
      ? packedLayout(group, encs, call.variants)
      : batchedLayout(group, encs, call.variants);
    const at = {
      read: exec.input(int64(lay.read.flat()), [lay.read.length, 2]),
      base: exec.input(int64(lay.base.flat(2)), [A, lay.base[0].length, 2]),
      cache: causal ? exec.input(int64(lay.cache.flat()), [lay.cache.length, 2]) : undefined,
    };
    // Every row of a batch has the same positions; a packed row has its own.
    const attention = exec.attention(
      exec.input(lay.bias, [1, 1, lay.length, lay.length]),
      lay.positions.slice(0, lay.length),
    );
    let h = await exec.embed(int64(lay.ids), int64(lay.positions), lay.batch);
    for (let l = 0; l < L; l++) {
      const r = await exec.setup(l, h, attention, at, call.rows);
      exec.free(h);
      h = r.h_out;
      const found = await exec.read(r.found);
      exec.free(r.found);
      if (c === 0)
        for (let i = 0; i < A; i++) out.a[i].set(found.subarray(i * F, (i + 1) * F), l * F);
      lay.readAnchor.forEach((i, v) => {
        const row = (A + v) * F;
        const b = out.b[i];
        for (let u = 0; u < F; u++) b[l * F + u] += found[row + u];
      });
      // The first call's anchors serve the path; later calls repeat the clean rows only to
      // carry more variants.
      if (c === 0) {
        out.mid.push(r.mid);
        out.base.push(r.base);
        if (r.cache) out.cache.push(r.cache);
      } else exec.free(r.mid, r.base, ...(r.cache ? [r.cache.k, r.cache.v] : []));
      progress();
    }
    exec.free(h);
  }
  out.b.forEach((b, i) => {
    const n = variantCount(group, causal, baseline, i);
    if (n > 0) for (let k = 0; k < b.length; k++) b[k] /= n;
  });
  // Each anchor's probability from the clean output at its position.
  const targets = exec.oneHot(
    group.anchors.map((a) => (causal ? 0 : a.position)),
    causal ? 1 : group.reach[0],
  );
  const logProbs = await exec.head(out.base[L - 1], targets);
  const lp = await exec.read(logProbs);
  exec.free(logProbs);
  const V = lp.length / A;
  out.probability = group.anchors.map((a, i) =>
    Math.exp(lp[i * V + encs[group.prompts[a.prompt]].slots[a.slot].tokenId]),
  );
  return out;
}

/** The anchors' slots and maps for a group: setup, then the path passes. */
async function staggeredGroup(
  exec: Executor,
  group: GroupPlan,
  encs: EncodedPrompt[],
  s: AttributionSettings,
  progress: () => void,
): Promise<SlotResult[][]> {
  const L = exec.model.numLayers;
  const F = exec.model.numUnits;
  const causal = exec.model.arch.causal;
  const baseline = s.method === 'amig';
  const setup = await runSetup(exec, group, encs, baseline, progress);
  const base = baseline ? setup.b : setup.a.map(() => new Float32Array(L * F));
  const points = alphas(s.method, s.steps);
  const gradSums = group.anchors.map(() => new Float32Array(L * F));
  // Each anchor's row positions: a causal row carries its tap position, a masked row all.
  const T = causal ? 1 : group.reach[0];
  // A masked LM's last block computes each row at its target only (one position out).
  const trimLast = !causal && L >= 2;
  const tapPos = exec.oneHot(
    group.anchors.map((a) => (causal ? 0 : a.position)),
    T,
  );
  const bias = exec.input(new Float32Array(T * T), [1, 1, T, T]);
  // A causal row's position id (a rotary model turns its query and key by it).
  const positionOf = (i: number) => {
    const a = group.anchors[i];
    return encs[group.prompts[a.prompt]].positions[a.position];
  };
  const cached = causal ? group.reach.reduce((x, y) => x + y, 0) : 0;
  // Which cached keys a row of anchor i sees: its own prompt's positions before its tap.
  const pastRow = (i: number) => {
    const a = group.anchors[i];
    const row = new Float32Array(cached).fill(-1e9);
    const start = group.reach.slice(0, a.prompt).reduce((x, y) => x + y, 0);
    row.fill(0, start, start + a.position);
    return row;
  };
  try {
    for (const pass of group.passes) {
      const k = pass.points.length;
      const S = pass.anchors.length * k;
      // Row order within a block's spawn: anchor-major, then point.
      const spawnAnchor = pass.anchors.flatMap((i) => Array<number>(k).fill(i));
      const from = exec.input(int64(spawnAnchor), [S]);
      const feeds: SpawnFeeds[] = [];
      for (let l = 0; l < L; l++) {
        const x = new Float32Array(S * F);
        pass.anchors.forEach((i, ai) =>
          pass.points.forEach((p, pi) => {
            const alpha = points[p];
            const a = setup.a[i];
            const b = base[i];
            const row = (ai * k + pi) * F;
            for (let u = 0; u < F; u++)
              x[row + u] = b[l * F + u] + alpha * (a[l * F + u] - b[l * F + u]);
          }),
        );
        feeds.push({
          base: setup.base[l],
          mid: setup.mid[l],
          tap_pos: tapPos,
          spawn_from: from,
          spawn_add: exec.input(x, [S, F]),
        });
      }
      const past: (PastFeeds | undefined)[] = [];
      const attention: AttentionFeeds[] = [];
      for (let l = 0; l < L; l++) {
        // Block 0 spawns its rows and carries none (its graph has no attention).
        if (!causal || l === 0) {
          past.push(undefined);
          attention.push({ bias });
          continue;
        }
        // Block l carries the rows spawned in blocks 0 .. l - 1, in spawn order.
        const rows = l * S;
        const rowPositions = Array.from({ length: rows }, (_, r) => positionOf(spawnAnchor[r % S]));
        attention.push(exec.attention(bias, rowPositions, rows));
        const pb = new Float32Array(rows * cached);
        for (let r = 0; r < rows; r++) pb.set(pastRow(spawnAnchor[r % S]), r * cached);
        past.push({
          past_k: setup.cache[l].k,
          past_v: setup.cache[l].v,
          past_bias: exec.input(pb, [rows, 1, 1, cached]),
        });
      }

      const R = L * S;
      const rowAnchor = Array.from({ length: R }, (_, r) => spawnAnchor[r % S]);
      // The last block's inputs: each carried row's target, and the rows spawned there.
      const last = trimLast
        ? {
            query_pos: exec.oneHot(
              rowAnchor.slice(0, R - S).map((i) => group.anchors[i].position),
              T,
            ),
            mid: feeds[L - 1].mid,
            spawn_from: from,
            spawn_add: feeds[L - 1].spawn_add,
          }
        : null;
      let h = await exec.spawn(0, feeds[0]);
      progress();
      const inputs: Tensor[] = [];
      const saved: Tensor[] = [];
      let lastSaved: { saved: Tensor; savedQuery: Tensor } | null = null;
      for (let l = 1; l < L; l++) {
        inputs.push(h);
        if (last && l === L - 1) {
          const out = await exec.pathBlockLast(l, h, attention[l], last);
          h = out.h;
          lastSaved = out;
        } else {
          const out = await exec.pathBlock(l, h, attention[l], feeds[l], past[l]);
          h = out.h;
          saved.push(out.saved);
        }
        progress();
      }
      const objects = exec.input(
        int64(
          rowAnchor.map(
            (i) =>
              encs[group.prompts[group.anchors[i].prompt]].slots[group.anchors[i].slot].tokenId,
          ),
        ),
        [R],
      );
      // Rows out of a trimmed last block hold their target only.
      const targets = exec.oneHot(
        rowAnchor.map((i) => (causal || last ? 0 : group.anchors[i].position)),
        last ? 1 : T,
      );
      const head = await exec.headVjp(h, targets, objects);
      exec.free(h, head.prob);
      let g = head.gH;
      const collect = async (l: number, gSpawn: Tensor) => {
        const gs = await exec.read(gSpawn);
        exec.free(gSpawn);
        spawnAnchor.forEach((i, r) => {
          const sum = gradSums[i];
          for (let u = 0; u < F; u++) sum[l * F + u] += gs[r * F + u];
        });
      };
      for (let l = L - 1; l >= 1; l--) {
        const out =
          last && lastSaved && l === L - 1
            ? await exec.pathBlockLastVjp(l, inputs[l - 1], attention[l], last, lastSaved, g)
            : await exec.pathBlockVjp(
                l,
                inputs[l - 1],
                attention[l],
                feeds[l],
                saved[l - 1],
                g,
                past[l],
              );
        exec.free(g, inputs[l - 1]);
        if (last && lastSaved && l === L - 1) exec.free(lastSaved.saved, lastSaved.savedQuery);
        else exec.free(saved[l - 1]);
        g = out.gH;
        await collect(l, out.gSpawn);
        progress();
      }
      await collect(0, await exec.spawnVjp(0, feeds[0], g));
      exec.free(g);
      progress();
    }
  } finally {
    exec.free(...setup.mid, ...setup.base, ...setup.cache.flatMap((c) => [c.k, c.v]));
  }
  const results = group.prompts.map(() => [] as SlotResult[]);
  group.anchors.forEach((a, i) => {
    results[a.prompt][a.slot] = {
      scores: score(s, setup.a[i], base[i], gradSums[i]),
      activations: setup.a[i],
      probability: setup.probability[i],
    };
  });
  return results;
}

// ---------------------------------------------------------------------------------------------
// The per-layer schedule (the authors') and gradient x activation

function tokenRows(enc: EncodedPrompt, rows: number[][]) {
  return {
    ids: BigInt64Array.from(rows.flat().map(BigInt)),
    positions: BigInt64Array.from(rows.flatMap(() => enc.positions).map(BigInt)),
  };
}

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
 * The authors' schedule for one object token: for each layer, a clean pass, then the path's
 * rows through the whole model with the tap replaced at that layer, and back down to it.
 */
async function perLayerSlot(
  exec: Executor,
  enc: EncodedPrompt,
  slot: ObjectSlot,
  s: AttributionSettings,
  maxRows: number,
  progress: () => void,
): Promise<SlotResult> {
  const L = exec.model.numLayers;
  const F = exec.model.numUnits;
  const T = enc.ids.length;
  const ctx = exec.context(T, [slot.position]);
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
  const gradSum = new Float32Array(L * F);
  let probability = NaN;
  for (let layer = 0; layer < L; layer++) {
    // The clean pass the reference code makes for every layer.
    probability = await cleanProbability(exec, enc, slot, ctx);
    progress();
    for (let start = 0; start < points.length; start += maxRows) {
      const chunk = points.slice(start, start + maxRows);
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
      const head = await exec.headVjp(h, exec.oneHot(Array(m).fill(slot.position), T), objects);
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
  return { scores: score(s, a, base, gradSum), activations: a, probability };
}

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
  const head = await exec.headVjp(h, exec.oneHot([slot.position], enc.ids.length), objects);
  const p = (await exec.read(head.prob))[0];
  exec.free(h, head.prob, head.gH);
  return p;
}

/** Gradient x activation at the activation itself: one forward and one backward pass. */
async function gradTimesActivation(
  exec: Executor,
  enc: EncodedPrompt,
  slot: ObjectSlot,
  progress: () => void,
): Promise<SlotResult> {
  const L = exec.model.numLayers;
  const F = exec.model.numUnits;
  const ctx = exec.context(enc.ids.length, [slot.position]);
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
  const head = await exec.headVjp(h, exec.oneHot([slot.position], enc.ids.length), objects);
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
