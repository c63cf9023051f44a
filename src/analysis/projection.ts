/**
 * What a neuron writes: the vocabulary tokens its value vector promotes (Geva et al. 2022,
 * "Transformer Feed-Forward Layers Build Predictions by Promoting Concepts in the Vocabulary
 * Space"). The value vector of neuron (l, i) is row i of layer l's FFN output projection; its
 * scores over the vocabulary are that row times the output embedding transposed, v E^T.
 *
 * One small graph does it on the runtime's device: gather the row, multiply by the output
 * embedding, take the top k. Only k ids and scores are read back, so a 250k-token vocabulary
 * never leaves the GPU, and the weights already uploaded for the model are fed as they are.
 */
import type { InferenceSession } from 'onnxruntime-common';
import { type Model, storageOf, weightFeeds } from '../model';
import { Graph, type InputStorage, ops, toOnnx } from '../graph';
import { tokenText } from '../weights/token-text';

export interface PromotedToken {
  id: number;
  /** The vocabulary entry ("ĠParis" in a byte-level BPE). */
  token: string;
  /** The token decoded as text (" Paris"), for display. */
  text: string;
  /** v . e_token: how much the neuron, at activation 1, raises this token's logit. */
  score: number;
}

export type ProjectionDirection = 'promoted' | 'suppressed';

/**
 * The graph: value_w [F, H] (a layer's proj_w, as stored), embedding [V, H] (the decoder, as
 * stored: 16-bit or in row blocks, read block by block), unit [1] and k [1] (int64), sign [1]
 * (1 for promoted tokens, -1 for suppressed ones) -> ids [K] and scores [K].
 */
function projectionGraph(
  F: number,
  H: number,
  V: number,
  valueStorage: InputStorage,
  embeddingStorage: InputStorage,
): Uint8Array {
  const g = new Graph('value_projection');
  const valueW = g.input('value_w', 'float32', [F, H], valueStorage);
  const embedding = g.input('embedding', 'float32', [V, H], embeddingStorage);
  const unit = g.input('unit', 'int64', [1]);
  const k = g.input('k', 'int64', [1]);
  const sign = g.input('sign', 'float32', [1]);
  const row = valueW.gather(unit); // [1, H]
  // a b^T without materialising E^T (a copy of the whole vocabulary matrix).
  const scores = ops.matmulT(row, embedding).squeeze([0]); // [V]
  const ranked = ops.topKIndices(scores.mul(sign), k);
  g.output('ids', ranked);
  g.output('scores', scores.gather(ranked));
  return toOnnx(g);
}

/** Projects value vectors of one loaded model; holds one session until `release`. */
export class ValueProjector {
  private session: Promise<InferenceSession> | undefined;

  constructor(private readonly model: Model) {}

  /** The output embedding: a tied model decodes with its word embeddings. */
  private embeddingName(): 'word_emb' | 'decoder_w' {
    return this.model.config.tieWordEmbeddings ? 'word_emb' : 'decoder_w';
  }

  /** The k tokens the neuron's value vector promotes most (or suppresses most), best first. */
  async tokens(
    layer: number,
    unit: number,
    k: number,
    direction: ProjectionDirection = 'promoted',
  ): Promise<PromotedToken[]> {
    const { numLayers: L, numUnits: F } = this.model;
    const cfg = this.model.config;
    if (!(Number.isInteger(layer) && layer >= 0 && layer < L))
      throw new RangeError(`layer must be a whole number from 0 to ${L - 1}, got ${layer}`);
    if (!(Number.isInteger(unit) && unit >= 0 && unit < F))
      throw new RangeError(`unit must be a whole number from 0 to ${F - 1}, got ${unit}`);
    if (!(Number.isInteger(k) && k >= 1))
      throw new RangeError(`k must be a whole number of at least 1, got ${k}`);
    const count = Math.min(k, cfg.vocabSize);
    const rt = this.model.runtime;
    const embedding = this.embeddingName();
    this.session ??= rt.createSession(
      projectionGraph(
        F,
        cfg.hiddenSize,
        cfg.vocabSize,
        storageOf(this.model, 'proj_w'),
        storageOf(this.model, embedding),
      ),
    );
    const session = await this.session;
    const inputs = {
      unit: rt.tensor(BigInt64Array.of(BigInt(unit)), [1]),
      k: rt.tensor(BigInt64Array.of(BigInt(count)), [1]),
      sign: rt.tensor(Float32Array.of(direction === 'promoted' ? 1 : -1), [1]),
    };
    const out = await session.run({
      ...weightFeeds(this.model, 'proj_w', layer, 'value_w'),
      ...weightFeeds(this.model, embedding, null, 'embedding'),
      ...inputs,
    });
    try {
      const ids = (await rt.read(out.ids)) as unknown as BigInt64Array;
      const scores = (await rt.read(out.scores)) as Float32Array;
      return Array.from(ids, (big, j) => {
        const id = Number(big);
        const { tokenizer } = this.model;
        const token = tokenizer.idToToken(id) ?? String(id);
        return { id, token, text: tokenText(tokenizer, id), score: scores[j] };
      });
    } finally {
      for (const t of [...Object.values(inputs), out.ids, out.scores]) rt.dispose(t);
    }
  }

  async release(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s) await (await s).release();
  }
}
