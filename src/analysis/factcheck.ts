/**
 * Fact checking with degenerate knowledge neurons (docs/method.md, "Fact checking with DKN").
 *
 * Per relation, the facts are split 80/20. On the 80% (train), the degenerate-pair search runs
 * per fact, and the relation's set D_r is the neurons that occur in degenerate pairs more than
 * floor(0.7 x the largest count) times. On the 20% (test), each fact is stated twice, with its
 * true object and with one wrong object of the same relation; a statement is judged true when the
 * mean attribution over D_r of its object is at least 1e-6. The baseline judges a statement true
 * when the model's top prediction is its object.
 *
 * Metrics use the standard definitions with "the statement is true" as the positive class:
 * precision = TP / (TP + FP), recall = TP / (TP + FN), where FP is a wrong statement judged true
 * and FN a true statement judged wrong. The reference code computes the same confusion matrix
 * but prints recall under the name precision and precision under the name recall.
 */
import { attributeMany, estimateCounts, layoutOf } from '../attribution/attribute';
import type { Model } from '../model';
import { type Prediction, predict } from '../attribution/predict';
import { PromptError, encodePrompt } from '../attribution/prompt';
import { type AttributionSettings, settingsKey } from '../attribution/settings';
import type { Fact } from '../facts/types';
import { mulberry32 } from '../util/random';
import {
  type DatasetProgress,
  type DegenerateSettings,
  MemoryResultStore,
  type ResultStore,
  type RunFailure,
  defaultPromptsPerPass,
  keyPrefix,
  resultKey,
  runDataset,
} from './dataset';
import type { PairSearchResult } from './degenerate';
import { type KnowledgeNeuronOptions, type Neuron, byPosition, neuronKey } from './selection';

// ---------------------------------------------------------------------------------------------
// Split

/**
 * Deterministic train/test split: the items are sorted by id (UTF-16 code units, so the input
 * order does not matter), shuffled by Fisher-Yates (i from the last index down to 1, j =
 * floor(u x (i + 1)) with u from mulberry32(seed)), and the first ceil(testShare x n) become the
 * test set, as scikit-learn's train_test_split sizes it. The reference code's exact split
 * (NumPy's generator over its own data order) is not reproduced.
 */
export function splitFacts<T extends { id: string }>(
  items: readonly T[],
  seed = 42,
  testShare = 0.2,
): { train: T[]; test: T[] } {
  if (!(testShare > 0 && testShare < 1))
    throw new RangeError(`testShare must be between 0 and 1, got ${testShare}`);
  const order = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const random = mulberry32(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nTest = Math.ceil(testShare * order.length);
  return { test: order.slice(0, nTest), train: order.slice(nTest) };
}

// ---------------------------------------------------------------------------------------------
// D_r

export interface NeuronCount extends Neuron {
  count: number;
}

export interface RelationDkn {
  /** D_r: neurons with count > threshold, by layer and unit. */
  neurons: Neuron[];
  /** Every neuron in a degenerate pair and how often, most frequent first. */
  counts: NeuronCount[];
  /** floor(share x the largest count); 0 when there are no pairs. */
  threshold: number;
}

/**
 * The relation's degenerate neurons from its train facts' searches. A neuron counts once per pair
 * it is in (the reference code's count), so it may count several times for one fact.
 */
export function relationDegenerateNeurons(
  searches: readonly PairSearchResult[],
  share = 0.7,
): RelationDkn {
  const counts = new Map<string, NeuronCount>();
  for (const s of searches)
    for (const pair of s.pairs)
      for (const i of [pair.a, pair.b]) {
        const n = s.neurons[i];
        const entry = counts.get(neuronKey(n)) ?? { layer: n.layer, unit: n.unit, count: 0 };
        entry.count++;
        counts.set(neuronKey(n), entry);
      }
  const list = [...counts.values()].sort((a, b) => b.count - a.count || byPosition(a, b));
  const threshold = list.length ? Math.floor(share * list[0].count) : 0;
  const neurons = list
    .filter((n) => n.count > threshold)
    .map(({ layer, unit }) => ({ layer, unit }))
    .sort(byPosition);
  return { neurons, counts: list, threshold };
}

/** Mean attribution over the neurons of a layers x units map; NaN for no neurons. */
export function meanAttribution(
  scores: ArrayLike<number>,
  units: number,
  neurons: readonly Neuron[],
): number {
  let sum = 0;
  for (const n of neurons) sum += scores[n.layer * units + n.unit];
  return sum / neurons.length;
}

// ---------------------------------------------------------------------------------------------
// Metrics

/** Positive class: the statement is true. */
export interface Confusion {
  /** True statements judged true. */
  tp: number;
  /** Wrong statements judged true. */
  fp: number;
  /** True statements judged wrong. */
  fn: number;
  /** Wrong statements judged wrong. */
  tn: number;
}

export interface CheckMetrics {
  confusion: Confusion;
  /** TP / (TP + FP); null when nothing is judged true. */
  precision: number | null;
  /** TP / (TP + FN); null when there is no true statement. */
  recall: number | null;
  /** 2TP / (2TP + FP + FN), the harmonic mean of the two; null when all three are 0. */
  f1: number | null;
  /** (TP + TN) / all; null for no statements. */
  accuracy: number | null;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

export function checkMetrics(c: Confusion): CheckMetrics {
  return {
    confusion: { ...c },
    precision: ratio(c.tp, c.tp + c.fp),
    recall: ratio(c.tp, c.tp + c.fn),
    f1: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn),
    accuracy: ratio(c.tp + c.tn, c.tp + c.fp + c.fn + c.tn),
  };
}

/** The confusion matrix of judgements: each statement's truth and whether it was judged true. */
export function confusion(
  judgements: readonly { truth: boolean; judgedTrue: boolean }[],
): Confusion {
  const c: Confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (const { truth, judgedTrue } of judgements)
    if (truth) c[judgedTrue ? 'tp' : 'fn']++;
    else c[judgedTrue ? 'fp' : 'tn']++;
  return c;
}

// ---------------------------------------------------------------------------------------------
// Checking test facts

/** One statement of a test fact (its true object or a wrong one). */
export interface Statement {
  object: string;
  /** Mean attribution over D_r; null when D_r is empty (the relation cannot be judged). */
  score: number | null;
  /** The model's top prediction at every object slot is the object's token. */
  topMatches: boolean;
  /** P(object), unedited. */
  probability: number;
}

export interface CheckItem {
  factId: string;
  prompt: string;
  true: Statement;
  wrong: Statement;
}

export interface RelationCheck {
  relation: string | null;
  /** Fact ids of each side of the split. */
  train: string[];
  test: string[];
  dkn: RelationDkn;
  items: CheckItem[];
  /** Judged by D_r; null when D_r is empty. */
  withDkn: CheckMetrics | null;
  /** Judged by the top prediction. */
  baseline: CheckMetrics;
}

export interface FactCheckReport {
  language: string;
  seed: number;
  testShare: number;
  dknShare: number;
  threshold: number;
  relations: RelationCheck[];
  /**
   * Summed over the relations with a non-empty D_r, both methods on the same statements (the
   * reference code skips the others too).
   */
  overall: { withDkn: CheckMetrics; baseline: CheckMetrics };
  failures: RunFailure[];
}

export type FactCheckProgress = Omit<DatasetProgress, 'current'> & {
  phase: 'train' | 'test';
  current?: { factId: string; language: string; step: 'attribution' | 'degenerate' | 'check' };
};

export interface FactCheckOptions {
  language: string;
  /** Split seed (42). */
  seed?: number;
  /** Share of each relation's facts held out for testing (0.2). */
  testShare?: number;
  /** D_r keeps neurons counted more than floor(dknShare x max count) times (0.7). */
  dknShare?: number;
  /** A statement is judged wrong when its mean attribution over D_r is below this (1e-6). */
  threshold?: number;
  attribution?: Partial<AttributionSettings>;
  selection?: KnowledgeNeuronOptions;
  degenerate?: DegenerateSettings;
  store?: ResultStore;
  /** Prompts attributed together (default: defaultPromptsPerPass). */
  promptsPerPass?: number;
  signal?: AbortSignal;
  /** Seconds, for the prompt rate (default: performance.now). */
  now?: () => number;
  onProgress?: (p: FactCheckProgress) => void;
}

/** D_r's verdict: a statement is judged true when its mean attribution is >= threshold. */
function judgeByDkn(items: readonly CheckItem[], threshold: number): Confusion {
  return confusion(
    items.flatMap((it) => [
      { truth: true, judgedTrue: it.true.score! >= threshold },
      { truth: false, judgedTrue: it.wrong.score! >= threshold },
    ]),
  );
}

/** The baseline's verdict: a statement is judged true when the model's top prediction is it. */
function judgeByTop(items: readonly CheckItem[]): Confusion {
  return confusion(
    items.flatMap((it) => [
      { truth: true, judgedTrue: it.true.topMatches },
      { truth: false, judgedTrue: it.wrong.topMatches },
    ]),
  );
}

const add = (a: Confusion, b: Confusion): Confusion => ({
  tp: a.tp + b.tp,
  fp: a.fp + b.fp,
  fn: a.fn + b.fn,
  tn: a.tn + b.tn,
});

/** One relation's train/test split (see splitFacts). */
export interface RelationSplit {
  relation: string | null;
  train: Fact[];
  test: Fact[];
}

/**
 * The facts a check in `language` can use (a prompt and a wrong object in the language), split
 * per relation, relations in first-seen order.
 */
export function relationSplits(
  facts: readonly Fact[],
  language: string,
  seed = 42,
  testShare = 0.2,
): RelationSplit[] {
  const eligible = facts.filter(
    (f) => f.prompts.some((p) => p.language === language) && f.wrongObjects?.[language]?.length,
  );
  const relations = [...new Set(eligible.map((f) => f.relation ?? null))];
  return relations.map((relation) => ({
    relation,
    ...splitFacts(
      eligible.filter((f) => (f.relation ?? null) === relation),
      seed,
      testShare,
    ),
  }));
}

/**
 * Fact checking in one language. Eligible facts have a prompt in the language and a wrong object
 * in it; the first prompt and the first wrong object are used (the bundled set lists its wrong
 * objects in a seeded random order). Train searches and test statements are stored in the store,
 * so an interrupted check resumes.
 */
export async function factCheck(
  model: Model,
  facts: readonly Fact[],
  opts: FactCheckOptions,
): Promise<FactCheckReport> {
  const { language } = opts;
  const seed = opts.seed ?? 42;
  const testShare = opts.testShare ?? 0.2;
  const dknShare = opts.dknShare ?? 0.7;
  const threshold = opts.threshold ?? 1e-6;
  const store = opts.store ?? new MemoryResultStore();

  const splits = relationSplits(facts, language, seed, testShare);
  const relations = splits.map((s) => s.relation);

  const train = await runDataset(
    model,
    splits.flatMap((s) => s.train),
    {
      languages: [language],
      attribution: opts.attribution,
      selection: opts.selection,
      degenerate: opts.degenerate ?? true,
      store,
      promptsPerPass: opts.promptsPerPass,
      signal: opts.signal,
      now: opts.now,
      onProgress: (p) => opts.onProgress?.({ ...p, phase: 'train' }),
    },
  );
  const dknOf = relations.map((relation) =>
    relationDegenerateNeurons(
      train.degenerate.filter((d) => d.relation === relation).map((d) => d.search),
      dknShare,
    ),
  );

  const failures = [...train.failures];
  const tests = splits.flatMap((s, r) => s.test.map((fact) => ({ fact, dkn: dknOf[r].neurons })));
  const items = await checkStatements(model, tests, opts, store, failures);

  const reports: RelationCheck[] = relations.map((relation, r) => {
    const test = new Set(splits[r].test.map((f) => f.id));
    const mine = items.filter((it) => test.has(it.factId));
    return {
      relation,
      train: splits[r].train.map((f) => f.id),
      test: [...test],
      dkn: dknOf[r],
      items: mine,
      withDkn: dknOf[r].neurons.length ? checkMetrics(judgeByDkn(mine, threshold)) : null,
      baseline: checkMetrics(judgeByTop(mine)),
    };
  });
  const judged = reports.filter((r) => r.withDkn);
  const zero: Confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
  return {
    language,
    seed,
    testShare,
    dknShare,
    threshold,
    relations: reports,
    overall: {
      withDkn: checkMetrics(judged.map((r) => r.withDkn!.confusion).reduce(add, zero)),
      baseline: checkMetrics(judged.map((r) => r.baseline.confusion).reduce(add, zero)),
    },
    failures,
  };
}

/** Attributes and predicts both statements of every test fact, reusing stored items. */
async function checkStatements(
  model: Model,
  tests: readonly { fact: Fact; dkn: Neuron[] }[],
  opts: FactCheckOptions,
  store: ResultStore,
  failures: RunFailure[],
): Promise<CheckItem[]> {
  const { language } = opts;
  const L = model.numLayers;
  const a = opts.attribution ?? {};
  const stored = new Set(await store.keys(keyPrefix('check', model.id)));
  const jobs = [];
  for (const { fact, dkn } of tests) {
    const prompt = fact.prompts.find((p) => p.language === language)!;
    const wrong = fact.wrongObjects![language][0];
    const key = resultKey('check', model.id, fact.id, language, {
      attribution: settingsKey(a),
      dkn: dkn.map(neuronKey),
      prompt: prompt.text,
      objects: [prompt.object, wrong],
    });
    try {
      let estimate = 0;
      if (!stored.has(key))
        for (const object of [prompt.object, wrong]) {
          const enc = encodePrompt(
            model.config,
            model.tokenizer,
            prompt.text,
            object,
            a.multiToken,
          );
          const c = estimateCounts(model.config, model.arch.causal, layoutOf(enc), a);
          estimate += L + (dkn.length ? c.forward + c.backward : 0);
        }
      jobs.push({ fact, dkn, prompt, wrong, key, estimate });
    } catch (e) {
      if (!(e instanceof PromptError)) throw e;
      failures.push({ factId: fact.id, language, message: e.message });
    }
  }

  const now = opts.now ?? (() => performance.now() / 1000);
  const together = opts.promptsPerPass ?? defaultPromptsPerPass(model, a);
  const progress: FactCheckProgress = {
    phase: 'test',
    done: 0,
    total: jobs.length,
    reused: jobs.filter((j) => j.estimate === 0).length,
    blocks: { done: 0, total: jobs.reduce((s, j) => s + j.estimate, 0) },
    prompts: {
      done: 0,
      total: jobs.filter((j) => j.estimate > 0 && j.dkn.length > 0).length * 2,
      seconds: 0,
    },
  };
  const report = (current?: FactCheckProgress['current']) =>
    opts.onProgress?.({
      ...progress,
      blocks: { ...progress.blocks },
      prompts: { ...progress.prompts },
      current,
    });

  const items: CheckItem[] = [];
  for (const job of jobs) {
    opts.signal?.throwIfAborted();
    let item = (await store.get(job.key)) as CheckItem | undefined;
    if (!item) {
      const current = { factId: job.fact.id, language, step: 'check' as const };
      const objects = [job.prompt.object, job.wrong];
      const predictions: Prediction[] = [];
      for (const object of objects) {
        const enc = encodePrompt(
          model.config,
          model.tokenizer,
          job.prompt.text,
          object,
          a.multiToken,
        );
        const [pred] = await predict(model, enc, [[]], {
          topK: 1,
          tapMode: a.tapMode,
          signal: opts.signal,
        });
        predictions.push(pred);
        progress.blocks.done += L;
        report(current);
      }
      // Both statements' maps in one attribution run where that pays (defaultPromptsPerPass).
      const scores: (number | null)[] = [null, null];
      for (let k = 0; job.dkn.length && k < objects.length; k += together) {
        const base = progress.blocks.done;
        const t0 = now();
        const maps = await attributeMany(
          model,
          objects.slice(k, k + together).map((object) => ({ prompt: job.prompt.text, object })),
          a,
          {
            signal: opts.signal,
            onProgress: ({ done }) => {
              progress.blocks.done = base + done;
              report(current);
            },
          },
        );
        progress.prompts.done += maps.length;
        progress.prompts.seconds += now() - t0;
        maps.forEach(
          (r, i) => (scores[k + i] = meanAttribution(r.scores, model.numUnits, job.dkn)),
        );
      }
      const statement = (k: number): Statement => ({
        object: objects[k],
        score: scores[k],
        topMatches: predictions[k].slots.every((s) => s.top[0].id === s.tokenId),
        probability: predictions[k].probability,
      });
      item = {
        factId: job.fact.id,
        prompt: job.prompt.text,
        true: statement(0),
        wrong: statement(1),
      };
      await store.put(job.key, item);
    }
    items.push(item);
    progress.done++;
    report();
  }
  return items;
}
