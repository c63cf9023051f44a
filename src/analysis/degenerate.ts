/**
 * Degenerate knowledge neurons (DKN): neurons with overlapping function, where removing any one
 * barely hurts the fact but removing them together does (docs/method.md, "Degenerate knowledge
 * neurons"). Two searches:
 *
 * - `searchDegeneratePairs`: the paper's pairwise search over the top KN of one prompt;
 * - `findDegenerateClusters`: the follow-up work's clusters of any size, grouped by how strongly
 *   one layer's value vectors feed the next layer's key vectors (and, by default, by how much
 *   two neurons write the same direction), then verified by suppression.
 *
 * Every suppression run of a search goes through `predict` as batches of variants (one row per
 * suppressed set), so a search costs a handful of forward passes, not one per set.
 */
import { type Model, type TapMode, readWeight } from '../model';
import { predict, suppress } from '../attribution/predict';
import { type EncodedPrompt, type MultiTokenMode, encodePrompt } from '../attribution/prompt';
import { type Neuron, type ScoredNeuron, byScore } from './selection';

/**
 * The two probability thresholds of the degeneracy test, as shares of p0 = P(object) with
 * nothing suppressed.
 */
export interface DegeneracyThresholds {
  /** A neuron passes alone when suppressing it keeps P >= (1 - singleDrop) p0 (0.20). */
  singleDrop?: number;
  /** A set is degenerate when suppressing it all gives P < (1 - jointDrop) p0 (0.25). */
  jointDrop?: number;
}

export interface SuppressionRunOptions {
  /** Must match the tap mode the scores were computed with. */
  tapMode?: TapMode;
  multiToken?: MultiTokenMode;
  /** Suppressed sets per forward batch (64): bounds device memory, not the result. */
  batchSize?: number;
  signal?: AbortSignal;
  /** Suppressed sets evaluated so far, of all the search needs. */
  onProgress?: (p: { done: number; total: number }) => void;
}

export interface PairSearchOptions extends DegeneracyThresholds, SuppressionRunOptions {
  /** How many of the highest-scoring KN are searched (20). */
  topK?: number;
}

export interface DegeneratePair {
  /** Indices into `PairSearchResult.neurons`, a < b. */
  a: number;
  b: number;
  /** P(object) with both suppressed. */
  probability: number;
}

export interface PairSearchResult {
  /** P(object) with nothing suppressed. */
  p0: number;
  /** The searched KN: the top K by score, highest first. */
  neurons: ScoredNeuron[];
  /**
   * K x K, row-major: P(object) with neurons i and j suppressed together; the diagonal holds
   * each neuron suppressed alone. Every pair is evaluated, candidates or not, for the view.
   */
  matrix: Float64Array;
  /** Indices of the neurons whose suppression alone keeps P >= (1 - singleDrop) p0. */
  candidates: number[];
  /** Candidate pairs whose joint suppression gives P < (1 - jointDrop) p0. */
  pairs: DegeneratePair[];
  singleDrop: number;
  jointDrop: number;
}

const DEFAULTS = { singleDrop: 0.2, jointDrop: 0.25, topK: 20, batchSize: 64 };

/**
 * P(object) for each set of suppressed neurons (an empty set is the unedited model), in batches
 * of `batchSize` variants.
 */
export async function suppressedProbabilities(
  model: Model,
  enc: EncodedPrompt,
  sets: Neuron[][],
  opts: SuppressionRunOptions = {},
): Promise<Float64Array> {
  const size = opts.batchSize ?? DEFAULTS.batchSize;
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`batchSize must be a positive whole number, got ${opts.batchSize}`);
  const out = new Float64Array(sets.length);
  for (let start = 0; start < sets.length; start += size) {
    opts.signal?.throwIfAborted();
    const chunk = sets.slice(start, start + size);
    const preds = await predict(model, enc, chunk.map(suppress), {
      topK: 1,
      tapMode: opts.tapMode,
      signal: opts.signal,
    });
    preds.forEach((p, i) => (out[start + i] = p.probability));
    opts.onProgress?.({ done: start + chunk.length, total: sets.length });
  }
  return out;
}

/** Highest score first, without the extra fields selection may attach (stability, counts). */
function plain(kn: readonly ScoredNeuron[]): ScoredNeuron[] {
  return kn.map(({ layer, unit, score }) => ({ layer, unit, score })).sort(byScore);
}

function thresholds(opts: DegeneracyThresholds) {
  const singleDrop = opts.singleDrop ?? DEFAULTS.singleDrop;
  const jointDrop = opts.jointDrop ?? DEFAULTS.jointDrop;
  for (const [name, v] of [
    ['singleDrop', singleDrop],
    ['jointDrop', jointDrop],
  ] as const)
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} must be between 0 and 1, got ${v}`);
  return { singleDrop, jointDrop };
}

/**
 * The paper's pairwise search for one prompt: of the top K knowledge neurons, the candidates are
 * those whose suppression alone keeps P >= (1 - singleDrop) p0; a pair of candidates is
 * degenerate when suppressing both gives P < (1 - jointDrop) p0. All pairs, as in the spec (the
 * reference code's greedy variant, which retires a neuron once it is paired, finds a subset).
 */
export async function searchDegeneratePairs(
  model: Model,
  prompt: string,
  object: string,
  kn: ScoredNeuron[],
  opts: PairSearchOptions = {},
): Promise<PairSearchResult> {
  const { singleDrop, jointDrop } = thresholds(opts);
  const topK = opts.topK ?? DEFAULTS.topK;
  const neurons = plain(kn).slice(0, topK);
  const K = neurons.length;
  const enc = encodePrompt(model.config, model.tokenizer, prompt, object, opts.multiToken);
  // Row 0: nothing suppressed; rows 1..K: singles; then the pairs i < j, row by row.
  const sets: Neuron[][] = [[], ...neurons.map((n) => [n])];
  for (let i = 0; i < K; i++) for (let j = i + 1; j < K; j++) sets.push([neurons[i], neurons[j]]);
  const p = await suppressedProbabilities(model, enc, sets, opts);

  const p0 = p[0];
  const matrix = new Float64Array(K * K);
  for (let i = 0; i < K; i++) matrix[i * K + i] = p[1 + i];
  let row = 1 + K;
  for (let i = 0; i < K; i++)
    for (let j = i + 1; j < K; j++, row++) matrix[i * K + j] = matrix[j * K + i] = p[row];

  const candidates = neurons.flatMap((_, i) => (p[1 + i] >= (1 - singleDrop) * p0 ? [i] : []));
  const pairs: DegeneratePair[] = [];
  for (const a of candidates)
    for (const b of candidates) {
      if (b <= a) continue;
      const joint = matrix[a * K + b];
      if (joint < (1 - jointDrop) * p0) pairs.push({ a, b, probability: joint });
    }
  return { p0, neurons, matrix, candidates, pairs, singleDrop, jointDrop };
}

/** How neurons are linked for clustering. */
export type LinkMode = 'feed' | 'feed+redundancy';

export interface Connections {
  /**
   * n x n, symmetric: for a in layer l and b in layer l + 1, |cos(v_a, k_b)| between a's value
   * vector (its row of the FFN output projection: what it writes to the residual stream) and
   * b's key vector (its column of the next FFN's input projection: what it reads; a gated
   * neuron reads through two, its gate_proj and up_proj rows, and the larger |cos| counts); 0
   * for pairs not in adjacent layers. The follow-up work (heng840/DKN) links by the raw dot product
   * v_a . k_b; the cosine removes the per-layer scale of the weights so that one threshold
   * serves every layer pair. The LayerNorm in between is ignored, as there.
   */
  feed: Float32Array;
  /**
   * n x n, symmetric: max(0, cos(v_a, v_b)) for any two neurons: how much they write the same
   * direction, i.e. could stand in for each other. Degenerate copies in one layer, or in layers
   * two apart, have no feed link at all; this links them.
   */
  redundancy: Float32Array;
}

/** The value and key vectors of the given neurons, read from the model's current weights. */
export async function connections(model: Model, neurons: Neuron[]): Promise<Connections> {
  const n = neurons.length;
  const H = model.config.hiddenSize;
  const F = model.numUnits;
  const values: Float32Array[] = [];
  // A neuron's key vectors: one per input projection it reads through (a gated FFN's neuron
  // has two, its gate_proj and up_proj rows; its feed link is the stronger of the two).
  const keys: Float32Array[][] = [];
  // Read only the layers involved, and keep only the given neurons' vectors.
  for (const l of new Set(neurons.map((x) => x.layer))) {
    const proj = await readWeight(model, 'proj_w', l);
    const inputs: Float32Array[] = [];
    for (const name of model.arch.keyInputs) inputs.push(await readWeight(model, name, l));
    neurons.forEach((x, i) => {
      if (x.layer !== l) return;
      values[i] = proj.slice(x.unit * H, (x.unit + 1) * H);
      keys[i] = inputs.map((fc) => Float32Array.from({ length: H }, (_, h) => fc[h * F + x.unit]));
    });
  }
  const feed = new Float32Array(n * n);
  const redundancy = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      if (neurons[j].layer === neurons[i].layer + 1)
        feed[i * n + j] = feed[j * n + i] = Math.max(
          ...keys[j].map((k) => Math.abs(cosine(values[i], k))),
        );
      if (j > i)
        redundancy[i * n + j] = redundancy[j * n + i] = Math.max(0, cosine(values[i], values[j]));
    }
  return { feed, redundancy };
}

/** The clustering strength: the feed link alone (reference), or the larger of both links. */
export function linkStrength(c: Connections, mode: LinkMode): Float32Array {
  if (mode === 'feed') return c.feed;
  return c.feed.map((f, i) => Math.max(f, c.redundancy[i]));
}

function cosine(x: Float32Array, y: Float32Array): number {
  let dot = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < x.length; i++) {
    dot += x[i] * y[i];
    xx += x[i] * x[i];
    yy += y[i] * y[i];
  }
  return xx > 0 && yy > 0 ? dot / Math.sqrt(xx * yy) : 0;
}

/**
 * Groups of two or more neurons joined by edges of strength >= minStrength, transitively
 * (connected components, i.e. single-linkage clustering cut at minStrength). Indices into the
 * strength matrix, each group ascending, groups by their first index.
 */
export function clusterByStrength(
  strength: Float32Array,
  n: number,
  minStrength: number,
): number[][] {
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => (parent[x] === x ? x : (parent[x] = find(parent[x])));
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++)
      if (strength[i * n + j] >= minStrength) parent[find(j)] = find(i);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const root = find(i);
    groups.set(root, [...(groups.get(root) ?? []), i]);
  }
  return [...groups.values()].filter((g) => g.length > 1).sort((x, y) => x[0] - y[0]);
}

/**
 * The default edge threshold: three standard deviations of the cosine between two random
 * directions in H dimensions (1 / sqrt(H)), so an edge is an alignment chance does not explain.
 * Capped at 0.5 for very small hidden sizes, where 3 / sqrt(H) would exclude every edge.
 */
export function defaultMinStrength(hiddenSize: number): number {
  return Math.min(0.5, 3 / Math.sqrt(hiddenSize));
}

export interface ClusterOptions extends DegeneracyThresholds, SuppressionRunOptions {
  /**
   * 'feed+redundancy' (default): linked by the feed link or by writing the same direction.
   * 'feed': the follow-up work's links only (layer l to layer l + 1).
   */
  links?: LinkMode;
  /** Edge threshold on the link strength (`defaultMinStrength(hidden size)`). */
  minStrength?: number;
}

export interface VerifiedCluster {
  /** Indices into `ClusterResult.neurons`, ascending. */
  members: number[];
  /** P(object) with each member suppressed alone, in `members` order. */
  singles: number[];
  /** P(object) with all members suppressed together. */
  joint: number;
  /** No single member's removal costs singleDrop of p0, but removing all costs jointDrop. */
  degenerate: boolean;
}

export interface ClusterResult {
  p0: number;
  /** The clustered KN, highest score first. */
  neurons: ScoredNeuron[];
  /** The links between `neurons`, n x n each. */
  connections: Connections;
  links: LinkMode;
  /** What was clustered: `linkStrength(connections, links)`. */
  strength: Float32Array;
  minStrength: number;
  clusters: VerifiedCluster[];
  singleDrop: number;
  jointDrop: number;
}

/**
 * Clusters of any size (the follow-up work): KN grouped by link strength (connected components
 * at minStrength), each group verified by suppressing its members one at a time and all
 * together. Clustering only proposes; the suppression verdict decides what is degenerate.
 */
export async function findDegenerateClusters(
  model: Model,
  prompt: string,
  object: string,
  kn: ScoredNeuron[],
  opts: ClusterOptions = {},
): Promise<ClusterResult> {
  const { singleDrop, jointDrop } = thresholds(opts);
  const minStrength = opts.minStrength ?? defaultMinStrength(model.config.hiddenSize);
  const neurons = plain(kn);
  const links = opts.links ?? 'feed+redundancy';
  const conn = await connections(model, neurons);
  const strength = linkStrength(conn, links);
  const groups = clusterByStrength(strength, neurons.length, minStrength);
  const enc = encodePrompt(model.config, model.tokenizer, prompt, object, opts.multiToken);
  // Row 0: nothing suppressed; then per group its members alone, then all of them.
  const sets: Neuron[][] = [[]];
  for (const g of groups)
    sets.push(
      ...g.map((i) => [neurons[i]]),
      g.map((i) => neurons[i]),
    );
  const p = await suppressedProbabilities(model, enc, sets, opts);
  const p0 = p[0];
  let row = 1;
  const clusters = groups.map((members) => {
    const singles = members.map(() => p[row++]);
    const joint = p[row++];
    const degenerate =
      singles.every((q) => q >= (1 - singleDrop) * p0) && joint < (1 - jointDrop) * p0;
    return { members, singles, joint, degenerate };
  });
  return {
    p0,
    neurons,
    connections: conn,
    links,
    strength,
    minStrength,
    clusters,
    singleDrop,
    jointDrop,
  };
}
