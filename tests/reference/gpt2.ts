import type { ModelConfig } from '../../src/weights/types';
import { activationFn } from './activations';
import { activateWithTap, add, attention, conv1d, embed, layerNorm, linear } from './ops';
import type { FfnActivations, ForwardOptions, ForwardResult, Weights } from './types';
import { findPrefix, layerNorm as lnParams, tensor } from './weights';

/**
 * GPT-2 / mGPT causal-LM forward pass, as transformers' GPT2LMHeadModel computes it in eval
 * mode with default config (scale_attn_weights on, no inverse-layer-idx scaling), one sequence.
 * Positions are 0..T-1 whatever the attention mask, as GPT2Model does without position_ids.
 */
export function gpt2Forward(
  config: ModelConfig,
  weights: Weights,
  ids: ArrayLike<number>,
  options: ForwardOptions = {},
): ForwardResult {
  const { hiddenSize: H, intermediateSize: F, vocabSize: V, layerNormEps: eps } = config;
  const T = ids.length;
  // GPT2LMHeadModel saves the body under `transformer.`; OpenAI's gpt2 checkpoints have no prefix.
  const p = findPrefix(weights, 'wte.weight', ['transformer.', '']);
  const keyMask = options.attentionMask ?? new Array<number>(T).fill(1);

  const wte = tensor(weights, `${p}wte.weight`, [V, H]);
  const wpe = tensor(weights, `${p}wpe.weight`, [config.maxPositions, H]);
  let h = add(
    embed(wte, V, H, ids),
    embed(
      wpe,
      config.maxPositions,
      H,
      Array.from({ length: T }, (_, t) => t),
    ),
  );
  if (options.tokenTypeIds) h = add(h, embed(wte, V, H, options.tokenTypeIds));

  const hidden = [h];
  const record: FfnActivations | undefined = options.record ? { pre: [], post: [] } : undefined;
  const act = activationFn(config.activation);
  for (let l = 0; l < config.numLayers; l++) {
    const b = `${p}h.${l}.`;
    const conv = (name: string, inDim: number, outDim: number, x: Float64Array) =>
      conv1d(
        x,
        T,
        inDim,
        tensor(weights, `${b}${name}.weight`, [inDim, outDim]),
        tensor(weights, `${b}${name}.bias`, [outDim]),
        outDim,
      );

    // Pre-LN attention: c_attn's output columns are [q | k | v].
    const x1 = layerNorm(h, T, H, lnParams(weights, `${b}ln_1`, H), eps);
    const qkv = conv('attn.c_attn', H, 3 * H, x1);
    const q = new Float64Array(T * H);
    const k = new Float64Array(T * H);
    const v = new Float64Array(T * H);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < H; i++) {
        q[t * H + i] = qkv[t * 3 * H + i];
        k[t * H + i] = qkv[t * 3 * H + H + i];
        v[t * H + i] = qkv[t * 3 * H + 2 * H + i];
      }
    }
    const context = attention(q, k, v, T, H, config.numHeads, true, keyMask);
    h = add(h, conv('attn.c_proj', H, H, context));

    // Pre-LN MLP: c_fc, activation (the tap), c_proj.
    const x2 = layerNorm(h, T, H, lnParams(weights, `${b}ln_2`, H), eps);
    const pre = conv('mlp.c_fc', H, F, x2);
    const coeff = activateWithTap(pre, T, F, act, l, options, record);
    h = add(h, conv('mlp.c_proj', F, H, coeff));
    hidden.push(h);
  }

  const final = layerNorm(h, T, H, lnParams(weights, `${p}ln_f`, H), eps);
  const lmHead = config.tieWordEmbeddings ? wte : tensor(weights, 'lm_head.weight', [V, H]);
  return { logits: linear(final, T, H, lmHead, null, V), hidden, activations: record };
}
