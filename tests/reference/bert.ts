import type { ModelConfig } from '../../src/weights/types';
import { activationFn, gelu } from './activations';
import { activateWithTap, add, attention, embed, layerNorm, linear } from './ops';
import type { FfnActivations, ForwardOptions, ForwardResult, Weights } from './types';
import { findPrefix, layerNorm as lnParams, tensor } from './weights';

/**
 * BERT / RoBERTa / XLM-R masked-LM forward pass, as transformers' BertForMaskedLM and
 * RobertaForMaskedLM compute it in eval mode (dropout off), for one sequence.
 */
export function bertForward(
  config: ModelConfig,
  weights: Weights,
  ids: ArrayLike<number>,
  options: ForwardOptions = {},
): ForwardResult {
  const { hiddenSize: H, intermediateSize: F, vocabSize: V, layerNormEps: eps } = config;
  const T = ids.length;
  const p = findPrefix(weights, 'embeddings.word_embeddings.weight', ['bert.', 'roberta.', '']);
  const keyMask = options.attentionMask ?? new Array<number>(T).fill(1);

  // BertEmbeddings / RobertaEmbeddings: word + token_type + position, then LayerNorm.
  const wordTable = tensor(weights, `${p}embeddings.word_embeddings.weight`, [V, H]);
  let h = embed(wordTable, V, H, ids);
  if (config.typeVocabSize > 0) {
    const typeTable = tensor(weights, `${p}embeddings.token_type_embeddings.weight`, [
      config.typeVocabSize,
      H,
    ]);
    h = add(
      h,
      embed(
        typeTable,
        config.typeVocabSize,
        H,
        options.tokenTypeIds ?? new Array<number>(T).fill(0),
      ),
    );
  } else if (options.tokenTypeIds) {
    throw new Error('reference: token type ids given to a model without token-type embeddings');
  }
  const posTable = tensor(weights, `${p}embeddings.position_embeddings.weight`, [
    config.maxPositions,
    H,
  ]);
  h = add(h, embed(posTable, config.maxPositions, H, positionIds(ids, config.positionOffset)));
  h = layerNorm(h, T, H, lnParams(weights, `${p}embeddings.LayerNorm`, H), eps);

  const hidden = [h];
  const record: FfnActivations | undefined = options.record ? { pre: [], post: [] } : undefined;
  const act = activationFn(config.activation);
  for (let l = 0; l < config.numLayers; l++) {
    const b = `${p}encoder.layer.${l}.`;
    const dense = (name: string, inDim: number, outDim: number, x: Float64Array) =>
      linear(
        x,
        T,
        inDim,
        tensor(weights, `${b}${name}.weight`, [outDim, inDim]),
        tensor(weights, `${b}${name}.bias`, [outDim]),
        outDim,
      );

    // BertSelfAttention + BertSelfOutput (post-LN residual).
    const q = dense('attention.self.query', H, H, h);
    const k = dense('attention.self.key', H, H, h);
    const v = dense('attention.self.value', H, H, h);
    const context = attention(q, k, v, T, H, config.numHeads, false, keyMask);
    const attnOut = dense('attention.output.dense', H, H, context);
    const a = layerNorm(
      add(attnOut, h),
      T,
      H,
      lnParams(weights, `${b}attention.output.LayerNorm`, H),
      eps,
    );

    // BertIntermediate (dense + activation, where the tap sits) + BertOutput.
    const pre = dense('intermediate.dense', H, F, a);
    const coeff = activateWithTap(pre, T, F, act, l, options, record);
    const ffnOut = dense('output.dense', F, H, coeff);
    h = layerNorm(add(ffnOut, a), T, H, lnParams(weights, `${b}output.LayerNorm`, H), eps);
    hidden.push(h);
  }

  return {
    logits: mlmHead(config, weights, h, T, `${p}embeddings.word_embeddings.weight`),
    hidden,
    activations: record,
  };
}

/**
 * BERT numbers positions 0..T-1. RoBERTa's create_position_ids_from_input_ids gives padding
 * tokens (id == padding_idx) position padding_idx and the others padding_idx + their 1-based
 * rank among non-padding tokens; positionOffset is padding_idx + 1.
 */
export function positionIds(ids: ArrayLike<number>, positionOffset: number): number[] {
  if (positionOffset === 0) return Array.from({ length: ids.length }, (_, t) => t);
  const paddingIdx = positionOffset - 1;
  let count = 0;
  return Array.from(ids, (id) => (id === paddingIdx ? paddingIdx : paddingIdx + ++count));
}

/**
 * BertLMPredictionHead (cls.predictions: transform dense, config activation, LayerNorm) or
 * RobertaLMHead (lm_head: dense, always erf gelu, layer_norm); decoder tied to the word
 * embeddings unless tieWordEmbeddings is false, plus the output bias.
 */
function mlmHead(
  config: ModelConfig,
  weights: Weights,
  h: Float64Array,
  T: number,
  wordName: string,
): Float64Array {
  const { hiddenSize: H, vocabSize: V } = config;
  const roberta = weights.has('lm_head.dense.weight');
  const base = roberta ? 'lm_head' : 'cls.predictions';
  const dense = roberta ? 'lm_head.dense' : 'cls.predictions.transform.dense';
  const norm = roberta ? 'lm_head.layer_norm' : 'cls.predictions.transform.LayerNorm';
  const act = roberta ? gelu : activationFn(config.activation);

  let x = linear(
    h,
    T,
    H,
    tensor(weights, `${dense}.weight`, [H, H]),
    tensor(weights, `${dense}.bias`, [H]),
    H,
  );
  x = x.map(act);
  x = layerNorm(x, T, H, lnParams(weights, norm, H), config.layerNormEps);

  const decoder = config.tieWordEmbeddings ? wordName : `${base}.decoder.weight`;
  // The bias is one parameter saved under either name (decoder.bias is tied to it).
  const biasName = weights.has(`${base}.bias`) ? `${base}.bias` : `${base}.decoder.bias`;
  return linear(x, T, H, tensor(weights, decoder, [V, H]), tensor(weights, biasName, [V]), V);
}
