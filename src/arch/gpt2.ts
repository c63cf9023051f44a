/** GPT-2 family (GPT-2, mGPT): pre-LayerNorm blocks with causal attention, tied LM head. */
import { ops } from '../graph';
import type { Architecture } from './architecture';
import { type WeightSpec, attention, blockShapes, feedForward, queryRows } from './common';

const conv1d = (input: string, hf: string, shape: (number | string)[]): WeightSpec => ({
  input,
  shape,
  hf: [hf],
  layout: 'as-is', // GPT-2's Conv1D already stores [in, out]
});

/** q, k and v are thirds of the fused c_attn projection. */
const qkv = (
  input: string,
  part: number,
  kind: 'weight' | 'bias',
  shape: number[],
): WeightSpec => ({
  input,
  shape,
  hf: [`h.{l}.attn.c_attn.${kind}`],
  layout: { split: part, of: 3 },
});

export const gpt2: Architecture = {
  family: 'gpt2',
  causal: true,
  decoderBias: false,
  rotary: false,
  keyInputs: ['fc_w'],

  globalWeights(cfg) {
    const { hiddenSize: H, vocabSize: V } = cfg;
    const specs: WeightSpec[] = [
      { input: 'word_emb', shape: [V, H], hf: ['wte.weight'], layout: 'as-is', rowTable: true },
      {
        input: 'pos_emb',
        shape: [cfg.maxPositions, H],
        hf: ['wpe.weight'],
        layout: 'as-is',
        rowTable: true,
      },
      { input: 'lnf_g', shape: [H], hf: ['ln_f.weight'], layout: 'as-is' },
      { input: 'lnf_b', shape: [H], hf: ['ln_f.bias'], layout: 'as-is' },
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
    const H = cfg.hiddenSize;
    const s = blockShapes(cfg);
    const at = (p: string) => `h.{l}.${p}`;
    return [
      conv1d('ln1_g', at('ln_1.weight'), s.ln1_g),
      conv1d('ln1_b', at('ln_1.bias'), s.ln1_b),
      qkv('q_w', 0, 'weight', [H, H]),
      qkv('k_w', 1, 'weight', [H, H]),
      qkv('v_w', 2, 'weight', [H, H]),
      qkv('q_b', 0, 'bias', [H]),
      qkv('k_b', 1, 'bias', [H]),
      qkv('v_b', 2, 'bias', [H]),
      conv1d('o_w', at('attn.c_proj.weight'), s.o_w),
      conv1d('o_b', at('attn.c_proj.bias'), s.o_b),
      conv1d('ln2_g', at('ln_2.weight'), s.ln2_g),
      conv1d('ln2_b', at('ln_2.bias'), s.ln2_b),
      conv1d('fc_w', at('mlp.c_fc.weight'), s.fc_w),
      conv1d('fc_b', at('mlp.c_fc.bias'), s.fc_b),
      conv1d('proj_w', at('mlp.c_proj.weight'), s.proj_w),
      conv1d('proj_b', at('mlp.c_proj.bias'), s.proj_b),
    ];
  },

  // e = E[ids] + P[pos]
  embed(_cfg, ids, positions, w) {
    return w.word_emb.gather(ids).add(w.pos_emb.gather(positions));
  },

  // h1 = h + Attn(LN1(h))
  attentionSublayer(cfg, h, ctx, w) {
    const a = attention(ops.layerNorm(h, w.ln1_g, w.ln1_b, cfg.layerNormEps), w, ctx, cfg);
    return { h: queryRows(h, ctx).add(a.out), k: a.k, v: a.v };
  },

  // h2 = h1 + FFN(LN2(h1))
  feedForwardSublayer(cfg, h1, tap, w) {
    const ffn = feedForward(cfg, ops.layerNorm(h1, w.ln2_g, w.ln2_b, cfg.layerNormEps), w, tap);
    return { h: h1.add(ffn.out), found: ffn.found };
  },

  headTransform(cfg, h, w) {
    return ops.layerNorm(h, w.lnf_g, w.lnf_b, cfg.layerNormEps);
  },
};
