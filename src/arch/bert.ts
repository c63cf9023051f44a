/** BERT family (BERT, mBERT; RoBERTa, XLM-R): post-LayerNorm blocks, masked-LM head. */
import { nn, ops } from '../graph';
import type { Architecture } from './architecture';
import {
  type WeightSpec,
  activation,
  attention,
  blockShapes,
  feedForward,
  queryRows,
} from './common';

const linear = (input: string, hf: string, shape: (number | string)[]): WeightSpec => ({
  input,
  shape,
  hf: [hf],
  layout: input.endsWith('_w') ? 'transpose' : 'as-is',
});

export const bert: Architecture = {
  family: 'bert',
  causal: false,
  decoderBias: true,
  rotary: false,
  keyInputs: ['fc_w'],

  globalWeights(cfg) {
    const { hiddenSize: H, vocabSize: V } = cfg;
    const specs: WeightSpec[] = [
      {
        input: 'word_emb',
        shape: [V, H],
        hf: ['embeddings.word_embeddings.weight'],
        layout: 'as-is',
        rowTable: true,
      },
      {
        input: 'pos_emb',
        shape: [cfg.maxPositions, H],
        hf: ['embeddings.position_embeddings.weight'],
        layout: 'as-is',
        rowTable: true,
      },
      { input: 'emb_ln_g', shape: [H], hf: ['embeddings.LayerNorm.weight'], layout: 'as-is' },
      { input: 'emb_ln_b', shape: [H], hf: ['embeddings.LayerNorm.bias'], layout: 'as-is' },
      {
        input: 'head_dense_w',
        shape: [H, H],
        hf: ['cls.predictions.transform.dense.weight', 'lm_head.dense.weight'],
        layout: 'transpose',
      },
      {
        input: 'head_dense_b',
        shape: [H],
        hf: ['cls.predictions.transform.dense.bias', 'lm_head.dense.bias'],
        layout: 'as-is',
      },
      {
        input: 'head_ln_g',
        shape: [H],
        hf: ['cls.predictions.transform.LayerNorm.weight', 'lm_head.layer_norm.weight'],
        layout: 'as-is',
      },
      {
        input: 'head_ln_b',
        shape: [H],
        hf: ['cls.predictions.transform.LayerNorm.bias', 'lm_head.layer_norm.bias'],
        layout: 'as-is',
      },
      {
        input: 'decoder_b',
        shape: [V],
        hf: [
          'cls.predictions.bias',
          'lm_head.bias',
          'cls.predictions.decoder.bias',
          'lm_head.decoder.bias',
        ],
        layout: 'as-is',
      },
    ];
    if (cfg.typeVocabSize > 0)
      specs.push({
        input: 'type_emb',
        shape: [cfg.typeVocabSize, H],
        hf: ['embeddings.token_type_embeddings.weight'],
        layout: 'as-is',
      });
    if (!cfg.tieWordEmbeddings)
      specs.push({
        input: 'decoder_w',
        shape: [V, H],
        hf: ['cls.predictions.decoder.weight', 'lm_head.decoder.weight'],
        layout: 'as-is',
        rowTable: true,
      });
    return specs;
  },

  blockWeights(cfg) {
    const s = blockShapes(cfg);
    const at = (p: string) => `encoder.layer.{l}.${p}`;
    return [
      linear('q_w', at('attention.self.query.weight'), s.q_w),
      linear('q_b', at('attention.self.query.bias'), s.q_b),
      linear('k_w', at('attention.self.key.weight'), s.k_w),
      linear('k_b', at('attention.self.key.bias'), s.k_b),
      linear('v_w', at('attention.self.value.weight'), s.v_w),
      linear('v_b', at('attention.self.value.bias'), s.v_b),
      linear('o_w', at('attention.output.dense.weight'), s.o_w),
      linear('o_b', at('attention.output.dense.bias'), s.o_b),
      linear('ln1_g', at('attention.output.LayerNorm.weight'), s.ln1_g),
      linear('ln1_b', at('attention.output.LayerNorm.bias'), s.ln1_b),
      linear('fc_w', at('intermediate.dense.weight'), s.fc_w),
      linear('fc_b', at('intermediate.dense.bias'), s.fc_b),
      linear('proj_w', at('output.dense.weight'), s.proj_w),
      linear('proj_b', at('output.dense.bias'), s.proj_b),
      linear('ln2_g', at('output.LayerNorm.weight'), s.ln2_g),
      linear('ln2_b', at('output.LayerNorm.bias'), s.ln2_b),
    ];
  },

  // e = LN(E[ids] + P[pos] + TT[0])
  embed(cfg, ids, positions, w) {
    let e = w.word_emb.gather(ids).add(w.pos_emb.gather(positions));
    if (cfg.typeVocabSize > 0) e = e.add(w.type_emb.slice(0, 0, 1).squeeze([0]));
    return ops.layerNorm(e, w.emb_ln_g, w.emb_ln_b, cfg.layerNormEps);
  },

  // h1 = LN(h + Attn(h))
  attentionSublayer(cfg, h, ctx, w) {
    const a = attention(h, w, ctx, cfg);
    const residual = queryRows(h, ctx);
    return {
      h: ops.layerNorm(residual.add(a.out), w.ln1_g, w.ln1_b, cfg.layerNormEps),
      k: a.k,
      v: a.v,
    };
  },

  // h2 = LN(h1 + FFN(h1))
  feedForwardSublayer(cfg, h1, tap, w) {
    const ffn = feedForward(cfg, h1, w, tap);
    return {
      h: ops.layerNorm(h1.add(ffn.out), w.ln2_g, w.ln2_b, cfg.layerNormEps),
      found: ffn.found,
    };
  },

  headTransform(cfg, h, w) {
    const dense = h.matmul(w.head_dense_w).add(w.head_dense_b);
    // RoBERTa's LM head applies erf GELU whatever hidden_act says; BERT's applies hidden_act.
    const act = cfg.modelType === 'bert' ? activation(cfg, dense) : nn.gelu(dense);
    return ops.layerNorm(act, w.head_ln_g, w.head_ln_b, cfg.layerNormEps);
  },
};
