/**
 * The explorer's state: which model, which facts, how to run, what is shown. It is plain data
 * so that it fits in a share link (./share.ts) and survives a reload (it is kept in the browser,
 * ./working-state.ts, and in the address bar). Results are not part of it: they live in the result cache (./result-cache.ts),
 * keyed by model, prompt and settings.
 */
import { defaultTau } from '../analysis/selection';
import { type AttributionSettings, DEFAULT_SETTINGS } from '../attribution/settings';
import type { Fact, Prompt } from '../facts';
import { type ModelRef, sameModel } from '../weights';
import { type AnalysisState, DEFAULT_ANALYSIS } from './analysis-state';

export interface ViewSelection {
  /** The fact shown (its id), when any. */
  factId?: string;
}

export interface ExplorerState {
  /** The model; picked files cannot be named, only their folder. */
  model?: ModelRef;
  facts: Fact[];
  settings: AttributionSettings;
  /** Load float32 weights as 16-bit (half the memory; the numbers are rounded). Off when absent. */
  float32As16?: boolean;
  /** KN threshold per language code; languages not listed use tauFor's default. */
  tau: Record<string, number>;
  view: ViewSelection;
  /** The open tab and the analysis views' state. */
  analysis: AnalysisState;
  /**
   * The first visit's example (./first-visit.ts) while it is what the page shows: added and
   * waiting for the model, or started. Any other change of the facts ends it; it is not part of
   * links or of the kept working state.
   */
  example?: 'waiting' | 'started';
}

/** The user's tau for a language, else the paper's (0.3 English, 0.2 Chinese, 0.3 others). */
export function tauFor(tau: Record<string, number>, language: string): number {
  return defaultTau(language, tau);
}

export function initialState(): ExplorerState {
  return { facts: [], settings: DEFAULT_SETTINGS, tau: {}, view: {}, analysis: DEFAULT_ANALYSIS };
}

/** One unit of work: a prompt of a fact, in its language. */
export interface Job {
  fact: Fact;
  /** Index into fact.prompts. */
  index: number;
  prompt: Prompt;
}

export function jobsOf(facts: Fact[]): Job[] {
  return facts.flatMap((fact) => fact.prompts.map((prompt, index) => ({ fact, index, prompt })));
}

/** The languages of a set of facts, in first-seen order. */
export function languagesOf(facts: Fact[]): string[] {
  return [...new Set(facts.flatMap((f) => f.prompts.map((p) => p.language)))];
}

export type Action =
  | { type: 'replace'; state: ExplorerState }
  | { type: 'model'; model: ModelRef }
  /** `example`: these facts are the first visit's example, which waits for the model. */
  | { type: 'add-facts'; facts: Fact[]; example?: boolean }
  | { type: 'remove-fact'; id: string }
  | { type: 'clear-facts' }
  | { type: 'settings'; settings: Partial<AttributionSettings> }
  | { type: 'float32As16'; on: boolean }
  | { type: 'tau'; language: string; tau: number }
  | { type: 'select'; factId: string | undefined }
  /** Replaces the named parts of the analysis state. */
  | { type: 'analysis'; update: Partial<AnalysisState> }
  /** The example's run started, or the visitor stopped or dismissed it (null). */
  | { type: 'example'; phase: 'started' | null };

/** Fact ids are unique in the state: an added fact whose id is taken gets a suffix. */
function uniqueIds(existing: Fact[], added: Fact[]): Fact[] {
  const taken = new Set(existing.map((f) => f.id));
  return added.map((f) => {
    let id = f.id;
    for (let n = 2; taken.has(id); n++) id = `${f.id}-${n}`;
    taken.add(id);
    return id === f.id ? f : { ...f, id };
  });
}

export function reduce(state: ExplorerState, action: Action): ExplorerState {
  switch (action.type) {
    case 'replace':
      return action.state;
    case 'model':
      return sameModel(state.model, action.model) ? state : { ...state, model: action.model };
    case 'add-facts': {
      const facts = [...state.facts, ...uniqueIds(state.facts, action.facts)];
      // Show the first added fact: that is what the user just asked about.
      const shown = facts[state.facts.length]?.id ?? state.view.factId;
      return {
        ...state,
        facts,
        view: { ...state.view, factId: shown },
        example: action.example ? 'waiting' : undefined,
      };
    }
    case 'remove-fact': {
      const facts = state.facts.filter((f) => f.id !== action.id);
      const factId = state.view.factId === action.id ? facts[0]?.id : state.view.factId;
      return { ...state, facts, view: { ...state.view, factId }, example: undefined };
    }
    case 'clear-facts':
      return { ...state, facts: [], view: {}, example: undefined };
    case 'settings':
      return { ...state, settings: { ...state.settings, ...action.settings } };
    case 'float32As16':
      return { ...state, float32As16: action.on || undefined };
    case 'tau':
      return { ...state, tau: { ...state.tau, [action.language]: action.tau } };
    case 'select':
      return { ...state, view: { ...state.view, factId: action.factId } };
    case 'analysis':
      return { ...state, analysis: { ...state.analysis, ...action.update } };
    case 'example':
      return state.example ? { ...state, example: action.phase ?? undefined } : state;
  }
}
