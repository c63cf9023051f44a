/**
 * The analyses as the views and the worker use them (issue #6): language overlap of a fact,
 * intervention-lab runs, degenerate pairs and clusters of a prompt, fact checking, and dataset
 * runs. Each is a plain function of a loaded `Model` and serialisable arguments that returns a
 * serialisable result (plain objects and typed arrays, which structured clone carries), takes an
 * AbortSignal and reports progress. The engine worker exposes them; Node tests run them on the
 * planted models (tests/planted).
 */
import {
  type AttributionResult,
  attribute,
  estimateCounts,
  layoutOf,
} from '../attribution/attribute';
import type { Model, TapMode } from '../model';
import { type MultiTokenMode, PromptError, encodePrompt } from '../attribution/prompt';
import { type AttributionSettings, settingsKey } from '../attribution/settings';
import {
  type DatasetAggregates,
  type DatasetOptions,
  type DatasetProgress,
  type DatasetResult,
  type ResultStore,
  type RunFailure,
  aggregateDataset,
  languagesOf,
  runDataset,
} from './dataset';
import {
  type ClusterResult,
  type LinkMode,
  type PairSearchResult,
  findDegenerateClusters,
  searchDegeneratePairs,
} from './degenerate';
import {
  type FactCheckOptions,
  type FactCheckProgress,
  type FactCheckReport,
  factCheck,
} from './factcheck';
import {
  type InterventionEffect,
  type InterventionKind,
  interventionEffects,
} from './interventions';
import { type LanguageOverlap, languageOverlap } from './overlap';
import {
  type KnowledgeNeuronOptions,
  type LanguageNeurons,
  type Neuron,
  type ScoredNeuron,
  byPosition,
  knowledgeNeuronsByLanguage,
  neuronKey,
} from './selection';
import type { Fact } from '../facts/types';
import {
  type NeuronSetChoice,
  type NeuronSetSources,
  neuronSetName,
  resolveNeuronSet,
} from './neuron-sets';

/** How far a service is: `done` of `total` units of work (block evaluations, prompts, items). */
export interface ServiceProgress {
  done: number;
  total: number;
}

export interface ServiceOptions<P = ServiceProgress> {
  signal?: AbortSignal;
  onProgress?: (p: P) => void;
}

/** One prompt as the services take it (a `Prompt` of a fact is one). */
export interface PromptRef {
  language: string;
  text: string;
  object: string;
}

// ---------------------------------------------------------------------------------------------
// Overlap of a fact across languages

export interface OverlapRequest {
  fact: Fact;
  attribution?: Partial<AttributionSettings>;
  /** Per-language tau and the paraphrase share p (defaults: the paper's). */
  selection?: KnowledgeNeuronOptions;
  /**
   * Attribution maps the caller already holds (the app's result cache). A map is reused for the
   * prompt with its text and object when its method, steps, score, tap and multi-token mode are
   * the request's; every other prompt is attributed here.
   */
  known?: AttributionResult[];
}

export interface OverlapPrompt extends PromptRef {
  /** P(object), unedited. */
  probability: number;
  /** layers x units. */
  scores: Float32Array;
  /** Taken from `known` rather than attributed by this call. */
  reused: boolean;
}

export interface FactOverlap {
  factId: string;
  model: string;
  layers: number;
  units: number;
  /** The prompts that could be attributed, in the fact's order. */
  prompts: OverlapPrompt[];
  /** KN per language (its tau, each prompt's selection, the refined set). */
  languages: LanguageNeurons[];
  /** Sizes, LIKN and the exclusive intersections of the languages' KN sets. */
  overlap: LanguageOverlap;
  /** Prompts the model cannot encode (e.g. an object outside its vocabulary). */
  failures: RunFailure[];
}

export interface OverlapProgress extends ServiceProgress {
  /** The prompt being attributed. */
  current?: PromptRef;
}

export interface OverlapOptions extends ServiceOptions<OverlapProgress> {
  /** Called with each map this call attributes (not the reused ones), so the caller can keep it. */
  onAttribution?: (result: AttributionResult) => void;
}

/**
 * Attributes each prompt of a fact (reusing maps the caller has), selects each language's
 * knowledge neurons with its tau, and intersects them: LIKN and the exclusive regions that the
 * Venn and UpSet views draw.
 */
export async function factOverlap(
  model: Model,
  request: OverlapRequest,
  opts: OverlapOptions = {},
): Promise<FactOverlap> {
  const { fact } = request;
  const settings = settingsKey(request.attribution);
  const known = (request.known ?? []).filter(
    (r) =>
      r.layers === model.numLayers && r.units === model.numUnits && settingsKey(r) === settings,
  );
  const failures: RunFailure[] = [];
  const jobs: { prompt: PromptRef; cached?: AttributionResult; estimate: number }[] = [];
  for (const p of fact.prompts) {
    const prompt = { language: p.language, text: p.text, object: p.object };
    const cached = known.find((r) => r.prompt === p.text && r.object === p.object);
    try {
      const enc = encodePrompt(
        model.config,
        model.tokenizer,
        p.text,
        p.object,
        request.attribution?.multiToken,
      );
      const c = estimateCounts(model.config, model.arch.causal, layoutOf(enc), request.attribution);
      jobs.push({ prompt, cached, estimate: cached ? 0 : c.forward + c.backward });
    } catch (e) {
      if (!(e instanceof PromptError)) throw e;
      failures.push({ factId: fact.id, language: p.language, message: e.message });
    }
  }
  const total = jobs.reduce((s, j) => s + j.estimate, 0);
  let done = 0;
  const prompts: OverlapPrompt[] = [];
  for (const job of jobs) {
    opts.signal?.throwIfAborted();
    let result = job.cached;
    if (!result) {
      const base = done;
      result = await attribute(model, job.prompt.text, job.prompt.object, request.attribution, {
        signal: opts.signal,
        onProgress: (p) => opts.onProgress?.({ done: base + p.done, total, current: job.prompt }),
      });
      done = base + job.estimate;
      opts.onAttribution?.(result);
    }
    prompts.push({
      ...job.prompt,
      probability: result.probability,
      scores: result.scores,
      reused: !!job.cached,
    });
  }
  opts.onProgress?.({ done: total, total });
  const languages = knowledgeNeuronsByLanguage(
    prompts.map((p) => ({ language: p.language, scores: p.scores })),
    model.numLayers,
    model.numUnits,
    request.selection,
  );
  return {
    factId: fact.id,
    model: model.id,
    layers: model.numLayers,
    units: model.numUnits,
    prompts,
    languages,
    overlap: languageOverlap(Object.fromEntries(languages.map((l) => [l.language, l.neurons]))),
    failures,
  };
}

// ---------------------------------------------------------------------------------------------
// Intervention lab

export interface LabRequest {
  /** The fact set: the targets' prompts, and the pool unrelated facts are drawn from. */
  facts: Fact[];
  choice: NeuronSetChoice;
  /**
   * The facts to intervene on, each with its sources. The lab's own fact alone gives its
   * before/after table; all facts of some relations give the per-relation effect bars.
   */
  targets: { factId: string; sources: NeuronSetSources }[];
  /** Suppress (x0) and enhance (x2) by default. */
  kinds?: InterventionKind[];
  /** Languages measured (default: each fact's). */
  languages?: string[];
  /** Top predictions kept per slot (5). */
  topK?: number;
  /** Seeds the unrelated fact (42). */
  seed?: number;
  tapMode?: TapMode;
  multiToken?: MultiTokenMode;
}

export interface LabResult {
  choice: NeuronSetChoice;
  /** neuronSetName(choice). */
  name: string;
  /** One per target with a non-empty set and per kind, in target order. */
  effects: InterventionEffect[];
  /** Targets whose set was empty (nothing to intervene on), by fact id. */
  empty: string[];
  /** Prompts skipped because the model cannot encode them. */
  warnings: string[];
}

export interface LabProgress extends ServiceProgress {
  /** Targets finished and in all. */
  facts: ServiceProgress;
  factId?: string;
}

/**
 * Suppresses and enhances the chosen set of each target fact and measures P(object) and the
 * top predictions on the fact's prompts and on an unrelated fact's, in every language.
 */
export async function interventionLab(
  model: Model,
  request: LabRequest,
  opts: ServiceOptions<LabProgress> = {},
): Promise<LabResult> {
  const kinds = request.kinds ?? ['suppress', 'enhance'];
  const name = neuronSetName(request.choice);
  const effects: InterventionEffect[] = [];
  const warnings: string[] = [];
  const empty: string[] = [];
  const runs = request.targets.flatMap(({ factId, sources }) => {
    const neurons = resolveNeuronSet(request.choice, sources);
    if (neurons.length === 0) {
      empty.push(factId);
      return [];
    }
    return [{ factId, neurons }];
  });
  for (const [i, run] of runs.entries()) {
    opts.signal?.throwIfAborted();
    const r = await interventionEffects(
      model,
      request.facts,
      run.factId,
      kinds.map((kind) => ({ name, kind, neurons: run.neurons })),
      {
        languages: request.languages,
        seed: request.seed,
        topK: request.topK ?? 5,
        tapMode: request.tapMode,
        multiToken: request.multiToken,
        signal: opts.signal,
        onProgress: (p) =>
          opts.onProgress?.({ ...p, facts: { done: i, total: runs.length }, factId: run.factId }),
      },
    );
    effects.push(...r.effects);
    warnings.push(...r.warnings);
  }
  opts.onProgress?.({
    done: runs.length,
    total: runs.length,
    facts: { done: runs.length, total: runs.length },
  });
  return { choice: request.choice, name, effects, empty, warnings };
}

// ---------------------------------------------------------------------------------------------
// Degenerate pairs and clusters of one prompt

export interface DegenerateRequest {
  prompt: PromptRef;
  /** The prompt's KN, highest score first; when left out, attributed and selected here. */
  kn?: ScoredNeuron[];
  attribution?: Partial<AttributionSettings>;
  selection?: KnowledgeNeuronOptions;
  /** Top K KN searched for pairs (20), and the two probability thresholds (0.2, 0.25). */
  topK?: number;
  singleDrop?: number;
  jointDrop?: number;
  /** Clustering of all KN by connection strength; false skips it. */
  clusters?: { links?: LinkMode; minStrength?: number } | false;
  /** Suppressed sets per forward batch (64). */
  batchSize?: number;
}

/** One degenerate group of neurons, found as a pair, as a verified cluster, or as both. */
export interface DegenerateGroup {
  neurons: Neuron[];
  /** 'pair': the pairwise search; 'cluster': a verified cluster; 'both': the same set twice. */
  source: 'pair' | 'cluster' | 'both';
  /** P(object) with each member suppressed alone, in `neurons` order. */
  singles: number[];
  /** P(object) with all members suppressed. */
  joint: number;
}

export interface DegenerateResult extends PromptRef {
  model: string;
  /** P(object), unedited. */
  p0: number;
  /** The prompt's KN the searches started from. */
  kn: ScoredNeuron[];
  pairs: PairSearchResult;
  clusters: ClusterResult | null;
  /** The degenerate pairs and verified clusters, each set once: the lab's DKN groups. */
  groups: DegenerateGroup[];
}

export interface DegenerateProgress extends ServiceProgress {
  phase: 'attribution' | 'pairs' | 'clusters';
}

/**
 * The paper's pair search over the top K KN of a prompt, and the follow-up work's clusters over
 * all of them, verified by suppression; both with the full single/joint probabilities the
 * matrix view draws.
 */
export async function degenerateForPrompt(
  model: Model,
  request: DegenerateRequest,
  opts: ServiceOptions<DegenerateProgress> = {},
): Promise<DegenerateResult> {
  const { prompt } = request;
  const tapMode = request.attribution?.tapMode;
  const multiToken = request.attribution?.multiToken;
  let kn = request.kn;
  if (!kn) {
    const r = await attribute(model, prompt.text, prompt.object, request.attribution, {
      signal: opts.signal,
      onProgress: (p) => opts.onProgress?.({ phase: 'attribution', ...p }),
    });
    [{ neurons: kn }] = knowledgeNeuronsByLanguage(
      [{ language: prompt.language, scores: r.scores }],
      model.numLayers,
      model.numUnits,
      request.selection,
    );
  }
  const thresholds = { singleDrop: request.singleDrop, jointDrop: request.jointDrop };
  const run = { tapMode, multiToken, batchSize: request.batchSize, signal: opts.signal };
  const pairs = await searchDegeneratePairs(model, prompt.text, prompt.object, kn, {
    ...thresholds,
    ...run,
    topK: request.topK,
    onProgress: (p) => opts.onProgress?.({ phase: 'pairs', ...p }),
  });
  const clusters =
    request.clusters === false
      ? null
      : await findDegenerateClusters(model, prompt.text, prompt.object, kn, {
          ...thresholds,
          ...run,
          ...request.clusters,
          onProgress: (p) => opts.onProgress?.({ phase: 'clusters', ...p }),
        });
  return {
    ...prompt,
    model: model.id,
    p0: pairs.p0,
    kn: kn.map(({ layer, unit, score }) => ({ layer, unit, score })),
    pairs,
    clusters,
    groups: degenerateGroups(pairs, clusters),
  };
}

/** Pairs, then verified clusters, merged where they are the same set of neurons. */
export function degenerateGroups(
  pairs: PairSearchResult,
  clusters: ClusterResult | null,
): DegenerateGroup[] {
  const K = pairs.neurons.length;
  const groups = new Map<string, DegenerateGroup>();
  const keyOf = (ns: Neuron[]) => ns.map(neuronKey).join(' ');
  for (const p of pairs.pairs) {
    const idx = [p.a, p.b];
    const neurons = idx.map((i) => pairs.neurons[i]);
    groups.set(keyOf([...neurons].sort(byPosition)), {
      neurons: plainNeurons(neurons),
      source: 'pair',
      singles: idx.map((i) => pairs.matrix[i * K + i]),
      joint: p.probability,
    });
  }
  for (const c of clusters?.clusters ?? []) {
    if (!c.degenerate) continue;
    const neurons = c.members.map((i) => clusters!.neurons[i]);
    const key = keyOf([...neurons].sort(byPosition));
    const seen = groups.get(key);
    if (seen) seen.source = 'both';
    else
      groups.set(key, {
        neurons: plainNeurons(neurons),
        source: 'cluster',
        singles: c.singles,
        joint: c.joint,
      });
  }
  return [...groups.values()];
}

const plainNeurons = (ns: readonly Neuron[]): Neuron[] =>
  ns.map(({ layer, unit }) => ({ layer, unit }));

// ---------------------------------------------------------------------------------------------
// Fact checking

export interface FactCheckRequest extends Omit<
  FactCheckOptions,
  'store' | 'signal' | 'onProgress'
> {
  facts: Fact[];
  /** The relations to check (null: facts without one); all relations when left out. */
  relations?: (string | null)[];
}

export interface StoreOptions<P> extends ServiceOptions<P> {
  /** Where results persist (IdbResultStore in the worker); a fresh memory store otherwise. */
  store?: ResultStore;
}

/** Fact checking with DKN (and the top-prediction baseline) on the chosen relations. */
export function factCheckRelations(
  model: Model,
  request: FactCheckRequest,
  opts: StoreOptions<FactCheckProgress> = {},
): Promise<FactCheckReport> {
  const { facts, relations, ...options } = request;
  const chosen = relations && new Set(relations);
  return factCheck(model, chosen ? facts.filter((f) => chosen.has(f.relation ?? null)) : facts, {
    ...options,
    ...opts,
  });
}

// ---------------------------------------------------------------------------------------------
// Dataset runs

export interface DatasetRequest extends Omit<DatasetOptions, 'store' | 'signal' | 'onProgress'> {
  facts: Fact[];
}

export interface DatasetRun extends DatasetResult {
  model: string;
  layers: number;
  units: number;
  /** The languages run, in order. */
  languages: string[];
  /** KN, LIKN and DKN per layer and selection frequencies, overall and per relation. */
  aggregates: DatasetAggregates;
}

/**
 * Attribution, KN and (optionally) degenerate pairs for every fact x language, with the
 * aggregates the layer-distribution and frequency views draw. Every finished item is stored, so
 * calling it again with the same store after an abort or a reload resumes.
 */
export async function runDatasetService(
  model: Model,
  request: DatasetRequest,
  opts: StoreOptions<DatasetProgress> = {},
): Promise<DatasetRun> {
  const { facts, ...options } = request;
  const languages = options.languages ?? languagesOf(facts);
  const result = await runDataset(model, facts, { ...options, languages, ...opts });
  return {
    ...result,
    model: model.id,
    layers: model.numLayers,
    units: model.numUnits,
    languages,
    aggregates: aggregateDataset(
      result.records,
      result.degenerate,
      model.numLayers,
      model.numUnits,
      languages,
    ),
  };
}
