/**
 * LLaMA family (Llama, Mistral, Qwen2, Qwen3): pre-RMSNorm blocks, rotary causal attention with
 * grouped key/value heads, and a gated FFN whose neuron is the coefficient of one column of
 * down_proj.
 */
import { type Tensor, nn, ops } from '../graph';
import type { ModelConfig } from '../weights/types';
import type { Architecture } from './architecture';
import {
  type BlockContext,
  type Tap,
  type WeightSpec,
  type Weights,
  mergeHeads,
  scaledDotProductAttention,
  splitHeads,
  tapModeError,
} from './common';
import { llamaParams, rotate } from './rope';

/**
 * A block weight: torch Linear weights [out, in] are used as [in, out], biases and norm weights
 * as stored; `fromConfig` names the config fields its shape follows from.
 */
const weight = (input: string, hf: string, shape: number[], fromConfig: string): WeightSpec => ({
  input,
  shape,
  hf: [hf],
  layout: input.endsWith('_w') ? 'transpose' : 'as-is',
  fromConfig,
});

/** x W (+ b): the bias only where the model has one. */
const project = (x: Tensor, w: Tensor, b: Tensor | null) => (b ? x.matmul(w).add(b) : x.matmul(w));

/**
 * Causal self-attention: q, k, v projections (biased in Qwen2), per-head RMSNorm of q and k
 * (Qwen3), the rotation, the shared attention core over grouped key/value heads, o_proj; also
 * the rotated keys and the values of these positions (what a clean pass keeps).
 */
function selfAttention(
  cfg: ModelConfig,
  x: Tensor,
  ctx: BlockContext,
  w: Weights,
): { out: Tensor; k: Tensor; v: Tensor } {
  const p = llamaParams(cfg);
  const bias = (name: string) => (p.qkvBias ? w[name] : null);
  let q = splitHeads(project(x, w.q_w, bias('q_b')), cfg.numHeads);
  let k = splitHeads(project(x, w.k_w, bias('k_b')), p.numKvHeads);
  const v = splitHeads(project(x, w.v_w, bias('v_b')), p.numKvHeads);
  if (p.qkNorm) {
    q = ops.rmsNorm(q, w.q_norm_g, cfg.layerNormEps);
    k = ops.rmsNorm(k, w.k_norm_g, cfg.layerNormEps);
  }
  if (!ctx.rope) throw new Error('a rotary model needs the rope tables in its block context');
  const keys = rotate(k, ctx.rope);
  const context = scaledDotProductAttention(rotate(q, ctx.rope), keys, v, ctx);
  return { out: project(mergeHeads(context), w.o_w, p.outputBias ? w.o_b : null), k: keys, v };
}

/**
 * down_proj(silu(gate_proj x) * up_proj x). The tap edits the coefficient c = silu(g) * u (the
 * default) or the gate activation silu(g) before u multiplies it.
 */
function gatedFeedForward(
  cfg: ModelConfig,
  x: Tensor,
  w: Weights,
  tap: Tap | null,
): { out: Tensor; found: Tensor | null } {
  const biased = llamaParams(cfg).mlpBias;
  const gate = () => nn.silu(project(x, w.gate_w, biased ? w.gate_b : null));
  const up = project(x, w.up_w, biased ? w.up_b : null);
  const down = (c: Tensor) => project(c, w.proj_w, biased ? w.proj_b : null);
  if (!tap) return { out: down(gate().mul(up)), found: null };
  if (tap.mode === 'pre-activation') throw tapModeError(cfg, tap.mode);
  if (tap.mode === 'gate') {
    const t = tap.apply(gate);
    return { out: down(t.edited.mul(up)), found: t.found };
  }
  // A tap that replaces c never reads silu(gate) * up: the graph leaves both out.
  const t = tap.apply(() => gate().mul(up));
  return { out: down(t.edited), found: t.found };
}

export const llama: Architecture = {
  family: 'llama',
  causal: true,
  rotary: true,
  decoderBias: false,
  // A neuron reads through its gate_proj and its up_proj row (docs/method.md).
  keyInputs: ['gate_w', 'up_w'],

  globalWeights(cfg) {
    const { hiddenSize: H, vocabSize: V } = cfg;
    const specs: WeightSpec[] = [
      {
        input: 'word_emb',
        shape: [V, H],
        hf: ['embed_tokens.weight'],
        layout: 'as-is',
        rowTable: true,
      },
      { input: 'norm_g', shape: [H], hf: ['norm.weight'], layout: 'as-is' },
    ];
    if (!cfg.tieWordEmbeddings)
      specs.push({
        input: 'decoder_w',
        shape: [V, H],
        hf: ['lm_head.weight'],
        layout: 'as-is',
        rowTable: true,
      });
    return specs;
  },

  blockWeights(cfg) {
    const p = llamaParams(cfg);
    const H = cfg.hiddenSize;
    const F = cfg.intermediateSize;
    const q = cfg.numHeads * p.headDim;
    const kv = p.numKvHeads * p.headDim;
    const at = (name: string) => `layers.{l}.${name}`;
    const heads = 'num_attention_heads x head_dim';
    const kvHeads = 'num_key_value_heads x head_dim';
    const specs = [
      weight('ln1_g', at('input_layernorm.weight'), [H], 'hidden_size'),
      weight('q_w', at('self_attn.q_proj.weight'), [H, q], `hidden_size, ${heads}`),
      weight('k_w', at('self_attn.k_proj.weight'), [H, kv], `hidden_size, ${kvHeads}`),
      weight('v_w', at('self_attn.v_proj.weight'), [H, kv], `hidden_size, ${kvHeads}`),
      weight('o_w', at('self_attn.o_proj.weight'), [q, H], `${heads}, hidden_size`),
      weight('ln2_g', at('post_attention_layernorm.weight'), [H], 'hidden_size'),
      weight('gate_w', at('mlp.gate_proj.weight'), [H, F], 'hidden_size, intermediate_size'),
      weight('up_w', at('mlp.up_proj.weight'), [H, F], 'hidden_size, intermediate_size'),
      weight('proj_w', at('mlp.down_proj.weight'), [F, H], 'intermediate_size, hidden_size'),
    ];
    if (p.qkvBias)
      specs.push(
        weight('q_b', at('self_attn.q_proj.bias'), [q], heads),
        weight('k_b', at('self_attn.k_proj.bias'), [kv], kvHeads),
        weight('v_b', at('self_attn.v_proj.bias'), [kv], kvHeads),
      );
    if (p.outputBias) specs.push(weight('o_b', at('self_attn.o_proj.bias'), [H], 'hidden_size'));
    if (p.qkNorm)
      specs.push(
        weight('q_norm_g', at('self_attn.q_norm.weight'), [p.headDim], 'head_dim'),
        weight('k_norm_g', at('self_attn.k_norm.weight'), [p.headDim], 'head_dim'),
      );
    if (p.mlpBias)
      specs.push(
        weight('gate_b', at('mlp.gate_proj.bias'), [F], 'intermediate_size'),
        weight('up_b', at('mlp.up_proj.bias'), [F], 'intermediate_size'),
        weight('proj_b', at('mlp.down_proj.bias'), [H], 'hidden_size'),
      );
    return specs;
  },

  // e = E[ids]; positions enter through the rotation.
  embed(_cfg, ids, _positions, w) {
    return w.word_emb.gather(ids);
  },

  // h1 = h + Attn(RMSNorm1(h))
  attentionSublayer(cfg, h, ctx, w) {
    if (ctx.queries) throw new Error('llama blocks compute every position (rotary queries)');
    const a = selfAttention(cfg, ops.rmsNorm(h, w.ln1_g, cfg.layerNormEps), ctx, w);
    return { h: h.add(a.out), k: a.k, v: a.v };
  },

  // h2 = h1 + FFN(RMSNorm2(h1))
  feedForwardSublayer(cfg, h1, tap, w) {
    const ffn = gatedFeedForward(cfg, ops.rmsNorm(h1, w.ln2_g, cfg.layerNormEps), w, tap);
    return { h: h1.add(ffn.out), found: ffn.found };
  },

  headTransform(cfg, h, w) {
    return ops.rmsNorm(h, w.norm_g, cfg.layerNormEps);
  },
};
