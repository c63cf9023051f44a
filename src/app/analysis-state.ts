/**
 * What the analysis tabs show, as plain data for the share link (./share.ts): the open tab, each
 * view's state (src/views/analysis/viewState.ts), the inputs of each analysis (the degenerate
 * search's language, the lab's target, the weight-edit form, the data set and its options, the
 * fact check's language and relation, the second model of the comparison) and which analyses
 * were run, so that a link or a reload
 * asks for their results again. Results are not here: the worker keeps them (src/worker-api).
 *
 * `parseAnalysisState` reads anything (a link may be old, edited or hostile) field by field,
 * keeping what is valid and falling back to the default for the rest, like the view states.
 */
import { languageProblem } from '../facts/records';
import {
  DEFAULT_DEGENERATE_STATE,
  DEFAULT_FACT_CHECK_STATE,
  DEFAULT_INTERVENTION_LAB_STATE,
  DEFAULT_LAYER_DISTRIBUTION_STATE,
  DEFAULT_OVERLAP_STATE,
  DEFAULT_SELECTION_FREQUENCY_STATE,
  type DegenerateViewState,
  type FactCheckViewState,
  type InterventionLabViewState,
  type LayerDistributionViewState,
  type OverlapViewState,
  type SelectionFrequencyViewState,
  parseDegenerateState,
  parseFactCheckState,
  parseInterventionLabState,
  parseLayerDistributionState,
  parseOverlapState,
  parseSelectionFrequencyState,
} from '../views/analysis/viewState';
import type { NeuronSetChoice } from '../analysis/neuron-sets';
import { PARAPHRASE_SHARE } from '../analysis/paraphrase';
import { BUNDLED_NAME, type ModelRef, checkHubId } from '../weights';

export const TABS = [
  'map',
  'overlap',
  'degenerate',
  'lab',
  'edits',
  'dataset',
  'factcheck',
  'compare',
] as const;
export type Tab = (typeof TABS)[number];

/** Where a data set's facts come from. */
export type DatasetSource =
  /** The facts of step 2 (they travel in the link). */
  | { kind: 'explorer' }
  /** The bundled fact set: these relations, the first `perRelation` facts of each. */
  | { kind: 'factset'; relations: string[]; perRelation: number }
  /** A file the user uploaded, kept in this browser (./dataset-store.ts) under its digest. */
  | { kind: 'upload'; name: string; digest: string };

export interface EditFormState {
  /** The neurons to edit (the lab's kinds of set). */
  choice: NeuronSetChoice | null;
  kind: 'erase' | 'update';
  /** update: the new object per language. */
  newObjects: Record<string, string>;
  lambda: number;
}

export interface AnalysisState {
  tab: Tab;
  /** The neuron map of a fact with paraphrases: the first one's, or refined at share p. */
  paraphrases: { refined: boolean; p: number };
  overlap: OverlapViewState;
  degenerate: {
    /** The language of the prompt searched (null: the fact's first). */
    language: string | null;
    view: DegenerateViewState;
  };
  lab: {
    /** The shown fact, or every fact of the data set run (the per-relation bars). */
    target: 'fact' | 'dataset';
    view: InterventionLabViewState;
  };
  edit: EditFormState;
  dataset: {
    source: DatasetSource;
    /** Also search degenerate pairs (the DKN of the layer distributions). */
    degenerate: boolean;
    layers: LayerDistributionViewState;
    frequency: SelectionFrequencyViewState;
  };
  factcheck: {
    /** null: the data set's first language. */
    language: string | null;
    /** The relation checked; null: all of the data set's. */
    relation: string | null;
    view: FactCheckViewState;
  };
  /** The second model the same facts run on (the compare tab); null: none. */
  compare: { model: ModelRef | null };
  /** Analyses that were run: their results are asked for again when the view is restored. */
  ran: Record<'degenerate' | 'lab' | 'dataset' | 'factcheck', boolean>;
}

export const DEFAULT_LAMBDA = 2;

/** A first data set: a few capitals of the bundled set. */
export const DEFAULT_FACTSET_SOURCE: DatasetSource = {
  kind: 'factset',
  relations: ['P36'],
  perRelation: 5,
};

export const DEFAULT_ANALYSIS: AnalysisState = {
  tab: 'map',
  paraphrases: { refined: false, p: PARAPHRASE_SHARE },
  overlap: DEFAULT_OVERLAP_STATE,
  degenerate: { language: null, view: DEFAULT_DEGENERATE_STATE },
  lab: { target: 'fact', view: DEFAULT_INTERVENTION_LAB_STATE },
  edit: { choice: null, kind: 'erase', newObjects: {}, lambda: DEFAULT_LAMBDA },
  dataset: {
    source: DEFAULT_FACTSET_SOURCE,
    degenerate: true,
    layers: DEFAULT_LAYER_DISTRIBUTION_STATE,
    frequency: DEFAULT_SELECTION_FREQUENCY_STATE,
  },
  factcheck: { language: null, relation: null, view: DEFAULT_FACT_CHECK_STATE },
  compare: { model: null },
  ran: { degenerate: false, lab: false, dataset: false, factcheck: false },
};

// ---------------------------------------------------------------------------------------------
// Reading a link: each reader returns a valid value or undefined.

type Fields = Record<string, unknown>;
const fields = (v: unknown): Fields =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Fields) : {};
const or = <T>(v: T | undefined, fallback: T): T => (v === undefined ? fallback : v);

const MAX_TEXT = 200;
const text = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length <= MAX_TEXT ? v : undefined;
const language = (v: unknown): string | undefined =>
  typeof v === 'string' && !languageProblem(v) ? v : undefined;
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

/** The same rules as the lab's choice (viewState.ts), through its parser. */
const choice = (v: unknown): NeuronSetChoice | null | undefined =>
  v === undefined ? undefined : parseInterventionLabState({ choice: v }).choice;

/** Relation ids like the bundled set's (P36): short, and only ever shown as text. */
const relationId = (v: unknown): boolean =>
  typeof v === 'string' && v.length > 0 && v.length <= 100;

function source(v: unknown): DatasetSource | undefined {
  const f = fields(v);
  switch (f.kind) {
    case 'explorer':
      return { kind: 'explorer' };
    case 'factset': {
      const ok =
        Array.isArray(f.relations) &&
        f.relations.length > 0 &&
        f.relations.length <= 100 &&
        f.relations.every(relationId);
      const n = f.perRelation;
      if (!ok || !(Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 10_000))
        return undefined;
      return { kind: 'factset', relations: f.relations as string[], perRelation: n as number };
    }
    case 'upload': {
      const name = text(f.name);
      const digest = typeof f.digest === 'string' && /^[0-9a-f]{1,64}$/.test(f.digest);
      return name !== undefined && digest
        ? { kind: 'upload', name, digest: f.digest as string }
        : undefined;
    }
  }
  return undefined;
}

function newObjects(v: unknown): Record<string, string> | undefined {
  const f = fields(v);
  const entries = Object.entries(f);
  if (entries.length > 64) return undefined;
  const out: Record<string, string> = {};
  for (const [l, o] of entries) {
    const obj = text(o);
    if (language(l) === undefined || obj === undefined) return undefined;
    out[l] = obj;
  }
  return out;
}

/** A share p of paraphrases: in [0, 1). */
const share = (v: unknown): number | undefined =>
  typeof v === 'number' && v >= 0 && v < 1 ? v : undefined;

/** A model reference by the rules of the link's own model (share.ts), or undefined. */
function modelRef(v: unknown): ModelRef | undefined {
  const f = fields(v);
  if (f.kind === 'bundled')
    return typeof f.name === 'string' && BUNDLED_NAME.test(f.name)
      ? { kind: 'bundled', name: f.name }
      : undefined;
  if (f.kind === 'hub') {
    const id = text(f.id);
    try {
      checkHubId(id ?? '');
    } catch {
      return undefined;
    }
    const revision = f.revision === undefined ? undefined : text(f.revision);
    if (f.revision !== undefined && !revision) return undefined;
    // "main" is the default: the same model makes the same link.
    return revision && revision !== 'main'
      ? { kind: 'hub', id: id!, revision }
      : { kind: 'hub', id: id! };
  }
  if (f.kind === 'files') {
    const label = text(f.label);
    return label ? { kind: 'files', label } : undefined;
  }
  return undefined;
}

function edit(v: unknown): EditFormState {
  const f = fields(v);
  const d = DEFAULT_ANALYSIS.edit;
  const lambda = f.lambda;
  return {
    choice: or(choice(f.choice), d.choice),
    kind: f.kind === 'update' ? 'update' : 'erase',
    newObjects: or(newObjects(f.newObjects), d.newObjects),
    lambda:
      typeof lambda === 'number' && Number.isFinite(lambda) && Math.abs(lambda) <= 100
        ? lambda
        : d.lambda,
  };
}

export function parseAnalysisState(value: unknown): AnalysisState {
  const f = fields(value);
  const d = DEFAULT_ANALYSIS;
  const deg = fields(f.degenerate);
  const lab = fields(f.lab);
  const ds = fields(f.dataset);
  const fc = fields(f.factcheck);
  const ran = fields(f.ran);
  const para = fields(f.paraphrases);
  return {
    tab: or(
      TABS.find((t) => t === f.tab),
      d.tab,
    ),
    paraphrases: {
      refined: or(bool(para.refined), d.paraphrases.refined),
      p: or(share(para.p), d.paraphrases.p),
    },
    overlap: parseOverlapState(f.overlap),
    degenerate: {
      language: or(language(deg.language), d.degenerate.language),
      view: parseDegenerateState(deg.view),
    },
    lab: {
      target: lab.target === 'dataset' ? 'dataset' : 'fact',
      view: parseInterventionLabState(lab.view),
    },
    edit: edit(f.edit),
    dataset: {
      source: or(source(ds.source), d.dataset.source),
      degenerate: or(bool(ds.degenerate), d.dataset.degenerate),
      layers: parseLayerDistributionState(ds.layers),
      frequency: parseSelectionFrequencyState(ds.frequency),
    },
    factcheck: {
      language: or(language(fc.language), d.factcheck.language),
      relation: fc.relation === null ? null : or(text(fc.relation), d.factcheck.relation),
      view: parseFactCheckState(fc.view),
    },
    compare: { model: modelRef(fields(f.compare).model) ?? null },
    ran: {
      degenerate: bool(ran.degenerate) ?? false,
      lab: bool(ran.lab) ?? false,
      dataset: bool(ran.dataset) ?? false,
      factcheck: bool(ran.factcheck) ?? false,
    },
  };
}

/**
 * The parts of the state that differ from the default, for a link: a link of the neuron map
 * alone stays as short as before, and the parser fills in the rest.
 */
export function analysisJson(state: AnalysisState): Partial<AnalysisState> | undefined {
  const changed = (Object.keys(state) as (keyof AnalysisState)[]).filter(
    (k) => JSON.stringify(state[k]) !== JSON.stringify(DEFAULT_ANALYSIS[k]),
  );
  return changed.length ? Object.fromEntries(changed.map((k) => [k, state[k]])) : undefined;
}
