/**
 * The state of each analysis view that a link should restore: plain JSON data, with a parser per
 * view that accepts anything (a link may be old, edited or hostile) and returns a valid state,
 * falling back to the default field by field. Round trip: parse(JSON.parse(JSON.stringify(s)))
 * equals s for every valid s.
 */
import type { Neuron } from '../../analysis/selection';
import type { NeuronSetChoice } from '../../analysis/neuron-sets';
import type { ColorTransform, UnitRange } from '../types';

/** What a dataset view shows: all relations together (null) or one relation (its id, or null
 *  for facts without one). */
export type Scope = { relation: string | null } | null;

export interface OverlapViewState {
  /** The exclusive region whose neurons are listed (its languages); null: all languages (LIKN). */
  region: string[] | null;
  /** 'auto': a Venn diagram for two or three languages, an UpSet plot for more. */
  layout: 'auto' | 'upset';
}

export interface LayerDistributionViewState {
  scope: Scope;
  /** Bars as counts, or as each series' share of its total over the layers. */
  measure: 'count' | 'share';
}

export interface InterventionLabViewState {
  /** The set last chosen (null: none yet). */
  choice: NeuronSetChoice | null;
  /** Which intervention the before/after table shows. */
  kind: 'suppress' | 'enhance';
  /** Effect bars: every finite effect, or the authors' outlier rule (reference). */
  aggregation: 'plain' | 'reference';
}

export interface DegenerateViewState {
  /** Edges drawn: the pair search's degenerate pairs, the clusters' links, or both. */
  edges: 'pairs' | 'clusters' | 'both';
  /** The highlighted degenerate group (index into the result's groups), if any. */
  group: number | null;
}

export interface FactCheckViewState {
  /** The confusion matrices' scope; the F1 bars always show every relation. */
  scope: Scope;
}

export interface SelectionFrequencyViewState {
  /** The language whose selections are counted (null: the first). */
  language: string | null;
  scope: Scope;
  transform: ColorTransform;
  /** Visible units; null: all. */
  range: UnitRange | null;
}

export const DEFAULT_OVERLAP_STATE: OverlapViewState = { region: null, layout: 'auto' };
export const DEFAULT_LAYER_DISTRIBUTION_STATE: LayerDistributionViewState = {
  scope: null,
  measure: 'count',
};
export const DEFAULT_INTERVENTION_LAB_STATE: InterventionLabViewState = {
  choice: null,
  kind: 'suppress',
  aggregation: 'plain',
};
export const DEFAULT_DEGENERATE_STATE: DegenerateViewState = { edges: 'both', group: null };
export const DEFAULT_FACT_CHECK_STATE: FactCheckViewState = { scope: null };
export const DEFAULT_SELECTION_FREQUENCY_STATE: SelectionFrequencyViewState = {
  language: null,
  scope: null,
  transform: 'linear',
  range: null,
};

// ---------------------------------------------------------------------------------------------
// Field readers: each returns a valid value or undefined.

type Fields = Record<string, unknown>;

const fields = (value: unknown): Fields =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Fields) : {};

function oneOf<T extends string>(value: unknown, options: readonly T[]): T | undefined {
  return options.find((o) => o === value);
}

/** Short strings only: ids and language codes, never a document. */
const MAX_TEXT = 200;
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length <= MAX_TEXT ? value : undefined;

const index = (value: unknown): number | undefined =>
  Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined;

function textList(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > 64) return undefined;
  const out = value.map(text);
  return out.every((v) => v !== undefined) ? (out as string[]) : undefined;
}

function scope(value: unknown): Scope | undefined {
  if (value === null) return null;
  const f = fields(value);
  if (!('relation' in f)) return undefined;
  if (f.relation === null) return { relation: null };
  const relation = text(f.relation);
  return relation === undefined ? undefined : { relation };
}

function neuron(value: unknown): Neuron | undefined {
  const f = fields(value);
  const layer = index(f.layer);
  const unit = index(f.unit);
  return layer === undefined || unit === undefined ? undefined : { layer, unit };
}

function choice(value: unknown): NeuronSetChoice | null | undefined {
  if (value === null) return null;
  const f = fields(value);
  switch (f.kind) {
    case 'kn': {
      const language = text(f.language);
      return language === undefined ? undefined : { kind: 'kn', language };
    }
    case 'likn':
      return { kind: 'likn' };
    case 'dkn': {
      const group = f.group === 'all' ? 'all' : index(f.group);
      return group === undefined ? undefined : { kind: 'dkn', group };
    }
    case 'custom': {
      if (!Array.isArray(f.neurons) || f.neurons.length > 10_000) return undefined;
      const neurons = f.neurons.map(neuron);
      return neurons.every((n) => n !== undefined)
        ? { kind: 'custom', neurons: neurons as Neuron[] }
        : undefined;
    }
  }
  return undefined;
}

function range(value: unknown): UnitRange | null | undefined {
  if (value === null) return null;
  const f = fields(value);
  const start = index(f.start);
  const end = index(f.end);
  return start !== undefined && end !== undefined && end > start ? { start, end } : undefined;
}

/** `read(value)` when it is valid, else the default. */
const or = <T>(read: T | undefined, fallback: T): T => (read === undefined ? fallback : read);

// ---------------------------------------------------------------------------------------------
// Parsers

export function parseOverlapState(value: unknown): OverlapViewState {
  const f = fields(value);
  const d = DEFAULT_OVERLAP_STATE;
  return {
    region: f.region === null ? null : or(textList(f.region), d.region),
    layout: or(oneOf(f.layout, ['auto', 'upset'] as const), d.layout),
  };
}

export function parseLayerDistributionState(value: unknown): LayerDistributionViewState {
  const f = fields(value);
  const d = DEFAULT_LAYER_DISTRIBUTION_STATE;
  return {
    scope: or(scope(f.scope), d.scope),
    measure: or(oneOf(f.measure, ['count', 'share'] as const), d.measure),
  };
}

export function parseInterventionLabState(value: unknown): InterventionLabViewState {
  const f = fields(value);
  const d = DEFAULT_INTERVENTION_LAB_STATE;
  return {
    choice: or(choice(f.choice), d.choice),
    kind: or(oneOf(f.kind, ['suppress', 'enhance'] as const), d.kind),
    aggregation: or(oneOf(f.aggregation, ['plain', 'reference'] as const), d.aggregation),
  };
}

export function parseDegenerateState(value: unknown): DegenerateViewState {
  const f = fields(value);
  const d = DEFAULT_DEGENERATE_STATE;
  return {
    edges: or(oneOf(f.edges, ['pairs', 'clusters', 'both'] as const), d.edges),
    group: f.group === null ? null : or(index(f.group), d.group),
  };
}

export function parseFactCheckState(value: unknown): FactCheckViewState {
  return { scope: or(scope(fields(value).scope), DEFAULT_FACT_CHECK_STATE.scope) };
}

export function parseSelectionFrequencyState(value: unknown): SelectionFrequencyViewState {
  const f = fields(value);
  const d = DEFAULT_SELECTION_FREQUENCY_STATE;
  return {
    language: f.language === null ? null : or(text(f.language), d.language),
    scope: or(scope(f.scope), d.scope),
    transform: or(oneOf(f.transform, ['linear', 'sqrt'] as const), d.transform),
    range: or(range(f.range), d.range),
  };
}
