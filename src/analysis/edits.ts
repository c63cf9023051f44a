/**
 * Weight edits on FFN value vectors (Dai et al. 2022; docs/method.md, "Interventions"). Neuron
 * i's value vector is row i of its layer's `proj_w` [F, H]: what the FFN adds to the hidden
 * state per unit of activation. `erase` zeroes the selected rows; `update` moves them by
 * lambda x (embedding(new object) - embedding(old object)).
 *
 * An edit builds each changed layer's new `proj_w` on the device (a small graph: the original
 * weight with the selected rows replaced) and swaps it into the model; the original tensor is
 * kept, so `revert()` swaps it back bit for bit and frees the edited one. While an edit is
 * active, each edited layer's `proj_w` is held twice in device memory. A 16-bit `proj_w` stays
 * 16-bit (src/model/weight-access.ts): the new rows are rounded to it.
 */
import type { Tensor } from 'onnxruntime-common';
import { type Model, type TapMode, readRows, replaceRows } from '../model';
import { type Prediction, predict } from '../attribution/predict';
import { type MultiTokenMode, PromptError, encodePrompt } from '../attribution/prompt';
import type { Fact, Prompt } from '../facts/types';
import { type Neuron, byPosition, neuronKey } from './selection';

/** Dai et al.'s step for `update`. */
export const DEFAULT_LAMBDA = 2;

/**
 * `update` token ids: the embedding of an object is the mean of its tokens' word-embedding rows
 * (for a one-token object, that token's row, as in Dai et al.).
 */
export type WeightEdit =
  { kind: 'erase' } | { kind: 'update'; from: number[]; to: number[]; lambda?: number };

export interface EditHandle {
  /** The edited neurons, each once, by layer and unit. */
  readonly neurons: Neuron[];
  /** Whether the edit is still applied. */
  readonly active: boolean;
  /**
   * Restores the original tensors and frees the edited ones. Edits that touch the same layer
   * must be reverted last-first; reverting twice does nothing.
   */
  revert(): Promise<void>;
}

interface Swap {
  layer: number;
  original: Tensor;
  edited: Tensor;
}

/** Applied edits per model (each a list of swaps), oldest first: reverts check later ones. */
const applied = new WeakMap<Model, Swap[][]>();
/** Per model, the tail of the queue that edits and reverts run in, one at a time. */
const queues = new WeakMap<Model, Promise<unknown>>();

function serialised<T>(model: Model, task: () => Promise<T>): Promise<T> {
  const run = (queues.get(model) ?? Promise.resolve()).then(task);
  const settled = run.catch(() => {});
  queues.set(model, settled);
  return run;
}

/** Applies an edit to the value vectors of `neurons`. */
export async function editValueVectors(
  model: Model,
  neurons: readonly Neuron[],
  edit: WeightEdit,
): Promise<EditHandle> {
  const unique = checkNeurons(model, neurons);
  if (edit.kind === 'update') checkTokens(model, edit.from, edit.to);
  return serialised(model, async () => {
    const rt = model.runtime;
    const H = model.config.hiddenSize;
    // update: every edited row moves by lambda x (mean E[to] - mean E[from]).
    let delta: Float32Array | null = null;
    if (edit.kind === 'update') {
      const lambda = edit.lambda ?? DEFAULT_LAMBDA;
      const { from, to } = edit;
      const emb = await readRows(model, 'word_emb', null, [...from, ...to]);
      delta = new Float32Array(H);
      for (let h = 0; h < H; h++) {
        let old = 0;
        let next = 0;
        for (let k = 0; k < from.length; k++) old += emb[k * H + h];
        for (let k = 0; k < to.length; k++) next += emb[(from.length + k) * H + h];
        delta[h] = lambda * (next / to.length - old / from.length);
      }
    }
    const swaps: Swap[] = [];
    try {
      for (const [layer, units] of groupByLayer(unique)) {
        const original = model.weights.layers[layer].proj_w;
        let rows: Float32Array;
        if (delta) {
          rows = await readRows(model, 'proj_w', layer, units);
          for (let k = 0; k < units.length; k++)
            for (let h = 0; h < H; h++) rows[k * H + h] += delta[h];
        } else rows = new Float32Array(units.length * H);
        swaps.push({
          layer,
          original,
          edited: await replaceRows(model, 'proj_w', layer, units, rows),
        });
      }
    } catch (e) {
      for (const sw of swaps) rt.dispose(sw.edited);
      throw e;
    }
    // Swap only once every layer is built, so a failure leaves the model as it was.
    for (const sw of swaps) model.weights.layers[sw.layer].proj_w = sw.edited;
    const stack = applied.get(model) ?? [];
    stack.push(swaps);
    applied.set(model, stack);
    let active = true;
    return {
      neurons: unique,
      get active() {
        return active;
      },
      revert: () =>
        serialised(model, async () => {
          if (!active) return;
          const i = stack.indexOf(swaps);
          const layers = new Set(swaps.map((sw) => sw.layer));
          if (stack.slice(i + 1).some((later) => later.some((sw) => layers.has(sw.layer))))
            throw new Error(
              'a later edit changed the same layer; revert that edit first (edits undo last-first)',
            );
          for (const sw of swaps)
            if (model.weights.layers[sw.layer].proj_w !== sw.edited)
              throw new Error(`layer ${sw.layer}'s value vectors were replaced outside this edit`);
          for (const sw of swaps) {
            model.weights.layers[sw.layer].proj_w = sw.original;
            rt.dispose(sw.edited);
          }
          stack.splice(i, 1);
          active = false;
        }),
    };
  });
}

function checkNeurons(model: Model, neurons: readonly Neuron[]): Neuron[] {
  const L = model.numLayers;
  const F = model.numUnits;
  const seen = new Map<string, Neuron>();
  for (const n of neurons) {
    if (!(Number.isInteger(n.layer) && Number.isInteger(n.unit)))
      throw new RangeError(`neuron (${n.layer}, ${n.unit}) is not a pair of whole numbers`);
    if (!(n.layer >= 0 && n.layer < L && n.unit >= 0 && n.unit < F))
      throw new RangeError(`neuron (${n.layer}, ${n.unit}) is outside this model's ${L} x ${F}`);
    seen.set(neuronKey(n), { layer: n.layer, unit: n.unit });
  }
  return [...seen.values()].sort(byPosition);
}

function checkTokens(model: Model, from: number[], to: number[]): void {
  const V = model.config.vocabSize;
  if (!from.length || !to.length)
    throw new RangeError('update needs the old and the new object tokens (neither may be empty)');
  for (const id of [...from, ...to])
    if (!(Number.isInteger(id) && id >= 0 && id < V))
      throw new RangeError(`token id ${id} is outside this model's vocabulary of ${V}`);
}

function groupByLayer(neurons: Neuron[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const n of neurons) out.set(n.layer, [...(out.get(n.layer) ?? []), n.unit]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Editing a fact and measuring it in every language

/**
 * `update` for a fact: the new object per language. The edit direction comes from one
 * language's old and new objects (`language`, default: the fact's first language that has a new
 * object); every language's prompts are measured.
 */
export type FactEdit =
  | { kind: 'erase' }
  | { kind: 'update'; newObjects: Record<string, string>; language?: string; lambda?: number };

export interface EditedPrompt {
  language: string;
  text: string;
  object: string;
  /** P(object) and top predictions before and after the edit. */
  before: Prediction;
  after: Prediction;
  /** update: this language's new object and its predictions before and after. */
  newObject?: string;
  newBefore?: Prediction;
  newAfter?: Prediction;
}

export interface EditReport {
  factId: string;
  kind: 'erase' | 'update';
  neurons: Neuron[];
  /** update: lambda, the language the direction came from, and the tokens used. */
  lambda?: number;
  language?: string;
  fromTokens?: string[];
  toTokens?: string[];
  prompts: EditedPrompt[];
  /** Prompts skipped because the model cannot encode them. */
  warnings: string[];
}

export interface EditFactOptions {
  topK?: number;
  tapMode?: TapMode;
  multiToken?: MultiTokenMode;
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number }) => void;
}

/**
 * Edits the value vectors of `neurons` for `fact` and predicts every prompt of the fact before
 * and after. The edit stays applied: the caller reverts it with the handle (it is reverted here
 * if measuring fails or is aborted).
 */
export async function editFact(
  model: Model,
  fact: Fact,
  neurons: readonly Neuron[],
  edit: FactEdit,
  opts: EditFactOptions = {},
): Promise<{ handle: EditHandle; report: EditReport }> {
  const warnings: string[] = [];
  const encode = (text: string, object: string, language: string) => {
    try {
      return encodePrompt(model.config, model.tokenizer, text, object, opts.multiToken);
    } catch (e) {
      if (!(e instanceof PromptError)) throw e;
      warnings.push(`${language} "${text}" with "${object}" skipped: ${e.message}`);
      return null;
    }
  };
  const jobs = fact.prompts.flatMap((prompt) => {
    const enc = encode(prompt.text, prompt.object, prompt.language);
    if (!enc) return [];
    const newObject = edit.kind === 'update' ? edit.newObjects[prompt.language] : undefined;
    const encNew = newObject !== undefined ? encode(prompt.text, newObject, prompt.language) : null;
    return [{ prompt, enc, newObject: encNew ? newObject : undefined, encNew }];
  });
  const total = 2 * jobs.reduce((n, j) => n + (j.encNew ? 2 : 1), 0);
  let done = 0;
  const run = async (enc: NonNullable<ReturnType<typeof encode>>) => {
    opts.signal?.throwIfAborted();
    const [p] = await predict(model, enc, [[]], {
      topK: opts.topK,
      tapMode: opts.tapMode,
      signal: opts.signal,
    });
    opts.onProgress?.({ done: ++done, total });
    return p;
  };
  const measureAll = async () => {
    const out: { main: Prediction; extra?: Prediction }[] = [];
    for (const j of jobs)
      out.push({ main: await run(j.enc), extra: j.encNew ? await run(j.encNew) : undefined });
    return out;
  };

  let weightEdit: WeightEdit = { kind: 'erase' };
  const report: EditReport = {
    factId: fact.id,
    kind: edit.kind,
    neurons: [],
    prompts: [],
    warnings,
  };
  if (edit.kind === 'update') {
    const { language, from, to } = updateDirection(model, fact, edit);
    const lambda = edit.lambda ?? DEFAULT_LAMBDA;
    weightEdit = { kind: 'update', from: from.ids, to: to.ids, lambda };
    Object.assign(report, { lambda, language, fromTokens: from.tokens, toTokens: to.tokens });
  }

  const before = await measureAll();
  const handle = await editValueVectors(model, neurons, weightEdit);
  report.neurons = handle.neurons;
  let after;
  try {
    after = await measureAll();
  } catch (e) {
    await handle.revert();
    throw e;
  }
  report.prompts = jobs.map((j, k) => ({
    language: j.prompt.language,
    text: j.prompt.text,
    object: j.prompt.object,
    before: before[k].main,
    after: after[k].main,
    ...(j.newObject !== undefined
      ? { newObject: j.newObject, newBefore: before[k].extra, newAfter: after[k].extra }
      : {}),
  }));
  return { handle, report };
}

/**
 * The old and new objects' tokens in the direction's language: the tokens the model predicts
 * for them in that language's first prompt (a causal model's leading space included; never
 * special tokens, whatever the multi-token mode).
 */
function updateDirection(
  model: Model,
  fact: Fact,
  edit: Extract<FactEdit, { kind: 'update' }>,
): { language: string; from: ObjectTokens; to: ObjectTokens } {
  const language =
    edit.language ?? fact.prompts.find((p) => edit.newObjects[p.language] !== undefined)?.language;
  if (language === undefined)
    throw new RangeError(`update needs a new object in one of the fact's languages`);
  const prompt: Prompt | undefined = fact.prompts.find((p) => p.language === language);
  const newObject = edit.newObjects[language];
  if (!prompt || newObject === undefined)
    throw new RangeError(`the fact has no ${language} prompt or no new ${language} object`);
  return {
    language,
    from: objectTokens(model, prompt.text, prompt.object),
    to: objectTokens(model, prompt.text, newObject),
  };
}

export interface ObjectTokens {
  ids: number[];
  tokens: string[];
}

/** The tokens of `object` as the model predicts it in `text` (one per slot, no special tokens). */
export function objectTokens(model: Model, text: string, object: string): ObjectTokens {
  const enc = encodePrompt(model.config, model.tokenizer, text, object, 'per-token');
  return { ids: enc.slots.map((s) => s.tokenId), tokens: enc.slots.map((s) => s.token) };
}
