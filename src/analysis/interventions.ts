/**
 * Activation interventions (docs/method.md, "Interventions"): suppress (x0) or enhance (x2) a set
 * of neurons at the target positions and measure P(object) on the fact's own prompts (related)
 * and on a random other fact's prompts (unrelated), per language. Neurons chosen in one language
 * can be measured on every other language's prompts (cross-lingual effects).
 */
import type { Model, TapMode } from '../model';
import { type NeuronEdit, type Prediction, predict } from '../attribution/predict';
import { type MultiTokenMode, PromptError, encodePrompt } from '../attribution/prompt';
import type { Fact, Prompt } from '../facts/types';
import { hashSeed, mulberry32 } from '../util/random';
import { languageIndependent } from './overlap';
import type { Neuron } from './selection';

export type InterventionKind = 'suppress' | 'enhance';

/** What the tapped activation is multiplied by. */
export const INTERVENTION_FACTOR: Readonly<Record<InterventionKind, number>> = {
  suppress: 0,
  enhance: 2,
};

/** A named neuron set and what to do to it. */
export interface Intervention {
  /** Label for views, e.g. the language the neurons were selected in, or 'LIKN'. */
  name: string;
  kind: InterventionKind;
  neurons: Neuron[];
}

export interface PromptEffect {
  language: string;
  text: string;
  object: string;
  before: Prediction;
  after: Prediction;
  /** (p_after - p_before) / p_before; NaN when p_before is 0. */
  relativeChange: number;
}

export interface LanguageEffect {
  language: string;
  related: PromptEffect[];
  unrelated: PromptEffect[];
  /** The fact the unrelated prompts come from; null when no other fact has this language. */
  unrelatedFactId: string | null;
  /** Mean relative change over the prompts with a finite one; NaN when there is none. */
  meanRelated: number;
  meanUnrelated: number;
}

export interface InterventionEffect {
  factId: string;
  relation?: string;
  intervention: Intervention;
  languages: LanguageEffect[];
}

export interface EffectsResult {
  effects: InterventionEffect[];
  /** Prompts skipped because the model cannot encode them, with the reason. */
  warnings: string[];
}

export interface EffectOptions {
  /** Languages to measure (default: the fact's, in order of first prompt). */
  languages?: string[];
  /** Seeds the choice of the unrelated fact (42); the same seed and fact give the same choice. */
  seed?: number;
  topK?: number;
  tapMode?: TapMode;
  multiToken?: MultiTokenMode;
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number }) => void;
}

/**
 * Measures each intervention on the fact's prompts and on an unrelated fact's prompts, in each
 * language. Every prompt runs once, with the unedited model and all interventions as variants
 * of one batch.
 */
export async function interventionEffects(
  model: Model,
  facts: readonly Fact[],
  factId: string,
  interventions: readonly Intervention[],
  opts: EffectOptions = {},
): Promise<EffectsResult> {
  const fact = facts.find((f) => f.id === factId);
  if (!fact) throw new RangeError(`no fact with id ${factId}`);
  const languages = opts.languages ?? languagesOf(fact);
  const unrelated = pickUnrelated(facts, fact, languages, opts.seed ?? 42);
  const variants: NeuronEdit[][] = [
    [],
    ...interventions.map((iv) =>
      iv.neurons.map((n) => ({
        layer: n.layer,
        unit: n.unit,
        factor: INTERVENTION_FACTOR[iv.kind],
      })),
    ),
  ];
  const jobs = languages.flatMap((language) => [
    ...promptsIn(fact, language).map((prompt) => ({ language, prompt, related: true })),
    ...promptsIn(unrelated[language], language).map((prompt) => ({
      language,
      prompt,
      related: false,
    })),
  ]);
  const warnings: string[] = [];
  // measured[job][variant]: one prediction per variant, null where the prompt was skipped.
  const measured: (Prediction[] | null)[] = [];
  for (const job of jobs) {
    opts.signal?.throwIfAborted();
    measured.push(await measure(model, job.prompt, variants, opts, warnings));
    opts.onProgress?.({ done: measured.length, total: jobs.length });
  }
  const effects = interventions.map((intervention, v) => ({
    factId: fact.id,
    ...(fact.relation !== undefined ? { relation: fact.relation } : {}),
    intervention,
    languages: languages.map((language) => {
      const collect = (related: boolean) =>
        jobs.flatMap((job, j) => {
          const m = measured[j];
          if (!m || job.language !== language || job.related !== related) return [];
          return [promptEffect(job.prompt, m[0], m[v + 1])];
        });
      const rel = collect(true);
      const unrel = collect(false);
      return {
        language,
        related: rel,
        unrelated: unrel,
        unrelatedFactId: unrelated[language]?.id ?? null,
        meanRelated: finiteMean(rel.map((e) => e.relativeChange)),
        meanUnrelated: finiteMean(unrel.map((e) => e.relativeChange)),
      };
    }),
  }));
  return { effects, warnings };
}

/** Name of the intervention on the language-independent neurons in crossLingualEffects. */
export const LIKN = 'LIKN';

/**
 * Cross-lingual effects: each language's KN set, and their intersection (named 'LIKN'), is
 * suppressed and enhanced, and measured on every language's prompts. An effect's
 * `intervention.name` is the source; its `languages` are the targets.
 */
export function crossLingualEffects(
  model: Model,
  facts: readonly Fact[],
  factId: string,
  knByLanguage: Record<string, Neuron[]>,
  opts: EffectOptions & { kinds?: InterventionKind[] } = {},
): Promise<EffectsResult> {
  const sources: [string, Neuron[]][] = [
    ...Object.entries(knByLanguage),
    [LIKN, languageIndependent(knByLanguage)],
  ];
  const interventions = (opts.kinds ?? ['suppress', 'enhance']).flatMap((kind) =>
    sources.map(([name, neurons]) => ({ name, kind, neurons })),
  );
  return interventionEffects(model, facts, factId, interventions, {
    ...opts,
    languages: opts.languages ?? Object.keys(knByLanguage),
  });
}

function languagesOf(fact: Fact): string[] {
  return [...new Set(fact.prompts.map((p) => p.language))];
}

function promptsIn(fact: Fact | null, language: string): Prompt[] {
  return fact ? fact.prompts.filter((p) => p.language === language) : [];
}

async function measure(
  model: Model,
  prompt: Prompt,
  variants: NeuronEdit[][],
  opts: EffectOptions,
  warnings: string[],
): Promise<Prediction[] | null> {
  let enc;
  try {
    enc = encodePrompt(model.config, model.tokenizer, prompt.text, prompt.object, opts.multiToken);
  } catch (e) {
    if (!(e instanceof PromptError)) throw e;
    warnings.push(`${prompt.language} "${prompt.text}" skipped: ${e.message}`);
    return null;
  }
  return predict(model, enc, variants, {
    topK: opts.topK,
    tapMode: opts.tapMode,
    signal: opts.signal,
  });
}

function promptEffect(prompt: Prompt, before: Prediction, after: Prediction): PromptEffect {
  return {
    language: prompt.language,
    text: prompt.text,
    object: prompt.object,
    before,
    after,
    relativeChange: relativeChange(before.probability, after.probability),
  };
}

/** (after - before) / before; NaN when before is 0 (the change has no scale). */
export function relativeChange(before: number, after: number): number {
  return before === 0 ? NaN : (after - before) / before;
}

function finiteMean(xs: number[]): number {
  const ok = xs.filter(Number.isFinite);
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
}

/**
 * The unrelated fact for each language: the other facts are shuffled once (seeded by `seed` and
 * the fact's id), and each language takes the first one with prompts in it, so all languages
 * share one unrelated fact whenever it covers them.
 */
export function pickUnrelated(
  facts: readonly Fact[],
  fact: Fact,
  languages: readonly string[],
  seed: number,
): Record<string, Fact | null> {
  const others = facts.filter((f) => f.id !== fact.id);
  const random = mulberry32(hashSeed(seed, fact.id));
  for (let i = others.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [others[i], others[j]] = [others[j], others[i]];
  }
  const out: Record<string, Fact | null> = {};
  for (const language of languages)
    out[language] = others.find((f) => f.prompts.some((p) => p.language === language)) ?? null;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Aggregation over facts

/** The authors' plotting code drops suppression effects above 20 and enhancement effects >= 250. */
export const REFERENCE_OUTLIERS = { suppress: 20, enhance: 250 } as const;

export interface AggregateOptions {
  /**
   * 'plain' (default): every finite effect counts. 'reference': the authors' aggregation, with
   * their outlier rule and their 0 for a fact whose unrelated effects were all dropped.
   */
  mode?: 'plain' | 'reference';
  /** One row per relation (default), or all facts pooled under relation '*'. */
  byRelation?: boolean;
}

export interface AggregateRow {
  relation: string;
  /** The intervention's name (e.g. its source language). */
  name: string;
  kind: InterventionKind;
  /** The language measured. */
  language: string;
  /** Mean over facts of each fact's mean relative change on its own prompts. */
  related: number;
  /** The same on the unrelated facts' prompts. */
  unrelated: number;
  /** related / unrelated (infinite or NaN when unrelated is 0). */
  ratio: number;
  /** Facts that contributed (a fact with no related effect left is skipped). */
  facts: number;
  /** Prompt effects left out: outliers (reference mode) and non-finite values. */
  dropped: number;
}

/**
 * Averages effects per relation, intervention and language: per fact, the mean over its prompts;
 * then the mean over facts; and the ratio related / unrelated.
 */
export function aggregateEffects(
  effects: readonly InterventionEffect[],
  opts: AggregateOptions = {},
): AggregateRow[] {
  const reference = opts.mode === 'reference';
  interface Group {
    row: Pick<AggregateRow, 'relation' | 'name' | 'kind' | 'language'>;
    /** Per-fact means. */
    related: number[];
    unrelated: number[];
    dropped: number;
  }
  const groups = new Map<string, Group>();
  for (const effect of effects) {
    const { kind, name } = effect.intervention;
    const relation = opts.byRelation === false ? '*' : (effect.relation ?? '');
    const keep = (x: number) =>
      Number.isFinite(x) &&
      (!reference ||
        (kind === 'suppress' ? x <= REFERENCE_OUTLIERS.suppress : x < REFERENCE_OUTLIERS.enhance));
    for (const le of effect.languages) {
      const key = JSON.stringify([relation, name, kind, le.language]);
      let g = groups.get(key);
      if (!g) {
        g = {
          row: { relation, name, kind, language: le.language },
          related: [],
          unrelated: [],
          dropped: 0,
        };
        groups.set(key, g);
      }
      const rel = le.related.map((e) => e.relativeChange);
      const unrel = le.unrelated.map((e) => e.relativeChange);
      const relKept = rel.filter(keep);
      const unrelKept = unrel.filter(keep);
      g.dropped += rel.length - relKept.length + unrel.length - unrelKept.length;
      if (!relKept.length) continue;
      g.related.push(mean(relKept));
      if (unrelKept.length) g.unrelated.push(mean(unrelKept));
      else if (reference) g.unrelated.push(0);
    }
  }
  return [...groups.values()].map((g) => {
    const related = g.related.length ? mean(g.related) : NaN;
    const unrelated = g.unrelated.length ? mean(g.unrelated) : NaN;
    return {
      ...g.row,
      related,
      unrelated,
      ratio: related / unrelated,
      facts: g.related.length,
      dropped: g.dropped,
    };
  });
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
