import { probabilities, tapEdit } from './index';
import type { FfnActivations, ForwardOptions, ForwardResult, TapStage } from './types';

/** One family's reference forward pass with the model bound: referenceForward or llamaForward. */
export type BoundForward = (ids: number[], options: ForwardOptions) => ForwardResult;

export interface ReferenceAttributionOptions {
  method: 'amig' | 'ig' | 'grad-x-act';
  steps: number;
  stage: TapStage;
  /** Causal LMs: baselines replace positions 0..position only (later tokens cannot matter). */
  causal: boolean;
}

/**
 * The attribution map [L, F] computed by an independent route: the float64 reference forward
 * pass, with gradients dP(token at position)/dx by central finite differences along the same
 * path, scored as SPEC-amig.md says (AMIG: baseline = mean tap over prompts with one token
 * replaced by `baselineToken`, left Riemann sum, score a * mean gradient; IG: zero baseline,
 * both ends; grad-x-act: alpha = 1).
 */
export function referenceAttribution(
  forward: BoundForward,
  dims: { numLayers: number; intermediateSize: number; vocabSize: number },
  ids: number[],
  position: number,
  token: number,
  baselineToken: number,
  opts: ReferenceAttributionOptions,
): Float64Array {
  const { numLayers: L, intermediateSize: F, vocabSize: V } = dims;
  const run = (tokens: number[], edit?: ReturnType<typeof tapEdit>) =>
    forward(tokens, { edit, tapStage: opts.stage, record: true });
  const prob = (layer: number, x: Float64Array) =>
    probabilities(run(ids, tapEdit(layer, position, 0, x)).logits, V, position)[token];
  const act = (acts: FfnActivations, l: number) =>
    tapValues(acts, opts.stage)[l].slice(position * F, (position + 1) * F);
  const clean = run(ids).activations!;
  const scores = new Float64Array(L * F);
  const varied = opts.causal ? position + 1 : ids.length;
  const variants =
    opts.method === 'amig'
      ? Array.from({ length: varied }, (_, j) =>
          run(ids.map((id, k) => (k === j ? baselineToken : id))),
        )
      : [];
  for (let l = 0; l < L; l++) {
    const a = act(clean, l);
    const b = new Float64Array(F);
    for (const variant of variants) {
      const v = act(variant.activations!, l);
      for (let i = 0; i < F; i++) b[i] += v[i] / varied;
    }
    const m = opts.steps;
    const alphas =
      opts.method === 'grad-x-act'
        ? [1]
        : opts.method === 'amig'
          ? [...Array(m).keys()].map((k) => k / m)
          : [...Array(m).keys()].map((k) => k / (m - 1));
    for (const alpha of alphas) {
      const x = a.map((ai, i) => b[i] + alpha * (ai - b[i]));
      for (let i = 0; i < F; i++) {
        const h = 1e-4;
        const up = Float64Array.from(x);
        const down = Float64Array.from(x);
        up[i] += h;
        down[i] -= h;
        const g = (prob(l, up) - prob(l, down)) / (2 * h);
        scores[l * F + i] += (a[i] * g) / alphas.length;
      }
    }
  }
  return scores;
}

/** The recorded activations a tap stage observes. */
function tapValues(acts: FfnActivations, stage: TapStage): Float64Array[] {
  if (stage === 'pre') return acts.pre;
  if (stage === 'post') return acts.post;
  if (!acts.gate) throw new Error("reference: tap stage 'gate' needs a gated FFN (LLaMA family)");
  return acts.gate;
}
