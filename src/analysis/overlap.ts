/**
 * Neurons shared across languages (docs/method.md, "Language-independent knowledge neurons"):
 * LIKN is the intersection of the per-language KN sets, for any number of languages; the
 * exclusive intersections feed UpSet and Venn views.
 */
import { type Neuron, byPosition, neuronKey } from './selection';

/** Neurons present in every set (each once), ordered by layer and unit. No sets: none. */
export function intersectNeurons(sets: readonly (readonly Neuron[])[]): Neuron[] {
  if (sets.length === 0) return [];
  const [first, ...rest] = sets.map((s) => new Map(s.map((n) => [neuronKey(n), n])));
  return [...first]
    .filter(([key]) => rest.every((s) => s.has(key)))
    .map(([, n]) => ({ layer: n.layer, unit: n.unit }))
    .sort(byPosition);
}

/** Language-independent knowledge neurons: in the KN set of every language given. */
export function languageIndependent(byLanguage: Record<string, readonly Neuron[]>): Neuron[] {
  return intersectNeurons(Object.values(byLanguage));
}

/** The neurons whose set of languages is exactly `languages`. */
export interface ExclusiveIntersection {
  /** In the order the languages were given. */
  languages: string[];
  neurons: Neuron[];
  count: number;
}

export interface LanguageOverlap {
  languages: string[];
  /** KN set size per language (duplicates counted once). */
  sizes: Record<string, number>;
  /** Neurons in every language's set: LIKN. */
  shared: Neuron[];
  /**
   * Every non-empty exclusive intersection: each neuron appears in exactly one entry. Sorted by
   * count (largest first), then by more languages first, then by the languages' order. Subsets
   * of languages with no neuron are left out (there are 2^n - 1 subsets).
   */
  intersections: ExclusiveIntersection[];
}

/** The overlap of per-language neuron sets, for UpSet/Venn views and LIKN. */
export function languageOverlap(byLanguage: Record<string, readonly Neuron[]>): LanguageOverlap {
  const languages = Object.keys(byLanguage);
  const membership = new Map<string, { neuron: Neuron; mask: boolean[] }>();
  languages.forEach((language, li) => {
    for (const n of byLanguage[language]) {
      const key = neuronKey(n);
      let entry = membership.get(key);
      if (!entry) {
        entry = { neuron: { layer: n.layer, unit: n.unit }, mask: languages.map(() => false) };
        membership.set(key, entry);
      }
      entry.mask[li] = true;
    }
  });
  const groups = new Map<string, { mask: boolean[]; neurons: Neuron[] }>();
  for (const { neuron, mask } of membership.values()) {
    const key = mask.map((m) => (m ? '1' : '0')).join('');
    const group = groups.get(key) ?? { mask, neurons: [] };
    group.neurons.push(neuron);
    groups.set(key, group);
  }
  const intersections = [...groups.values()].map(({ mask, neurons }) => ({
    languages: languages.filter((_, i) => mask[i]),
    neurons: neurons.sort(byPosition),
    count: neurons.length,
    order: mask.map((m) => (m ? '0' : '1')).join(''), // language order as a tie-break
  }));
  intersections.sort(
    (a, b) =>
      b.count - a.count ||
      b.languages.length - a.languages.length ||
      (a.order < b.order ? -1 : a.order > b.order ? 1 : 0),
  );
  const sizes: Record<string, number> = {};
  for (const language of languages)
    sizes[language] = new Set(byLanguage[language].map(neuronKey)).size;
  return {
    languages,
    sizes,
    shared: intersectNeurons(Object.values(byLanguage)),
    intersections: intersections.map(({ languages, neurons, count }) => ({
      languages,
      neurons,
      count,
    })),
  };
}
