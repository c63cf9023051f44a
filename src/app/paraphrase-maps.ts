/**
 * The maps the neuron-map view shows for a fact, one per language: the first paraphrase's map
 * (the default, and all a language with one prompt has), or, when the user asks for it and the
 * language has maps of two or more paraphrases, the paraphrase-refined map: the mean of the
 * paraphrases' maps under the neurons kept in more than a share p of their sets at tau
 * (src/analysis/paraphrase.ts).
 */
import { type ParaphraseRefinement, meanMap, refineParaphrases } from '../analysis/paraphrase';
import type { Fact } from '../facts';
import type { LanguageMap } from '../views';
import type { AttributionResult } from '../worker-api';
import { type Job, tauFor } from './state';

export type ResultOf = (job: Job) => AttributionResult | undefined;

/** How the view reads paraphrases: refined or not, and the share p. */
export interface ParaphraseMode {
  refined: boolean;
  p: number;
}

/** The fact's prompts grouped by language, languages in the fact's order. */
export function jobsByLanguage(fact: Fact): Job[][] {
  const groups = new Map<string, Job[]>();
  fact.prompts.forEach((prompt, index) => {
    const group = groups.get(prompt.language) ?? [];
    group.push({ fact, index, prompt });
    groups.set(prompt.language, group);
  });
  return [...groups.values()];
}

/** One language of the shown fact: its prompts, which have maps, and what the view shows. */
export interface LanguageView {
  language: string;
  /** The language's prompts (paraphrases), in the fact's order. */
  jobs: Job[];
  /** The maps of those that have one, in the same order. */
  results: AttributionResult[];
  /** The first prompt with a map, else the first prompt: the default map's prompt. */
  first: Job;
  /** What is drawn; undefined when no prompt of the language has a map yet. */
  map?: LanguageMap;
  /** Set when the drawn map is paraphrase-refined. */
  refinement?: ParaphraseRefinement;
}

/** The mean of paraphrase maps as one map: scores, activations and P(object) averaged. */
function meanResult(results: AttributionResult[]): LanguageMap['map'] {
  const [first] = results;
  return {
    model: first.model,
    method: first.method,
    steps: first.steps,
    prompt: results.map((r) => r.prompt).join(' | '),
    object: first.object,
    probability: results.reduce((s, r) => s + r.probability, 0) / results.length,
    layers: first.layers,
    units: first.units,
    scores: meanMap(results.map((r) => r.scores)),
    activations: meanMap(results.map((r) => r.activations)),
  };
}

export function languageViews(
  fact: Fact,
  resultOf: ResultOf,
  tau: Record<string, number>,
  mode: ParaphraseMode,
): LanguageView[] {
  return jobsByLanguage(fact).map((jobs) => {
    const language = jobs[0].prompt.language;
    const t = tauFor(tau, language);
    const withMaps = jobs.filter((j) => resultOf(j));
    const results = withMaps.map((j) => resultOf(j)!);
    const first = withMaps[0] ?? jobs[0];
    const view: LanguageView = { language, jobs, results, first };
    if (results.length === 0) return view;
    if (mode.refined && results.length > 1) {
      const { layers, units } = results[0];
      const refinement = refineParaphrases(
        results.map((r) => r.scores),
        layers,
        units,
        { tau: t, p: mode.p },
      );
      return {
        ...view,
        refinement,
        map: { language, map: meanResult(results), tau: t, refined: refinement },
      };
    }
    return { ...view, map: { language, map: results[0], tau: t } };
  });
}

/** The most paraphrases any language of the fact has (1 for a fact of one prompt per language). */
export const mostParaphrases = (fact: Fact): number =>
  Math.max(0, ...jobsByLanguage(fact).map((jobs) => jobs.length));
