/**
 * How a run is laid out before it starts: which rows go through which graph in which call. The
 * engine (attribute.ts) runs this plan, and the estimates price it call by call, so what an
 * estimate counts is what the engine does (tested). Pure: shapes in, plan out.
 *
 * The staggered schedule, per group of prompts (see docs/design.md):
 * 1. setup: each prompt and its AMIG baseline variants through every block once, reading the
 *    activation a and baseline b of every layer, the attention output at each tap position, and,
 *    in a causal model, the keys and values of the clean prompt. A causal model packs the rows
 *    into one sequence: a variant that replaces token j carries only positions j.. (the prefix is
 *    the clean prompt's), so its positions attend to the clean prompt's first j tokens.
 * 2. path passes: in block l, rows spawn for layer l's path points (only the FFN at the tap
 *    position is computed; the rest of the block is the clean prompt's), and the rows spawned in
 *    earlier blocks go through the whole block. A masked LM's rows carry all T positions, except
 *    through the last block, which computes each row at its target only (keys and values at
 *    every position); a causal model's rows carry only their tap position and attend to the
 *    cached clean keys.
 * 3. the head's gradient, then back down the same blocks, each row leaving at its own block.
 */
import type { ModelConfig } from '../weights/types';
import { type BlockCounts, addCounts, noCounts } from '../model';
import type { EncodedPrompt } from './prompt';
import { type AttributionSettings, resolveSettings, takesSteps } from './settings';

/** The dimensions that decide a run's cost. */
export type ModelShape = Pick<
  ModelConfig,
  'numLayers' | 'hiddenSize' | 'intermediateSize' | 'vocabSize' | 'numHeads'
>;

/**
 * 'staggered' (default): every layer's path shares each block evaluation; a causal model's rows
 * carry only their tap positions. 'per-layer': the authors' schedule, each layer's path run
 * through the whole model; kept to benchmark against and to check that both give the same scores.
 */
export type Schedule = 'staggered' | 'per-layer';

/** How the engine schedules a run: its speed and device memory, never its scores. */
export interface ScheduleOptions {
  schedule?: Schedule;
  /** Rows one path pass may hold; larger paths are split into several passes. */
  maxRows?: number;
}

/** What a prompt looks like to the schedule. */
export interface PromptLayout {
  /** Tokens the model reads. */
  tokens: number;
  /** The position of each object token's slot (where it is predicted). */
  slots: number[];
}

/** The layout of an encoded prompt. */
export function layoutOf(enc: Pick<EncodedPrompt, 'ids' | 'slots'>): PromptLayout {
  return { tokens: enc.ids.length, slots: enc.slots.map((s) => s.position) };
}

/** One object token of one prompt: the path's rows start from its tap position. */
export interface Anchor {
  /** Index of the prompt in the group. */
  prompt: number;
  slot: number;
  position: number;
}

/**
 * One setup call: the clean rows of every prompt of the group, and some of their baseline
 * variants (the token at `variants[p][i]` of prompt p replaced).
 */
export interface SetupCall {
  variants: number[][];
  /** Rows of h: the batch (masked LMs) or 1 (the rows packed into one sequence). */
  batch: number;
  /** Positions per row of h. */
  length: number;
  /** Logical rows: clean prompts and variants. */
  rows: number;
  /** The rows' positions (what token-block evaluations count). */
  tokens: number;
}

/** One path pass: the anchors it serves and the indices of the path points it carries. */
export interface PathPass {
  anchors: number[];
  points: number[];
}

/** Prompts that share their setup and path passes. */
export interface GroupPlan {
  prompts: number[];
  anchors: Anchor[];
  setup: SetupCall[];
  passes: PathPass[];
  /**
   * Positions each causal prompt needs: 0 .. its last slot (later tokens cannot reach a slot);
   * all its tokens in a masked LM.
   */
  reach: number[];
}

export interface StaggeredPlan {
  schedule: 'staggered';
  causal: boolean;
  groups: GroupPlan[];
  /** Path points per anchor. */
  steps: number;
  /** Whether the setup carries AMIG's baseline variants. */
  baseline: boolean;
}

/** Bytes the activations of one run may take on the device (besides the weights). */
export function memoryBudget(shape: ModelShape): number {
  const { numLayers: L, hiddenSize: H, intermediateSize: F, vocabSize: V } = shape;
  const weightBytes = 4 * (L * (4 * H * H + 2 * H * F) + V * H);
  // A quarter of the weights' size, at least 64 MiB: device memory stays within ~1.3x the weights.
  return Math.max(64 * 2 ** 20, weightBytes / 4);
}

/**
 * Device bytes one path row takes, carrying `rowPositions` positions (1 in a causal model): its
 * saved products and block inputs (recalled by the backward pass) in every block it passed (on
 * average half of them, about 6 H + 2 F floats per position each), one block's VJP working set
 * (about 12 H + 6 F per position), and the head's [V] tensors (about 4).
 */
export function pathRowBytes(shape: ModelShape, rowPositions: number): number {
  const { numLayers: L, hiddenSize: H, intermediateSize: F, vocabSize: V } = shape;
  return 4 * rowPositions * ((6 * H + 2 * F) * ((L - 1) / 2) + 12 * H + 6 * F) + 16 * V;
}

/** Rows one path pass may hold by default: as many as fit the memory budget, at least L. */
export function defaultMaxRows(
  shape: ModelShape,
  rowPositions: number,
  steps: number,
  anchors = 1,
): number {
  const L = shape.numLayers;
  const fit = Math.floor(memoryBudget(shape) / pathRowBytes(shape, rowPositions));
  return Math.max(L, Math.min(anchors * L * steps, fit));
}

/** The most prompts a dataset run attributes together: what a stop loses at most. */
export const MAX_PROMPTS_PER_PASS = 4;

/**
 * Prompts a dataset run may attribute together (attributeMany). A causal model's prompts share
 * their setup and path passes, so while all the batch's path rows fit one pass each graph call
 * serves every prompt of the batch: what pays where a call's fixed cost is large (a GPU's
 * dispatch and read-back). Once one prompt's path needs several passes, a batch only adds
 * passes, so 1; a masked LM runs each prompt apart whatever the batch, so 1.
 */
export function promptsPerPass(
  shape: ModelShape,
  causal: boolean,
  settings: Partial<AttributionSettings>,
  opts: ScheduleOptions = {},
): number {
  const s = resolveSettings(settings);
  if (!causal || !takesSteps(s.method) || (opts.schedule ?? 'staggered') !== 'staggered') return 1;
  const rowsPerPrompt = shape.numLayers * s.steps;
  let n = 1;
  while (
    n < MAX_PROMPTS_PER_PASS &&
    (n + 1) * rowsPerPrompt <= (opts.maxRows ?? defaultMaxRows(shape, 1, s.steps, n + 1))
  )
    n++;
  return n;
}

/** Positions one packed setup call may hold: its [heads, N, N] attention fits the budget. */
function maxSetupPositions(shape: ModelShape): number {
  const { hiddenSize: H, intermediateSize: F, numHeads: heads } = shape;
  const budget = memoryBudget(shape);
  // About three [heads, N, N] tensors and 10 H + 3 F floats per position.
  const perPosition = 4 * (10 * H + 3 * F);
  const a = 12 * heads;
  const n = Math.floor((-perPosition + Math.sqrt(perPosition ** 2 + 4 * a * budget)) / (2 * a));
  return Math.max(1, Math.min(4096, n));
}

/** Rows of full length one batched setup call (masked LMs) may hold. */
function maxSetupRows(shape: ModelShape, tokens: number): number {
  const { hiddenSize: H, intermediateSize: F, numHeads: heads } = shape;
  const perRow = 4 * tokens * (10 * H + 3 * F) + 12 * heads * tokens * tokens;
  return Math.max(2, Math.floor(memoryBudget(shape) / perRow));
}

/** Positions the baseline variant that replaces token j carries (causal: j .. reach - 1). */
const variantPositions = (causal: boolean, reach: number, j: number) =>
  causal ? reach - j : reach;

/**
 * The staggered plan for prompts run together. A causal model groups prompts whose packed
 * setup fits one call and runs each group's anchors in shared passes; a masked LM runs each
 * prompt on its own (its rows carry all positions, so shared passes would not save work).
 */
export function planStaggered(
  shape: ModelShape,
  causal: boolean,
  prompts: PromptLayout[],
  settings: Partial<AttributionSettings>,
  opts: ScheduleOptions = {},
): StaggeredPlan {
  const s = resolveSettings(settings);
  if (!takesSteps(s.method)) throw new Error('planStaggered: the method has no path');
  const baseline = s.method === 'amig';
  const reach = prompts.map((p) => (causal ? Math.max(...p.slots) + 1 : p.tokens));
  const variantsOf = (i: number) => (baseline ? reach[i] : 0);
  const packedSize = (i: number) => {
    let n = reach[i];
    for (let j = 0; j < variantsOf(i); j++) n += variantPositions(causal, reach[i], j);
    return n;
  };

  // Groups: consecutive causal prompts while their packed setup fits one call.
  const limit = maxSetupPositions(shape);
  const groups: number[][] = [];
  for (let i = 0; i < prompts.length; i++) {
    const last = groups[groups.length - 1];
    const used = last ? last.reduce((n, k) => n + packedSize(k), 0) : Infinity;
    if (causal && last && used + packedSize(i) <= limit) last.push(i);
    else groups.push([i]);
  }

  return {
    schedule: 'staggered',
    causal,
    steps: s.steps,
    baseline,
    groups: groups.map((members) => {
      const anchors: Anchor[] = members.flatMap((p, prompt) =>
        prompts[p].slots.map((position, slot) => ({ prompt, slot, position })),
      );
      const groupReach = members.map((p) => reach[p]);
      const setup = causal
        ? packedSetup(members.map(variantsOf), groupReach, limit)
        : batchedSetup(
            variantsOf(members[0]),
            reach[members[0]],
            maxSetupRows(shape, reach[members[0]]),
          );
      const maxRows =
        opts.maxRows ??
        defaultMaxRows(shape, causal ? 1 : reach[members[0]], s.steps, anchors.length);
      return {
        prompts: members,
        anchors,
        setup,
        passes: pathPasses(anchors.length, s.steps, shape.numLayers, maxRows),
        reach: groupReach,
      };
    }),
  };
}

/** Causal setup calls: every call packs the clean prompts and as many variants as fit. */
function packedSetup(variantCounts: number[], reach: number[], limit: number): SetupCall[] {
  const clean = reach.reduce((a, b) => a + b, 0);
  const calls: SetupCall[] = [];
  let current = { variants: reach.map(() => [] as number[]), tokens: clean, rows: reach.length };
  const flush = () => {
    calls.push({ ...current, batch: 1, length: current.tokens });
    current = { variants: reach.map(() => []), tokens: clean, rows: reach.length };
  };
  variantCounts.forEach((count, p) => {
    for (let j = 0; j < count; j++) {
      const n = variantPositions(true, reach[p], j);
      const empty = current.rows === reach.length;
      if (!empty && current.tokens + n > limit) flush();
      current.variants[p].push(j);
      current.tokens += n;
      current.rows++;
    }
  });
  flush();
  return calls;
}

/** Masked-LM setup calls: the clean prompt and its variants as a batch, split to fit. */
function batchedSetup(count: number, tokens: number, maxRows: number): SetupCall[] {
  const calls: SetupCall[] = [];
  const perCall = Math.max(1, maxRows - 1); // the clean row comes along in every call
  let j = 0;
  do {
    const variants = Array.from({ length: Math.min(perCall, count - j) }, (_, i) => j + i);
    j += variants.length;
    const rows = 1 + variants.length;
    calls.push({ variants: [variants], batch: rows, length: tokens, rows, tokens: rows * tokens });
  } while (j < count);
  return calls;
}

/**
 * Path passes: as many anchors and points per pass as `maxRows` allows (a pass of A anchors and
 * c points per layer holds A c L rows at the head), all points of all anchors covered.
 */
function pathPasses(anchors: number, steps: number, layers: number, maxRows: number): PathPass[] {
  const perPass = Math.max(1, Math.min(anchors, Math.floor(maxRows / layers)));
  const passes: PathPass[] = [];
  for (let a = 0; a < anchors; a += perPass) {
    const members = Array.from({ length: Math.min(perPass, anchors - a) }, (_, i) => a + i);
    const points = Math.max(1, Math.floor(maxRows / (members.length * layers)));
    for (let k = 0; k < steps; k += points)
      passes.push({
        anchors: members,
        points: Array.from({ length: Math.min(points, steps - k) }, (_, i) => k + i),
      });
  }
  return passes;
}

/** One graph call of a run, for the estimates: which graph and how much work it holds. */
export interface PlannedCall {
  graph:
    | 'embed'
    | 'setup'
    | 'spawn'
    | 'spawnVjp'
    | 'pathBlock'
    | 'pathBlockVjp'
    | 'pathBlockLast'
    | 'pathBlockLastVjp'
    | 'block'
    | 'blockVjp'
    | 'head'
    | 'headVjp';
  /** Rows of the call. */
  rows: number;
  /** Positions through the block (or rows through the head). */
  tokens: number;
  /**
   * Positions whose keys and values alone the call computes (a masked LM's last block: the
   * positions other than the targets), as a fraction of a block's work: tokens' worth.
   */
  keyValueTokens?: number;
}

/** The share of a block's work per position that its keys and values take (k and v of q, k, v, o and the FFN). */
export function keyValueShare(shape: Pick<ModelShape, 'hiddenSize' | 'intermediateSize'>): number {
  const { hiddenSize: H, intermediateSize: F } = shape;
  return (2 * H * H) / (4 * H * H + 2 * H * F);
}

/** A staggered plan's calls, in order, and its counts per prompt. */
export function staggeredCalls(
  plan: StaggeredPlan,
  shape: ModelShape,
): { calls: PlannedCall[]; counts: BlockCounts[] } {
  const calls: PlannedCall[] = [];
  const promptCount = 1 + Math.max(...plan.groups.flatMap((g) => g.prompts));
  const counts = Array.from({ length: promptCount }, noCounts);
  const L = shape.numLayers;
  // A masked LM's last block computes its rows at their target only (attribute.ts).
  const trimLast = !plan.causal && L >= 2;
  for (const group of plan.groups) {
    const rowPositions = (a: Anchor) => (plan.causal ? 1 : group.reach[a.prompt]);
    for (const call of group.setup) {
      calls.push({ graph: 'embed', rows: call.batch, tokens: call.tokens });
      for (let l = 0; l < L; l++)
        calls.push({
          graph: 'setup',
          rows: call.rows,
          tokens: call.tokens,
        });
      call.variants.forEach((vs, p) => {
        const c = counts[group.prompts[p]];
        const reach = group.reach[p];
        const tokens = reach + vs.reduce((n, j) => n + variantPositions(plan.causal, reach, j), 0);
        c.forward += L * (1 + vs.length);
        c.forwardTokens += L * tokens;
      });
    }
    // The clean probability of each anchor: one head row each.
    calls.push({
      graph: 'head',
      rows: group.anchors.length,
      tokens: group.anchors.length,
    });
    for (const pass of group.passes) {
      const members = pass.anchors.map((i) => group.anchors[i]);
      const S = members.length * pass.points.length;
      const T = Math.max(...members.map(rowPositions));
      const path = (backward: boolean, l: number): PlannedCall =>
        trimLast && l === L - 1
          ? {
              graph: backward ? 'pathBlockLastVjp' : 'pathBlockLast',
              rows: l * S + S,
              tokens: l * S + S,
              keyValueTokens: l * S * (T - 1) * keyValueShare(shape),
            }
          : {
              graph: backward ? 'pathBlockVjp' : 'pathBlock',
              rows: l * S + S,
              tokens: l * S * T + S,
            };
      calls.push({ graph: 'spawn', rows: S, tokens: S });
      for (let l = 1; l < L; l++) calls.push(path(false, l));
      calls.push({ graph: 'headVjp', rows: L * S, tokens: L * S });
      for (let l = L - 1; l >= 1; l--) calls.push(path(true, l));
      calls.push({ graph: 'spawnVjp', rows: S, tokens: S });
      // Per anchor: its rows spawn in every block and ride to the last one, where (trimmed) each
      // carried row is one position.
      const full = trimLast ? ((L - 1) * (L - 2)) / 2 : (L * (L - 1)) / 2;
      for (const a of members) {
        const c = counts[group.prompts[a.prompt]];
        const rows = (pass.points.length * L * (L + 1)) / 2;
        const tokens = pass.points.length * (L + (trimLast ? L - 1 : 0) + full * rowPositions(a));
        c.forward += rows;
        c.backward += rows;
        c.forwardTokens += tokens;
        c.backwardTokens += tokens;
      }
    }
  }
  return { calls, counts };
}

/** The sum of per-prompt counts. */
export function totalCounts(counts: readonly BlockCounts[]): BlockCounts {
  return counts.reduce((sum, c) => addCounts(sum, c), noCounts());
}

/** A run's plan: the staggered groups (if that schedule runs), every call, counts per prompt. */
export interface RunPlan {
  staggered: StaggeredPlan | null;
  /** Path rows per pass of the per-layer schedule. */
  maxRows: number;
  calls: PlannedCall[];
  counts: BlockCounts[];
}

/**
 * The plan of a run of `prompts` with these settings: the staggered schedule's groups and passes,
 * or the per-layer schedule's and gradient x activation's passes (prompt by prompt, token by
 * token), with every graph call and the work each prompt takes.
 */
export function planRun(
  shape: ModelShape,
  causal: boolean,
  prompts: PromptLayout[],
  settings: Partial<AttributionSettings>,
  opts: ScheduleOptions = {},
): RunPlan {
  const s = resolveSettings(settings);
  const L = shape.numLayers;
  if (takesSteps(s.method) && (opts.schedule ?? 'staggered') === 'staggered') {
    const plan = planStaggered(shape, causal, prompts, s, opts);
    return { staggered: plan, maxRows: 0, ...staggeredCalls(plan, shape) };
  }
  const calls: PlannedCall[] = [];
  const counts = prompts.map(noCounts);
  const maxRows = Math.min(
    s.steps,
    opts.maxRows ?? defaultMaxRows(shape, Math.max(1, ...prompts.map((p) => p.tokens)), s.steps),
  );
  prompts.forEach((p, i) => {
    const T = p.tokens;
    const c = counts[i];
    // `rows` rows of T positions through blocks `from` .. L - 1, forward or backward.
    const blocks = (graph: 'block' | 'blockVjp', rows: number, from = 0) => {
      for (let l = from; l < L; l++) calls.push({ graph, rows, tokens: rows * T });
      const n = L - from;
      if (graph === 'block') {
        c.forward += n * rows;
        c.forwardTokens += n * rows * T;
      } else {
        c.backward += n * rows;
        c.backwardTokens += n * rows * T;
      }
    };
    const pass = (rows: number) => calls.push({ graph: 'embed', rows, tokens: rows * T });
    const head = (rows: number) => calls.push({ graph: 'headVjp', rows, tokens: rows });
    for (const position of p.slots) {
      if (!takesSteps(s.method)) {
        pass(1);
        blocks('block', 1);
        head(1);
        blocks('blockVjp', 1);
        continue;
      }
      const rows = 1 + (s.method === 'amig' ? (causal ? position + 1 : T) : 0);
      pass(rows);
      blocks('block', rows);
      for (let layer = 0; layer < L; layer++) {
        pass(1);
        blocks('block', 1);
        head(1);
        for (let start = 0; start < s.steps; start += maxRows) {
          const m = Math.min(maxRows, s.steps - start);
          pass(m);
          blocks('block', m);
          head(m);
          blocks('blockVjp', m, layer);
        }
      }
    }
  });
  return { staggered: null, maxRows, calls, counts };
}

/** Block and token-block evaluations of one prompt's attribution, for estimates before it runs. */
export function estimateCounts(
  shape: ModelShape,
  causal: boolean,
  prompt: PromptLayout,
  settings: Partial<AttributionSettings> = {},
  opts: ScheduleOptions = {},
): BlockCounts {
  return planRun(shape, causal, [prompt], settings, opts).counts[0];
}
