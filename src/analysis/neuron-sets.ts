/**
 * The neuron sets the intervention lab acts on, as choices that do not name a fact: one choice
 * applies to every fact of a relation. Pure data and functions, shared by the lab's service
 * (which resolves a choice per fact) and the views (the chooser shows what a choice selects).
 */
import type { DknRecord, KnRecord } from './dataset';
import { languageIndependent } from './overlap';
import { type Neuron, byPosition, neuronKey } from './selection';

/**
 * A language's KN, the LIKN, a degenerate group (by its index, or all groups together), or
 * neurons picked by hand (the same for every fact).
 */
export type NeuronSetChoice =
  | { kind: 'kn'; language: string }
  | { kind: 'likn' }
  | { kind: 'dkn'; group: number | 'all' }
  | { kind: 'custom'; neurons: Neuron[] };

/** Where a fact's neuron sets come from. */
export interface NeuronSetSources {
  /** KN per language. */
  kn: Record<string, Neuron[]>;
  /** Degenerate groups (pairs or verified clusters), each a set of neurons. */
  degenerate: Neuron[][];
}

/** A short name for a choice, as intervention results and figures label it. */
export function neuronSetName(choice: NeuronSetChoice): string {
  switch (choice.kind) {
    case 'kn':
      return `KN ${choice.language}`;
    case 'likn':
      return 'LIKN';
    case 'dkn':
      return choice.group === 'all' ? 'DKN (all groups)' : `DKN group ${choice.group + 1}`;
    case 'custom':
      return 'hand-picked';
  }
}

/** The neurons a choice selects from a fact's sources, each once, by layer and unit. */
export function resolveNeuronSet(choice: NeuronSetChoice, sources: NeuronSetSources): Neuron[] {
  let neurons: readonly Neuron[];
  switch (choice.kind) {
    case 'kn':
      neurons = sources.kn[choice.language] ?? [];
      break;
    case 'likn':
      // One language has no "language-independent" neurons to speak of.
      neurons = Object.keys(sources.kn).length > 1 ? languageIndependent(sources.kn) : [];
      break;
    case 'dkn':
      neurons =
        choice.group === 'all'
          ? sources.degenerate.flat()
          : (sources.degenerate[choice.group] ?? []);
      break;
    case 'custom':
      neurons = choice.neurons;
  }
  const unique = new Map(neurons.map((n) => [neuronKey(n), { layer: n.layer, unit: n.unit }]));
  return [...unique.values()].sort(byPosition);
}

/**
 * Per fact, the sources a dataset run gives: KN per language from its records, and each
 * degenerate pair of its searches as a group (in record order, then pair order).
 */
export function sourcesFromDataset(
  records: readonly KnRecord[],
  degenerate: readonly DknRecord[] = [],
): Record<string, NeuronSetSources> {
  const out: Record<string, NeuronSetSources> = {};
  const of = (factId: string) => (out[factId] ??= { kn: {}, degenerate: [] });
  for (const r of records)
    of(r.factId).kn[r.language] = r.neurons.map(({ layer, unit }) => ({ layer, unit }));
  for (const d of degenerate)
    for (const pair of d.search.pairs)
      of(d.factId).degenerate.push(
        [d.search.neurons[pair.a], d.search.neurons[pair.b]].map(({ layer, unit }) => ({
          layer,
          unit,
        })),
      );
  return out;
}

/**
 * The current fact's sources from the results the views already show: KN per language from its
 * overlap (FactOverlap.languages) and the degenerate groups of its search
 * (DegenerateResult.groups), either possibly not computed yet.
 */
export function factSources(
  overlap?: { languages: readonly { language: string; neurons: readonly Neuron[] }[] } | null,
  degenerate?: { groups: readonly { neurons: readonly Neuron[] }[] } | null,
): NeuronSetSources {
  const plain = (ns: readonly Neuron[]) => ns.map(({ layer, unit }) => ({ layer, unit }));
  return {
    kn: Object.fromEntries((overlap?.languages ?? []).map((l) => [l.language, plain(l.neurons)])),
    degenerate: (degenerate?.groups ?? []).map((g) => plain(g.neurons)),
  };
}

export interface ParsedNeurons {
  neurons: Neuron[];
  /** One message per item that is not a neuron of the model. */
  errors: string[];
}

/**
 * Neurons typed by hand: items like `3:12`, `L3·u12`, `L3 u12` or `3/12`, separated by commas,
 * semicolons or new lines. Items outside the model's layers x units are reported, not kept.
 */
export function parseNeuronList(text: string, layers: number, units: number): ParsedNeurons {
  const neurons: Neuron[] = [];
  const errors: string[] = [];
  for (const raw of text.split(/[,;\n]+/)) {
    const item = raw.trim();
    if (!item) continue;
    const m = /^l?\s*(\d+)\s*(?:[:/·.]|\s)\s*u?\s*(\d+)$/i.exec(item);
    if (!m) {
      errors.push(`“${item}” is not a neuron (write layer:unit, e.g. 3:12)`);
      continue;
    }
    const layer = Number(m[1]);
    const unit = Number(m[2]);
    if (layer >= layers || unit >= units)
      errors.push(`${layer}:${unit} is outside the model (${layers} layers × ${units} units)`);
    else neurons.push({ layer, unit });
  }
  const unique = new Map(neurons.map((n) => [neuronKey(n), n]));
  return { neurons: [...unique.values()].sort(byPosition), errors };
}
