/**
 * Knowledge-neuron selection (docs/method.md, "Selecting knowledge neurons"): per prompt, the
 * neurons whose attribution exceeds a share tau of the map's maximum; per fact, the neurons that
 * recur across its paraphrases.
 */

/** An FFN neuron: unit `unit` of layer `layer`'s intermediate layer. */
export interface Neuron {
  layer: number;
  unit: number;
}

export interface ScoredNeuron extends Neuron {
  score: number;
}

/** A neuron kept across paraphrases. */
export interface StableNeuron extends ScoredNeuron {
  /** Prompts whose set contains the neuron. */
  count: number;
  /** count / number of prompts. */
  stability: number;
}

/** The paper's thresholds; other languages get FALLBACK_TAU. */
export const DEFAULT_TAU: Readonly<Record<string, number>> = { en: 0.3, zh: 0.2 };
export const FALLBACK_TAU = 0.3;
/** Dai et al.'s share of paraphrases a neuron must exceed (the reference code's value). */
export const DEFAULT_SHARE = 0.3;

/** Stable string key of a neuron, for sets and maps. */
export const neuronKey = (n: Neuron): string => `${n.layer}:${n.unit}`;

/** Orders neurons by layer, then unit. */
export const byPosition = (a: Neuron, b: Neuron): number => a.layer - b.layer || a.unit - b.unit;

/** Orders neurons by score (highest first), ties by position so results are deterministic. */
export const byScore = (a: ScoredNeuron, b: ScoredNeuron): number =>
  b.score - a.score || byPosition(a, b);

/** Primary language subtag: 'zh-Hans' and 'zh_CN' both select by 'zh'. */
const primary = (language: string) => language.toLowerCase().split(/[-_]/)[0];

/**
 * The threshold for a language: the user's value for the exact code or its primary subtag, then
 * the paper's (en 0.3, zh 0.2), then 0.3.
 */
export function defaultTau(language: string, overrides: Record<string, number> = {}): number {
  const base = primary(language);
  return overrides[language] ?? overrides[base] ?? DEFAULT_TAU[base] ?? FALLBACK_TAU;
}

function checkShare(name: string, value: number, upper: '<' | '<='): void {
  const ok = value >= 0 && (upper === '<' ? value < 1 : value <= 1);
  if (!ok)
    throw new RangeError(
      `${name} must be at least 0 and ${upper === '<' ? 'below' : 'at most'} 1, got ${value}`,
    );
}

/**
 * Neurons with score > tau x (maximum score), strictly, sorted by score. Negative and zero scores
 * are never selected (a map whose maximum is not positive selects nothing); NaN scores are
 * ignored.
 */
export function selectNeurons(
  scores: ArrayLike<number>,
  layers: number,
  units: number,
  opts: { tau: number },
): ScoredNeuron[] {
  if (scores.length !== layers * units)
    throw new RangeError(
      `the score map has ${scores.length} values, not layers x units = ${layers} x ${units}`,
    );
  checkShare('tau', opts.tau, '<=');
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i] > max) max = scores[i];
  if (!(max > 0)) return [];
  // max > 0 and tau >= 0, so the threshold is never negative: tau = 0 admits positives only.
  const threshold = opts.tau * max;
  const out: ScoredNeuron[] = [];
  for (let i = 0; i < scores.length; i++)
    if (scores[i] > threshold)
      out.push({ layer: Math.floor(i / units), unit: i % units, score: scores[i] });
  return out.sort(byScore);
}

/**
 * Neurons that appear in more than a share p of the prompts' sets (count > p x prompts, as Dai et
 * al.'s code counts). Each keeps its mean score over the sets that contain it; sorted by that
 * score. A neuron listed twice in one set counts once.
 */
export function refineAcrossPrompts(sets: ScoredNeuron[][], p = DEFAULT_SHARE): StableNeuron[] {
  checkShare('p', p, '<');
  const seen = new Map<string, { neuron: Neuron; count: number; total: number }>();
  for (const set of sets) {
    const inThisSet = new Set<string>();
    for (const n of set) {
      const key = neuronKey(n);
      if (inThisSet.has(key)) continue;
      inThisSet.add(key);
      const entry = seen.get(key);
      if (entry) {
        entry.count++;
        entry.total += n.score;
      } else seen.set(key, { neuron: n, count: 1, total: n.score });
    }
  }
  const out: StableNeuron[] = [];
  for (const { neuron, count, total } of seen.values())
    if (count > p * sets.length)
      out.push({
        layer: neuron.layer,
        unit: neuron.unit,
        score: total / count,
        count,
        stability: count / sets.length,
      });
  return out.sort(byScore);
}

/** One prompt's attribution map, tagged with its language. */
export interface PromptScores {
  language: string;
  /** layers x units, row-major (AttributionResult.scores). */
  scores: ArrayLike<number>;
}

export interface LanguageNeurons {
  language: string;
  tau: number;
  /** Each prompt's selection, in the order the maps were given. */
  perPrompt: ScoredNeuron[][];
  /** The language's knowledge neurons: the per-prompt sets refined across paraphrases. */
  neurons: StableNeuron[];
}

export interface KnowledgeNeuronOptions {
  /** Per-language thresholds overriding the defaults (see defaultTau). */
  tau?: Record<string, number>;
  /** Share of paraphrases a neuron must exceed (0.3). */
  p?: number;
}

/**
 * Knowledge neurons per language: each prompt's map is thresholded with its language's tau,
 * then the language's prompts are refined across paraphrases. With one prompt, the refined set
 * is that prompt's set (stability 1). Languages appear in first-seen order.
 */
export function knowledgeNeuronsByLanguage(
  maps: PromptScores[],
  layers: number,
  units: number,
  opts: KnowledgeNeuronOptions = {},
): LanguageNeurons[] {
  const byLanguage = new Map<string, ScoredNeuron[][]>();
  const tauOf = new Map<string, number>();
  for (const m of maps) {
    if (!tauOf.has(m.language)) tauOf.set(m.language, defaultTau(m.language, opts.tau));
    const set = selectNeurons(m.scores, layers, units, { tau: tauOf.get(m.language)! });
    byLanguage.set(m.language, [...(byLanguage.get(m.language) ?? []), set]);
  }
  return [...byLanguage].map(([language, perPrompt]) => ({
    language,
    tau: tauOf.get(language)!,
    perPrompt,
    neurons: refineAcrossPrompts(perPrompt, opts.p),
  }));
}
