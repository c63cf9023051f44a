/**
 * Dataset runs: attribution and knowledge-neuron selection for every fact x language of a fact
 * set, optionally with the degenerate-pair search, stored result by result in a `ResultStore` so
 * a run stopped by the user or a page reload resumes where it stopped. Then the relation-level
 * aggregates the paper plots: KN, LIKN and DKN per layer, and how often each neuron is selected.
 */
import {
  type AttributionResult,
  attributeMany,
  estimateCounts,
  layoutOf,
  promptsPerPass,
} from '../attribution/attribute';
import { type BlockCounts, type Model, addCounts, noCounts } from '../model';
import { PromptError, encodePrompt } from '../attribution/prompt';
import { type AttributionSettings, settingsKey } from '../attribution/settings';
import type { Fact } from '../facts/types';
import { cyrb53 } from '../util/hash';
import {
  type DegeneracyThresholds,
  type PairSearchResult,
  searchDegeneratePairs,
} from './degenerate';
import { languageIndependent } from './overlap';
import {
  DEFAULT_SHARE,
  type KnowledgeNeuronOptions,
  type Neuron,
  type ScoredNeuron,
  type StableNeuron,
  defaultTau,
  neuronKey,
  refineAcrossPrompts,
  selectNeurons,
} from './selection';

// ---------------------------------------------------------------------------------------------
// Result storage

/**
 * Where results persist between runs: IndexedDB in the browser (written by the UI), a Map in
 * Node and tests. Values are structured-cloneable (plain objects, typed arrays).
 */
export interface ResultStore {
  get(key: string): Promise<unknown>;
  put(key: string, value: unknown): Promise<void>;
  /** Every stored key that starts with `prefix`. */
  keys(prefix: string): Promise<string[]>;
}

/** A ResultStore in memory. Values are cloned in and out, as IndexedDB does. */
export class MemoryResultStore implements ResultStore {
  private readonly map = new Map<string, unknown>();

  async get(key: string): Promise<unknown> {
    return this.map.has(key) ? structuredClone(this.map.get(key)) : undefined;
  }

  async put(key: string, value: unknown): Promise<void> {
    this.map.set(key, structuredClone(value));
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.map.keys()].filter((k) => k.startsWith(prefix));
  }
}

/**
 * What a stored result is: KN of a fact x language, its degenerate pairs, a fact-check item, or
 * one prompt's outcome within a dataset run (what a stopped run resumes from mid-item).
 */
export type ResultKind = 'kn' | 'dkn' | 'check' | 'prompt';

/** Bumped when a stored record's shape or meaning changes, so old records are not reused. */
const FORMAT = 'v1';

/** Prefix of every key of one kind for one model (what `keys` lists on resume). */
export function keyPrefix(kind: ResultKind, modelId: string): string {
  return `${kind}/${FORMAT}/${encodeURIComponent(modelId)}/`;
}

/**
 * The key of one result: `kind/v1/<model id>/<options digest>/<fact id>/<language>`, the parts
 * URI-encoded (hub ids contain '/'). The digest covers every option that changes the result,
 * so a run with other settings never reuses it.
 */
export function resultKey(
  kind: ResultKind,
  modelId: string,
  factId: string,
  language: string,
  options: unknown,
): string {
  return `${keyPrefix(kind, modelId)}${digest(options)}/${encodeURIComponent(factId)}/${encodeURIComponent(language)}`;
}

/** 53-bit hash (cyrb53) of the options' canonical JSON, as 14 hex digits. */
export function digest(value: unknown): string {
  return cyrb53(canonicalJson(value)).toString(16).padStart(14, '0');
}

/** JSON with object keys sorted and undefined members dropped: equal options, equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------
// Records

/** Settings of the degenerate-pair search in a dataset run (tap mode and tokens: attribution's). */
export interface DegenerateSettings extends DegeneracyThresholds {
  topK?: number;
  batchSize?: number;
}

/** Attribution and KN of one fact in one language. */
export interface KnRecord {
  factId: string;
  relation: string | null;
  language: string;
  /** The language's prompts of the fact, in the fact's order. */
  prompts: string[];
  object: string;
  /** P(object) per prompt, unedited. */
  probabilities: number[];
  tau: number;
  /** Share of paraphrases a neuron must exceed. */
  p: number;
  /** The fact's KN in this language, refined across its prompts; highest score first. */
  neurons: StableNeuron[];
  /** Block evaluations the attributions took. */
  counts: BlockCounts;
  warnings: string[];
}

/** The degenerate-pair search on the first prompt of a fact in one language. */
export interface DknRecord {
  factId: string;
  relation: string | null;
  language: string;
  prompt: string;
  object: string;
  search: PairSearchResult;
}

/** A fact x language the run could not use, and why (e.g. an object the vocabulary lacks). */
export interface RunFailure {
  factId: string;
  language: string;
  message: string;
}

export interface DatasetProgress {
  /** Fact x language items finished, reused ones included. */
  done: number;
  total: number;
  /** Items found complete in the store when the run started. */
  reused: number;
  /**
   * Block evaluations (one sample through one block, forward or backward) done by this run, and
   * the estimate of all it will do, made up front from the prompts' lengths (estimateCounts) and
   * the pair search's largest size; corrected as each search's real size becomes known.
   */
  blocks: { done: number; total: number };
  /**
   * Prompts attributed by this run, still to attribute (corrected as stored ones are found),
   * and the seconds this run has spent attributing them: the rate is done / seconds.
   */
  prompts: { done: number; total: number; seconds: number };
  current?: { factId: string; language: string; step: 'attribution' | 'degenerate' };
}

/** "3.2 prompts/s" from a run's progress, or '' before the first batch finished. */
export function promptRate(p: Pick<DatasetProgress, 'prompts'>): string {
  const { done, seconds } = p.prompts;
  if (done === 0 || seconds <= 0) return '';
  const rate = done / seconds;
  return `${rate >= 10 ? rate.toFixed(0) : rate >= 1 ? rate.toFixed(1) : rate.toFixed(2)} prompts/s`;
}

/** One prompt of a dataset item: its place among the item's prompts, and what it asks. */
export interface DatasetPrompt {
  factId: string;
  language: string;
  /** 0-based, among the fact's prompts in this language. */
  index: number;
  text: string;
  object: string;
}

/** What a KN record needs of one prompt's attribution. */
export interface PromptOutcome {
  /** P(object), unedited. */
  probability: number;
  counts: BlockCounts;
  warnings: string[];
  /** The prompt's selection: neurons above tau x the map's maximum, highest score first. */
  selected: ScoredNeuron[];
}

/**
 * Per-prompt results: a prompt found here is not attributed again, and each new attribution is
 * handed over as soon as its batch finishes, so a stopped run loses at most the batch in flight.
 * The command line keeps them in its result folders; by default they go to the run's store.
 */
export interface PromptResults {
  get(prompt: DatasetPrompt): Promise<PromptOutcome | undefined>;
  put(prompt: DatasetPrompt, result: AttributionResult, outcome: PromptOutcome): Promise<void>;
}

export interface DatasetOptions {
  /** Languages to run (default: every language the facts have, in first-seen order). */
  languages?: string[];
  attribution?: Partial<AttributionSettings>;
  selection?: KnowledgeNeuronOptions;
  /** Also search degenerate pairs per fact x language (off by default). */
  degenerate?: DegenerateSettings | boolean;
  /** Where results are kept and found again (default: a fresh in-memory store). */
  store?: ResultStore;
  /** Where each prompt's attribution is kept and found again (default: the store). */
  prompts?: PromptResults;
  /** Prompts attributed together (default: defaultPromptsPerPass). */
  promptsPerPass?: number;
  signal?: AbortSignal;
  /** Seconds, for the prompt rate (default: performance.now). */
  now?: () => number;
  onProgress?: (p: DatasetProgress) => void;
}

export interface DatasetResult {
  /** In fact order, then language order. */
  records: KnRecord[];
  degenerate: DknRecord[];
  failures: RunFailure[];
}

const DKN_DEFAULTS = { topK: 20, singleDrop: 0.2, jointDrop: 0.25 };

/** The settings that change a KN record (not the schedule or chunking, which change speed). */
function knSettings(opts: DatasetOptions, language: string) {
  return {
    attribution: settingsKey(opts.attribution),
    tau: defaultTau(language, opts.selection?.tau),
    p: opts.selection?.p ?? DEFAULT_SHARE,
  };
}

/** The settings that change a DKN record (the batch size changes speed only). */
function dknSettings(opts: DatasetOptions) {
  if (!opts.degenerate) return null;
  const d = opts.degenerate === true ? {} : opts.degenerate;
  return {
    topK: d.topK ?? DKN_DEFAULTS.topK,
    singleDrop: d.singleDrop ?? DKN_DEFAULTS.singleDrop,
    jointDrop: d.jointDrop ?? DKN_DEFAULTS.jointDrop,
  };
}

/** Languages with prompts, in first-seen order. */
export function languagesOf(facts: readonly Fact[]): string[] {
  return [...new Set(facts.flatMap((f) => f.prompts.map((p) => p.language)))];
}

/** One fact x language of a run: its prompts, store keys and the work it still needs. */
export interface DatasetItem {
  fact: Fact;
  language: string;
  prompts: { text: string; object: string }[];
  knKey: string;
  dknKey: string | null;
  /** Estimated block evaluations still to do for this item. */
  estimate: { attribution: number; degenerate: number };
}

/** What a dataset run will do, before it starts: its items, what is stored, what cannot run. */
export interface DatasetPlan {
  items: DatasetItem[];
  /** Fact x language items the model cannot encode. */
  failures: RunFailure[];
  /** Items whose results (KN, and DKN when asked) are all in the store already. */
  reused: number;
  /** Estimated block evaluations still to do (see DatasetProgress.blocks). */
  blocks: number;
}

/**
 * The items of a run (every fact x language with prompts), each with its store keys and the
 * work it still needs: what `runDataset` will do, so the UI can say it before starting (how
 * many results a resumed run reuses, and an estimate of the rest).
 */
export async function planDataset(
  model: Model,
  facts: readonly Fact[],
  opts: Omit<DatasetOptions, 'signal' | 'onProgress'> = {},
): Promise<DatasetPlan> {
  const store = opts.store ?? new MemoryResultStore();
  const languages = opts.languages ?? languagesOf(facts);
  const dkn = dknSettings(opts);
  const L = model.numLayers;
  const failures: RunFailure[] = [];

  const stored = new Set([
    ...(await store.keys(keyPrefix('kn', model.id))),
    ...(await store.keys(keyPrefix('dkn', model.id))),
  ]);
  const items: DatasetItem[] = [];
  for (const fact of facts)
    for (const language of languages) {
      const prompts = fact.prompts.filter((p) => p.language === language);
      if (prompts.length === 0) continue;
      const settings = knSettings(opts, language);
      const knKey = resultKey('kn', model.id, fact.id, language, settings);
      const dknKey =
        dkn &&
        resultKey('dkn', model.id, fact.id, language, {
          ...settings,
          ...dkn,
        });
      try {
        items.push({
          fact,
          language,
          prompts: prompts.map((p) => ({ text: p.text, object: p.object })),
          knKey,
          dknKey,
          estimate: {
            attribution: stored.has(knKey) ? 0 : attributionEstimate(model, prompts, opts),
            // Upper bound: the baseline, K singles and K(K-1)/2 pairs, each through every block.
            degenerate:
              dknKey && !stored.has(dknKey) ? (1 + (dkn.topK * (dkn.topK + 1)) / 2) * L : 0,
          },
        });
      } catch (e) {
        if (!(e instanceof PromptError)) throw e;
        failures.push({ factId: fact.id, language, message: e.message });
      }
    }
  return {
    items,
    failures,
    reused: items.filter((it) => it.estimate.attribution === 0 && it.estimate.degenerate === 0)
      .length,
    blocks: items.reduce((s, it) => s + it.estimate.attribution + it.estimate.degenerate, 0),
  };
}

/**
 * Prompts a run attributes together by default. On WebGPU, what promptsPerPass allows: a GPU
 * call's fixed cost (dispatch, read-back) is what a batch shares. On the CPU (onnxruntime-node,
 * WASM) one: batches were measured no faster there (the same CPU seconds on GPT-2 small shapes,
 * docs/benchmarks.md), and one prompt at a time loses the least when a run stops.
 */
export function defaultPromptsPerPass(
  model: Model,
  settings: Partial<AttributionSettings> = {},
): number {
  if (model.runtime.info.backend !== 'webgpu') return 1;
  return promptsPerPass(model.config, model.arch.causal, settings);
}

/** PromptResults in a ResultStore: one record per prompt, under the KN record's settings. */
function storedPromptResults(
  store: ResultStore,
  modelId: string,
  opts: DatasetOptions,
): PromptResults {
  const key = (p: DatasetPrompt) =>
    resultKey('prompt', modelId, p.factId, p.language, {
      ...knSettings(opts, p.language),
      index: p.index,
      text: p.text,
      object: p.object,
    });
  return {
    get: async (p) => (await store.get(key(p))) as PromptOutcome | undefined,
    put: (p, _result, outcome) => store.put(key(p), outcome),
  };
}

/**
 * Runs attribution and KN selection (and, if asked, the degenerate-pair search) for every fact x
 * language, skipping what the store already holds. Prompts are attributed several at a time
 * (promptsPerPass), across items, and each prompt's outcome is stored as soon as its batch
 * finishes. Rejects with the signal's reason when aborted; everything finished before that stays
 * stored, so the same call resumes.
 */
export async function runDataset(
  model: Model,
  facts: readonly Fact[],
  opts: DatasetOptions = {},
): Promise<DatasetResult> {
  const store = opts.store ?? new MemoryResultStore();
  const dkn = dknSettings(opts);
  const L = model.numLayers;
  const { items, failures, reused, blocks } = await planDataset(model, facts, { ...opts, store });
  const now = opts.now ?? (() => performance.now() / 1000);
  const batcher = new PromptBatcher(
    model,
    items,
    { ...opts, prompts: opts.prompts ?? storedPromptResults(store, model.id, opts) },
    now,
  );

  const records: KnRecord[] = [];
  const degenerate: DknRecord[] = [];
  const progress: DatasetProgress = {
    done: 0,
    total: items.length,
    reused,
    blocks: { done: 0, total: blocks },
    prompts: batcher.prompts,
  };
  const report = (current?: DatasetProgress['current']) =>
    opts.onProgress?.({
      ...progress,
      blocks: { ...progress.blocks },
      prompts: { ...progress.prompts },
      current,
    });
  batcher.onWork = (work, item) => {
    progress.blocks.done += work.done;
    progress.blocks.total += work.done - work.estimated;
    report({ factId: item.fact.id, language: item.language, step: 'attribution' });
  };
  // Before any work: how much of the run a resume reuses.
  report();

  for (const [index, item] of items.entries()) {
    opts.signal?.throwIfAborted();
    const { fact, language } = item;
    let record = (await store.get(item.knKey)) as KnRecord | undefined;
    if (!record || !samePrompts(record, item)) {
      // A stale record was counted as done up front: its prompts come on top.
      if (item.estimate.attribution === 0) {
        const added = batcher.reopen(index);
        progress.blocks.total += added;
      }
      record = knRecord(item, opts, await batcher.outcomes(index));
      await store.put(item.knKey, record);
    }
    records.push(record);

    if (dkn && item.dknKey) {
      let found = (await store.get(item.dknKey)) as DknRecord | undefined;
      if (!found || found.prompt !== item.prompts[0].text || found.object !== record.object) {
        const base = progress.blocks.done;
        const first = item.prompts[0];
        const search = await searchDegeneratePairs(
          model,
          first.text,
          first.object,
          record.neurons,
          {
            ...dkn,
            batchSize: typeof opts.degenerate === 'object' ? opts.degenerate.batchSize : undefined,
            tapMode: opts.attribution?.tapMode,
            multiToken: opts.attribution?.multiToken,
            signal: opts.signal,
            onProgress: (p) => {
              progress.blocks.done = base + p.done * L;
              report({ factId: fact.id, language, step: 'degenerate' });
            },
          },
        );
        progress.blocks.total += progress.blocks.done - base - item.estimate.degenerate;
        found = {
          factId: fact.id,
          relation: fact.relation ?? null,
          language,
          prompt: first.text,
          object: first.object,
          search,
        };
        await store.put(item.dknKey, found);
      }
      degenerate.push(found);
    }
    progress.done++;
    report();
  }
  return { records, degenerate, failures };
}

/** Block evaluations one prompt's attribution takes alone (the plan's count, exact). */
function promptEstimate(
  model: Model,
  p: { text: string; object: string },
  opts: DatasetOptions,
): number {
  const enc = encodePrompt(
    model.config,
    model.tokenizer,
    p.text,
    p.object,
    opts.attribution?.multiToken,
  );
  const c = estimateCounts(model.config, model.arch.causal, layoutOf(enc), opts.attribution);
  return c.forward + c.backward;
}

function attributionEstimate(
  model: Model,
  prompts: readonly { text: string; object: string }[],
  opts: DatasetOptions,
): number {
  return prompts.reduce((n, p) => n + promptEstimate(model, p, opts), 0);
}

/** A prompt of the run: its item, and its place in it. */
interface PendingPrompt {
  item: number;
  prompt: DatasetPrompt;
}

/**
 * The prompts of a run's items, attributed in batches: asked for an item's outcomes, it runs
 * the item's missing prompts together with the next items' (up to the batch size), stores each
 * outcome as its batch finishes, and keeps the outcomes of items not reached yet.
 */
class PromptBatcher {
  private readonly kept = new Map<string, PromptOutcome>();
  /** Items whose prompts the run attributes (those the store lacks, and stale ones reopened). */
  private readonly open: boolean[];
  private readonly size: number;
  /** Progress of the run in prompts (DatasetProgress.prompts), updated in place. */
  readonly prompts = { done: 0, total: 0, seconds: 0 };
  onWork: (work: { done: number; estimated: number }, item: DatasetItem) => void = () => {};

  constructor(
    private readonly model: Model,
    private readonly items: readonly DatasetItem[],
    private readonly opts: DatasetOptions & { prompts: PromptResults },
    private readonly now: () => number,
  ) {
    this.open = items.map((it) => it.estimate.attribution > 0);
    this.prompts.total = items.reduce((n, it, i) => n + (this.open[i] ? it.prompts.length : 0), 0);
    this.size = Math.max(1, opts.promptsPerPass ?? defaultPromptsPerPass(model, opts.attribution));
  }

  /** Opens an item counted as stored (its record is stale); returns its estimated blocks. */
  reopen(index: number): number {
    this.open[index] = true;
    const item = this.items[index];
    this.prompts.total += item.prompts.length;
    return attributionEstimate(this.model, item.prompts, this.opts);
  }

  private promptsOf(index: number): DatasetPrompt[] {
    const item = this.items[index];
    return item.prompts.map((p, i) => ({
      factId: item.fact.id,
      language: item.language,
      index: i,
      ...p,
    }));
  }

  private keyOf(p: DatasetPrompt): string {
    return `${p.factId}\u0000${p.language}\u0000${p.index}`;
  }

  /** The outcome of a prompt found without attributing it (kept, or stored by an earlier run). */
  private async found(index: number, p: DatasetPrompt): Promise<PromptOutcome | undefined> {
    const key = this.keyOf(p);
    let outcome = this.kept.get(key);
    if (!outcome) {
      outcome = await this.opts.prompts.get(p);
      if (outcome) {
        this.kept.set(key, outcome);
        // Stored by an earlier run: not this run's work after all.
        this.prompts.total--;
        this.onWork(
          { done: 0, estimated: promptEstimate(this.model, p, this.opts) },
          this.items[index],
        );
      }
    }
    return outcome;
  }

  /** The outcomes of item `index`'s prompts, in order, attributing what is missing. */
  async outcomes(index: number): Promise<PromptOutcome[]> {
    const out: PromptOutcome[] = [];
    for (const p of this.promptsOf(index)) {
      let outcome = await this.found(index, p);
      if (!outcome) {
        await this.runBatch(await this.batchFrom(index, p));
        outcome = this.kept.get(this.keyOf(p))!;
      }
      out.push(outcome);
    }
    // Once the item's record is stored, the run does not need its prompts again.
    for (const p of this.promptsOf(index)) this.kept.delete(this.keyOf(p));
    return out;
  }

  /** `first` and the next missing prompts, of this item and the open items after it. */
  private async batchFrom(index: number, first: DatasetPrompt): Promise<PendingPrompt[]> {
    const batch: PendingPrompt[] = [{ item: index, prompt: first }];
    for (let i = index; i < this.items.length && batch.length < this.size; i++) {
      if (!this.open[i]) continue;
      for (const p of this.promptsOf(i)) {
        if (batch.length >= this.size) break;
        if (i === index && p.index <= first.index) continue;
        if (!(await this.found(i, p))) batch.push({ item: i, prompt: p });
      }
    }
    return batch;
  }

  private async runBatch(batch: PendingPrompt[]): Promise<void> {
    const { model, opts } = this;
    const t0 = this.now();
    const lead = this.items[batch[0].item];
    let reported = 0;
    const results = await attributeMany(
      model,
      batch.map(({ prompt }) => ({ prompt: prompt.text, object: prompt.object })),
      opts.attribution,
      {
        signal: opts.signal,
        onProgress: ({ done }) => {
          this.onWork({ done: done - reported, estimated: 0 }, lead);
          reported = done;
        },
      },
    );
    // What the batch took against what the plan counted for its prompts one at a time.
    const estimated = batch.reduce((n, b) => n + promptEstimate(model, b.prompt, opts), 0);
    this.onWork({ done: 0, estimated }, lead);
    for (const [k, { prompt }] of batch.entries()) {
      const r = results[k];
      const tau = defaultTau(prompt.language, opts.selection?.tau);
      const outcome: PromptOutcome = {
        probability: r.probability,
        counts: r.counts,
        warnings: r.warnings,
        selected: selectNeurons(r.scores, model.numLayers, model.numUnits, { tau }),
      };
      await opts.prompts.put(prompt, r, outcome);
      this.kept.set(this.keyOf(prompt), outcome);
      this.prompts.done++;
    }
    this.prompts.seconds += this.now() - t0;
  }
}

/** An item's KN record from its prompts' outcomes. */
function knRecord(
  item: DatasetItem,
  opts: DatasetOptions,
  outcomes: readonly PromptOutcome[],
): KnRecord {
  const counts = noCounts();
  for (const o of outcomes) addCounts(counts, o.counts);
  // As knowledgeNeuronsByLanguage: each prompt's set at the language's tau, refined across them.
  return {
    factId: item.fact.id,
    relation: item.fact.relation ?? null,
    language: item.language,
    prompts: item.prompts.map((p) => p.text),
    object: item.prompts[0].object,
    probabilities: outcomes.map((o) => o.probability),
    tau: defaultTau(item.language, opts.selection?.tau),
    p: opts.selection?.p ?? DEFAULT_SHARE,
    neurons: refineAcrossPrompts(
      outcomes.map((o) => o.selected),
      opts.selection?.p,
    ),
    counts,
    warnings: outcomes.flatMap((o) => o.warnings),
  };
}

/** A stored record is reused only for the same prompts and object (the fact set may change). */
function samePrompts(record: KnRecord, item: DatasetItem): boolean {
  return (
    record.prompts.length === item.prompts.length &&
    record.prompts.every((t, i) => t === item.prompts[i].text) &&
    record.object === item.prompts[0].object
  );
}

// ---------------------------------------------------------------------------------------------
// Aggregates

export interface LayerAggregate {
  /** Relation id, or null for all relations together. */
  relation: string | null;
  /** Facts with at least one KN record. */
  facts: number;
  /** Per language: KN per layer, summed over facts (the paper's layer-distribution bars). */
  kn: Record<string, number[]>;
  /** LIKN per layer: neurons in the KN of every run language of a fact. */
  likn: number[];
  /** Facts with KN in every run language (the only ones that can have LIKN). */
  liknFacts: number;
  /** Per language: DKN per layer, i.e. neurons in at least one degenerate pair of a fact. */
  dkn: Record<string, number[]>;
  /** Per language: layers x units, row-major: for how many facts each neuron is a KN. */
  frequency: Record<string, Uint32Array>;
}

export interface DatasetAggregates {
  overall: LayerAggregate;
  /** One per relation, in first-seen order. */
  relations: LayerAggregate[];
}

/**
 * Relation-level and overall aggregates of a run's records. LIKN needs a fact's KN in every
 * language in `languages` (default: all languages among the records).
 */
export function aggregateDataset(
  records: readonly KnRecord[],
  degenerate: readonly DknRecord[],
  layers: number,
  units: number,
  languages: readonly string[] = [...new Set(records.map((r) => r.language))],
): DatasetAggregates {
  const empty = (relation: string | null): LayerAggregate => ({
    relation,
    facts: 0,
    kn: Object.fromEntries(languages.map((l) => [l, new Array(layers).fill(0)])),
    likn: new Array(layers).fill(0),
    liknFacts: 0,
    dkn: Object.fromEntries(languages.map((l) => [l, new Array(layers).fill(0)])),
    frequency: Object.fromEntries(languages.map((l) => [l, new Uint32Array(layers * units)])),
  });
  const overall = empty(null);
  const byRelation = new Map<string | null, LayerAggregate>();
  const targets = (relation: string | null) => {
    if (!byRelation.has(relation)) byRelation.set(relation, empty(relation));
    return [overall, byRelation.get(relation)!];
  };

  const byFact = new Map<string, KnRecord[]>();
  for (const r of records) {
    if (!languages.includes(r.language)) continue;
    byFact.set(r.factId, [...(byFact.get(r.factId) ?? []), r]);
  }
  for (const [, recs] of byFact) {
    const relation = recs[0].relation;
    const aggs = targets(relation);
    for (const agg of aggs) agg.facts++;
    for (const r of recs)
      for (const n of r.neurons)
        for (const agg of aggs) {
          agg.kn[r.language][n.layer]++;
          agg.frequency[r.language][n.layer * units + n.unit]++;
        }
    const covered = new Set(recs.map((r) => r.language));
    if (languages.length > 1 && languages.every((l) => covered.has(l))) {
      const shared = languageIndependent(
        Object.fromEntries(recs.map((r) => [r.language, r.neurons])),
      );
      for (const agg of aggs) {
        agg.liknFacts++;
        for (const n of shared) agg.likn[n.layer]++;
      }
    }
  }
  for (const d of degenerate) {
    if (!languages.includes(d.language)) continue;
    const members = new Map<string, Neuron>();
    for (const pair of d.search.pairs)
      for (const i of [pair.a, pair.b])
        members.set(neuronKey(d.search.neurons[i]), d.search.neurons[i]);
    for (const agg of targets(d.relation))
      for (const n of members.values()) agg.dkn[d.language][n.layer]++;
  }
  return { overall, relations: [...byRelation.values()] };
}
