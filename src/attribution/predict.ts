/**
 * Predictions at the object's slots, with or without neuron interventions: each variant is a
 * set of neurons whose tapped activation is multiplied by a factor (0 suppresses, 2 enhances)
 * at the target positions. All variants of a prompt run as one batch.
 */
import { Executor, type Model, type TapMode } from '../model';
import { tokenText } from '../weights/token-text';
import type { EncodedPrompt } from './prompt';
import { checkTapMode } from './settings';

export interface NeuronEdit {
  layer: number;
  unit: number;
  /** The activation is multiplied by this: 0 suppresses, 2 enhances. */
  factor: number;
}

export interface TokenProbability {
  id: number;
  /** The vocabulary entry. */
  token: string;
  /** The token as text, for display (absent in answers stored before it was kept). */
  text?: string;
  probability: number;
}

export interface SlotPrediction {
  position: number;
  tokenId: number;
  token: string;
  /** The token as text, for display (absent in answers stored before it was kept). */
  text?: string;
  /** P(object token) at this slot. */
  probability: number;
  /** Most probable tokens at this slot, best first. */
  top: TokenProbability[];
}

export interface Prediction {
  /** P(object): the product over the object's tokens. */
  probability: number;
  slots: SlotPrediction[];
}

export interface PredictOptions {
  topK?: number;
  tapMode?: TapMode;
  signal?: AbortSignal;
}

export function suppress(neurons: { layer: number; unit: number }[]): NeuronEdit[] {
  return neurons.map((n) => ({ ...n, factor: 0 }));
}

export function enhance(neurons: { layer: number; unit: number }[]): NeuronEdit[] {
  return neurons.map((n) => ({ ...n, factor: 2 }));
}

/** One prediction per variant (a variant with no edits is the unedited model). */
export async function predict(
  model: Model,
  enc: EncodedPrompt,
  variants: NeuronEdit[][] = [[]],
  opts: PredictOptions = {},
): Promise<Prediction[]> {
  const L = model.numLayers;
  const F = model.numUnits;
  const R = variants.length;
  const T = enc.ids.length;
  for (const v of variants)
    for (const e of v)
      if (!(e.layer >= 0 && e.layer < L && e.unit >= 0 && e.unit < F))
        throw new RangeError(
          `neuron (${e.layer}, ${e.unit}) is outside this model's ${L} x ${F} neurons`,
        );
  if (opts.tapMode) checkTapMode(model.config.family, model.config.modelType, opts.tapMode);
  const exec = await Executor.create(model, opts.tapMode);
  try {
    const positions = [...new Set(enc.slots.map((s) => s.position))];
    const ctx = exec.context(T, positions);
    const ids = BigInt64Array.from(variants.flatMap(() => enc.ids).map(BigInt));
    const pos = BigInt64Array.from(variants.flatMap(() => enc.positions).map(BigInt));
    let h = await exec.embed(ids, pos, R);
    const add = exec.input(new Float32Array(R * F), [R, F]);
    for (let l = 0; l < L; l++) {
      opts.signal?.throwIfAborted();
      const mul = new Float32Array(R * F).fill(1);
      variants.forEach((v, r) => {
        for (const e of v) if (e.layer === l) mul[r * F + e.unit] = e.factor;
      });
      const out = await exec.block(l, h, ctx, exec.input(mul, [R, F]), add);
      exec.free(h, out.found);
      h = out.h;
    }
    const perPosition = new Map<number, Float32Array>();
    for (const p of positions) {
      const lp = await exec.head(h, exec.oneHot(Array<number>(R).fill(p), T));
      perPosition.set(p, await exec.read(lp));
      exec.free(lp);
    }
    exec.free(h);
    const V = perPosition.get(positions[0])!.length / R;
    const topK = opts.topK ?? 10;
    return variants.map((_, r) => {
      const slots = enc.slots.map((slot) => {
        const row = perPosition.get(slot.position)!.subarray(r * V, (r + 1) * V);
        return {
          position: slot.position,
          tokenId: slot.tokenId,
          token: slot.token,
          text: slot.text,
          probability: Math.exp(row[slot.tokenId]),
          top: topTokens(row, topK).map((id) => ({
            id,
            token: model.tokenizer.idToToken(id) ?? String(id),
            text: tokenText(model.tokenizer, id),
            probability: Math.exp(row[id]),
          })),
        };
      });
      return { probability: slots.reduce((p, s) => p * s.probability, 1), slots };
    });
  } finally {
    exec.dispose();
  }
}

/** Indices of the k largest values, largest first. */
export function topTokens(row: Float32Array, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < row.length; i++) {
    if (best.length === k && row[i] <= row[best[k - 1]]) continue;
    let j = Math.min(best.length, k - 1);
    best[j] = i;
    while (j > 0 && row[best[j - 1]] < row[i]) {
      [best[j - 1], best[j]] = [best[j], best[j - 1]];
      j--;
    }
  }
  return best;
}
