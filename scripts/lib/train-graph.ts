/**
 * The whole model as one graph with its language-modelling loss and the loss's gradient for
 * every weight: the engine's own reverse-mode differentiation, used to train the demo models.
 */
import {
  type Architecture,
  type BlockContext,
  ROTARY_INPUTS,
  type WeightSpec,
  type Weights,
  runBlock,
} from '../../src/arch';
import { Graph, type Tensor, ops } from '../../src/graph';
import type { ModelConfig } from '../../src/weights/types';

/** A weight of the training graph: a global one, or block `layer`'s. */
export interface TrainWeight {
  input: string;
  spec: WeightSpec;
  layer: number | null;
}

export interface TrainGraph {
  graph: Graph;
  weights: TrainWeight[];
}

/**
 * Inputs: ids, positions [B, T] int64; bias [B, 1, T, T] (causal and padding masks); rotary
 * models: rope_cos, rope_sin [T, head_dim] (ropeTables of positions 0..T-1); targets [N] int64,
 * flat indices b*T*V + t*V + token of the predicted tokens; target_weights [N].
 * Outputs: loss = -sum(w * log p(target)), and grad:<input> for every weight.
 */
export function trainingGraph(
  arch: Architecture,
  cfg: ModelConfig,
  batch: number,
  seqLen: number,
): TrainGraph {
  const g = new Graph('train');
  const B = batch;
  const T = seqLen;
  const V = cfg.vocabSize;
  const ids = g.input('ids', 'int64', [B, T]);
  const positions = g.input('positions', 'int64', [B, T]);
  const ctx: BlockContext = { bias: g.input('bias', 'float32', [B, 1, T, T]) };
  if (arch.rotary) {
    const [cos, sin] = ROTARY_INPUTS.map((name) =>
      g.input(name, 'float32', [T, cfg.llama!.headDim]),
    );
    ctx.rope = { cos, sin };
  }
  const targets = g.input('targets', 'int64', ['N']);
  const targetWeights = g.input('target_weights', 'float32', ['N']);

  const weights: TrainWeight[] = [];
  const tensors: Tensor[] = [];
  const declare = (spec: WeightSpec, layer: number | null): Tensor => {
    const input = layer === null ? spec.input : `l${layer}.${spec.input}`;
    weights.push({ input, spec, layer });
    const t = g.input(input, 'float32', spec.shape);
    tensors.push(t);
    return t;
  };
  const globals: Weights = {};
  for (const spec of arch.globalWeights(cfg)) globals[spec.input] = declare(spec, null);

  let h = arch.embed(cfg, ids, positions, globals);
  for (let l = 0; l < cfg.numLayers; l++) {
    const w: Weights = {};
    for (const spec of arch.blockWeights(cfg)) w[spec.input] = declare(spec, l);
    h = runBlock(arch, cfg, h, ctx, null, w).h;
  }
  const x = arch.headTransform(cfg, h, globals);
  const decoder = cfg.tieWordEmbeddings ? globals.word_emb : globals.decoder_w;
  let logits = x.matmul(decoder.transpose([1, 0]));
  if (arch.decoderBias) logits = logits.add(globals.decoder_b);
  const logp = logits.logSoftmax(-1).reshape([B * T * V]);
  const loss = ops.gather(logp, targets).mul(targetWeights).sum().neg();
  g.output('loss', loss);
  const grads = g.grad(loss, tensors);
  weights.forEach((w, i) => g.output(`grad:${w.input}`, grads[i]));
  return { graph: g, weights };
}
