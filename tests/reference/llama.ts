import { readLlamaConfig } from './llama-config';
import { add, embed, gatedActivateWithTap, groupedAttention, linear, rmsNorm } from './ops';
import { applyRope, ropeInverseFrequencies } from './rope';
import type { FfnActivations, ForwardOptions, ForwardResult, Weights } from './types';
import { findPrefix, tensor } from './weights';

/**
 * LLaMA-family causal-LM forward pass (LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM,
 * Qwen3ForCausalLM in eval mode, eager attention), one sequence, in float64. `config` is the raw
 * config.json object; tensors carry their Hugging Face names. Positions are 0..T-1 whatever the
 * attention mask, as the models number them without position_ids.
 *
 *   h = embed_tokens[ids]
 *   per layer:  x = RMSNorm(h) ; q, k, v = x Wq (+bq), x Wk (+bk), x Wv (+bv)
 *               q, k = RMSNorm per head (Qwen3) ; q, k = RoPE(q), RoPE(k)
 *               h = h + o_proj(softmax(q k^T / sqrt(d) + causal mask) v)   (GQA: repeat_kv)
 *               x = RMSNorm(h) ; c = silu(x Wgate) * (x Wup)   <- the tap ; h = h + c Wdown
 *   logits = RMSNorm(h) W_lm^T   (W_lm = embed_tokens when tie_word_embeddings)
 */
export function llamaForward(
  config: unknown,
  weights: Weights,
  ids: ArrayLike<number>,
  options: ForwardOptions = {},
): ForwardResult {
  const shape = readLlamaConfig(config);
  const T = ids.length;
  if (T === 0) throw new Error('reference: empty input');
  if (options.tokenTypeIds) {
    throw new Error('reference: token type ids given to a model without token-type embeddings');
  }
  if (options.attentionMask && options.attentionMask.length !== T) {
    throw new Error(
      `reference: attentionMask has ${options.attentionMask.length} entries for ${T} tokens`,
    );
  }
  const {
    hiddenSize: H,
    intermediateSize: F,
    vocabSize: V,
    numHeads,
    numKvHeads,
    headDim: d,
    rmsNormEps: eps,
  } = shape;
  const qWidth = numHeads * d;
  const kvWidth = numKvHeads * d;
  const keyMask = options.attentionMask ?? new Array<number>(T).fill(1);
  const positions = Array.from({ length: T }, (_, t) => t);
  const invFreq = ropeInverseFrequencies(shape.rope, d);
  // The body is saved under `model.` by *ForCausalLM (bare *Model checkpoints have no prefix).
  const p = findPrefix(weights, 'embed_tokens.weight', ['model.', '']);
  const bias = (name: string, present: boolean, size: number) =>
    present ? tensor(weights, `${name}.bias`, [size]) : null;

  const embedTable = tensor(weights, `${p}embed_tokens.weight`, [V, H]);
  let h = embed(embedTable, V, H, ids);
  const hidden = [h];
  const record: FfnActivations | undefined = options.record
    ? { pre: [], post: [], gate: [], up: [] }
    : undefined;

  for (let l = 0; l < shape.numLayers; l++) {
    const b = `${p}layers.${l}.`;
    const proj = (name: string, x: Float64Array, inDim: number, outDim: number, biased: boolean) =>
      linear(
        x,
        T,
        inDim,
        tensor(weights, `${b}${name}.weight`, [outDim, inDim]),
        bias(`${b}${name}`, biased, outDim),
        outDim,
      );
    const norm = (name: string, x: Float64Array, rows: number, size: number) =>
      rmsNorm(x, rows, size, tensor(weights, `${b}${name}.weight`, [size]), eps);

    // Attention block.
    const x1 = norm('input_layernorm', h, T, H);
    let q = proj('self_attn.q_proj', x1, H, qWidth, shape.qkvBias);
    let k = proj('self_attn.k_proj', x1, H, kvWidth, shape.qkvBias);
    const v = proj('self_attn.v_proj', x1, H, kvWidth, shape.qkvBias);
    if (shape.qkNorm) {
      // Qwen3: one RMSNorm over each head's d values, shared by all heads, before the rotation.
      q = norm('self_attn.q_norm', q, T * numHeads, d);
      k = norm('self_attn.k_norm', k, T * numKvHeads, d);
    }
    q = applyRope(q, T, numHeads, d, invFreq, positions);
    k = applyRope(k, T, numKvHeads, d, invFreq, positions);
    const window = shape.slidingWindow[l];
    const context = groupedAttention(q, k, v, T, numHeads, numKvHeads, d, keyMask, window);
    h = add(h, proj('self_attn.o_proj', context, qWidth, H, shape.outputBias));

    // Gated FFN: the coefficient c (or the gate) is the tap.
    const x2 = norm('post_attention_layernorm', h, T, H);
    const gatePre = proj('mlp.gate_proj', x2, H, F, shape.mlpBias);
    const up = proj('mlp.up_proj', x2, H, F, shape.mlpBias);
    const coeff = gatedActivateWithTap(gatePre, up, T, F, l, options, record);
    h = add(h, proj('mlp.down_proj', coeff, F, H, shape.mlpBias));
    hidden.push(h);
  }

  const final = rmsNorm(h, T, H, tensor(weights, `${p}norm.weight`, [H]), eps);
  const lmHead = shape.tieWordEmbeddings ? embedTable : tensor(weights, 'lm_head.weight', [V, H]);
  return { logits: linear(final, T, H, lmHead, null, V), hidden, activations: record };
}
