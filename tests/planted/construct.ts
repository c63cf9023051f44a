/**
 * The weights of a planted model, built by hand (README.md explains the construction). Weights
 * are written in the engine's input layout and converted to Hugging Face tensors by
 * src/arch's checkpointTensors; the independent reference forward pass reads those tensors by
 * their HF names, so a layout mistake on either side shows up as a disagreement.
 */
import { architectures } from '../../src/arch';
import { checkpointTensors } from '../../src/arch/weights';
import type { HostTensor, ModelConfig } from '../../src/weights/types';
import { LANGUAGES, type Language, type NeuronRef, type UnitRole, activeIn } from './spec';

/** The construction's constants (logit units unless stated). */
export const DESIGN = {
  /** Size of the constant ±A pair in the residual stream that keeps every LayerNorm's scale fixed. */
  anchor: 60,
  /** Weight of each read feature in a unit's pre-activation: on = +K/2, off <= -K/2. */
  unitGain: 16,
  /** Attention logit of the subject token over every other token (subject head). */
  subjectScore: 16,
  /** Attention logit of the previous token over its neighbours (BERT previous-token head). */
  previousScore: 16,
  /** Logit per unit of the answer feature. */
  answerReadout: 10,
  /** Logit the subject's language adds to the objects written in that language. */
  languageReadout: 10,
  /** Logit of the fallback token ([UNK] / <|endoftext|>), over 0 for every other token. */
  fallbackLogit: 12,
  /** Logit an ungrouped (needed) unit adds to its object. */
  neededLogit: 11,
  /** Object's margin over the fallback with all units of an all-needed prompt active. */
  fullMarginAnd: 6,
  /** Margin with no unit of a degenerate group active, and with one member removed. */
  noneMarginOr: -5,
  oneRemovedMarginOr: 2.5,
  /** Logit by which the right token of a two-token (BERT) object beats the other one. */
  slotLogit: 6,
  /** BERT head: dense gain on the read features (keeps GELU in its linear range). */
  headGain: 4,
  /** BERT head: the constant that fixes the head LayerNorm's scale. */
  headAnchor: 200,
  /** Pre-activation (everywhere) and output size of the irrelevant units. */
  irrelevantInput: 3,
  irrelevantWrite: 0.1,
} as const;

/** Designed logit contribution of a unit: needed units, or members of a group of `size`. */
export function unitLogit(group: number | null): number {
  if (group === null) return DESIGN.neededLogit;
  return (DESIGN.oneRemovedMarginOr - DESIGN.noneMarginOr) / (group - 1);
}

/** What the construction needs to know about one fact, with token ids already resolved. */
export interface PlanFact {
  units: (NeuronRef & { role: UnitRole; logit: number })[];
  /** The token carrying the subject's identity in each language. */
  identity: Record<Language, number>;
  /** The object's token per slot, in each language. */
  objects: Record<Language, number[]>;
  /** The object's designed margin over the fallback with no unit active. */
  noneMargin: Record<Language, number>;
}

export interface Plan {
  config: ModelConfig;
  facts: PlanFact[];
  irrelevant: NeuronRef[];
  fallback: number;
  /** The [MASK] token (BERT family). */
  mask?: number;
}

/** Which residual-stream dimension carries what (see README.md). */
export interface Layout {
  hidden: number;
  anchor: [number, number];
  /** Receives minus the sum of every write, so the stream stays zero-mean. */
  sink: number;
  subject: number;
  identity: number[];
  identityLang: Record<Language, number>;
  moved: number[];
  movedLang: Record<Language, number>;
  answer: Record<Language, number>[];
  scratch: [number, number];
  /** GPT-2: ln_f writes a constant 1 here, so a token's entry here is its logit bias. */
  constant?: number;
  /** BERT: cos and sin of the position angle, the mask flag, "the previous token is [MASK]". */
  position?: [number, number];
  mask?: number;
  afterMask?: number;
}

export function layout(family: 'bert' | 'gpt2', facts: number): Layout {
  let next = 0;
  const dim = () => next++;
  const dims = (n: number) => Array.from({ length: n }, dim);
  const perLanguage = () => ({ en: dim(), zh: dim() });
  const l: Layout = {
    hidden: 0,
    anchor: [dim(), dim()],
    sink: dim(),
    subject: dim(),
    identity: dims(facts),
    identityLang: perLanguage(),
    moved: dims(facts),
    movedLang: perLanguage(),
    answer: Array.from({ length: facts }, perLanguage),
    scratch: [dim(), dim()],
  };
  if (family === 'gpt2') l.constant = dim();
  else {
    l.position = [dim(), dim()];
    l.mask = dim();
    l.afterMask = dim();
  }
  l.hidden = Math.ceil(next / 8) * 8;
  return l;
}

/** Zero-initialised input-layout tensors for every graph input of the architecture. */
class InputTensors {
  readonly global: Record<string, Float32Array> = {};
  readonly layers: Record<string, Float32Array>[] = [];

  constructor(private readonly cfg: ModelConfig) {
    const arch = architectures[cfg.family];
    const size = (shape: (number | string)[]) => shape.reduce<number>((a, d) => a * Number(d), 1);
    for (const s of arch.globalWeights(cfg)) this.global[s.input] = new Float32Array(size(s.shape));
    for (let l = 0; l < cfg.numLayers; l++)
      this.layers.push(
        Object.fromEntries(
          arch.blockWeights(cfg).map((s) => [s.input, new Float32Array(size(s.shape))]),
        ),
      );
  }

  toCheckpoint(): Map<string, HostTensor> {
    return checkpointTensors(architectures[this.cfg.family], this.cfg, (input, layer) =>
      layer === null ? this.global[input] : this.layers[layer][input],
    );
  }
}

/** Adds `v` at [row, col] of a 2-D input whose rows have `cols` entries. */
function add(t: Float32Array, cols: number, row: number, col: number, v: number) {
  t[row * cols + col] += v;
}

/** Writes `entries` into row `row` of `t` and minus their sum into the sink: a zero-sum row. */
function writeRow(
  t: Float32Array,
  cols: number,
  row: number,
  sink: number,
  entries: [number, number][],
) {
  let sum = 0;
  for (const [col, v] of entries) {
    t[row * cols + col] += v;
    sum += v;
  }
  t[row * cols + sink] -= sum;
}

/** The planted model's Hugging Face tensors. */
export function plantedTensors(plan: Plan, lay: Layout): Map<string, HostTensor> {
  const cfg = plan.config;
  const w = new InputTensors(cfg);
  embeddings(plan, lay, w);
  subjectHead(plan, lay, w);
  if (cfg.family === 'bert') previousTokenHead(cfg, lay, w);
  for (let l = 0; l < cfg.numLayers; l++) norms(cfg, lay, w.layers[l]);
  units(plan, lay, w);
  if (cfg.family === 'bert') bertHead(lay, w);
  else gpt2Head(lay, w);
  return w.toCheckpoint();
}

/** Nominal LayerNorm scale: the standard deviation of the anchor pair alone. */
function anchorScale(H: number) {
  return DESIGN.anchor * Math.sqrt(2 / H);
}

/** Per-token logit bias: the fallback, and each object token set to its designed margin. */
function tokenBiases(plan: Plan): Map<number, number> {
  const bias = new Map<number, number>([[plan.fallback, DESIGN.fallbackLogit]]);
  for (const f of plan.facts)
    for (const lang of LANGUAGES)
      f.objects[lang].forEach((id, slot) =>
        bias.set(
          id,
          DESIGN.fallbackLogit +
            f.noneMargin[lang] -
            DESIGN.languageReadout -
            slot * DESIGN.slotLogit,
        ),
      );
  return bias;
}

/**
 * Word embeddings (tied to the output): subject tokens carry their identity, language and the
 * subject flag; object tokens carry the output directions (answer, language, slot). Every
 * other token is zero, except [MASK] (BERT: the mask flag) and, in GPT-2, tokens with a bias.
 */
function embeddings(plan: Plan, lay: Layout, w: InputTensors) {
  const H = lay.hidden;
  const emb = w.global.word_emb;
  const bert = plan.config.family === 'bert';
  // BERT's head multiplies the features it reads by headGain before they meet these rows.
  const g = bert ? DESIGN.headGain : 1;
  plan.facts.forEach((f, i) => {
    for (const lang of LANGUAGES) {
      writeRow(emb, H, f.identity[lang], lay.sink, [
        [lay.identity[i], 1],
        [lay.identityLang[lang], 1],
        [lay.subject, 1],
      ]);
      const objects = f.objects[lang];
      objects.forEach((id, slot) => {
        const entries: [number, number][] = [
          [lay.answer[i][lang], DESIGN.answerReadout / g],
          [lay.movedLang[lang], DESIGN.languageReadout / g],
        ];
        // Two-token objects: after a [MASK] the second token gains what the first loses.
        if (objects.length === 2)
          entries.push([lay.afterMask!, ((slot === 0 ? -1 : 1) * DESIGN.slotLogit) / g]);
        writeRow(emb, H, id, lay.sink, entries);
      });
    }
  });
  if (bert) bertEmbeddings(plan, lay, w);
  else gpt2Embeddings(plan, lay, w);
}

/** GPT-2: token biases in the constant dimension; every position embedding is the anchor. */
function gpt2Embeddings(plan: Plan, lay: Layout, w: InputTensors) {
  const H = lay.hidden;
  for (const [id, b] of tokenBiases(plan))
    writeRow(w.global.word_emb, H, id, lay.sink, [[lay.constant!, b]]);
  for (let p = 0; p < plan.config.maxPositions; p++)
    writeRow(w.global.pos_emb, H, p, lay.sink, [
      [lay.anchor[0], DESIGN.anchor],
      [lay.anchor[1], -DESIGN.anchor],
    ]);
}

/**
 * BERT: token biases in the decoder bias; [MASK] flagged; positions as an angle (for the
 * previous-token head); the anchor in the token-type embeddings, and an embedding LayerNorm
 * that keeps the anchor's scale.
 */
function bertEmbeddings(plan: Plan, lay: Layout, w: InputTensors) {
  const H = lay.hidden;
  const { word_emb, pos_emb, type_emb, decoder_b, emb_ln_g } = w.global;
  for (const [id, b] of tokenBiases(plan)) decoder_b[id] = b;
  writeRow(word_emb, H, plan.mask!, lay.sink, [[lay.mask!, 1]]);
  const theta = (2 * Math.PI) / plan.config.maxPositions;
  for (let p = 0; p < plan.config.maxPositions; p++)
    writeRow(pos_emb, H, p, lay.sink, [
      [lay.position![0], Math.cos(theta * p)],
      [lay.position![1], Math.sin(theta * p)],
    ]);
  for (let t = 0; t < plan.config.typeVocabSize; t++)
    writeRow(type_emb, H, t, lay.sink, [
      [lay.anchor[0], DESIGN.anchor],
      [lay.anchor[1], -DESIGN.anchor],
    ]);
  emb_ln_g.fill(anchorScale(H));
}

/**
 * Layer 0, head 0: every position attends to the subject token (constant query, key = the
 * subject flag) and copies its identity and language into the "moved" dimensions, so the
 * target position knows the subject. Causal attention gives the same at the last position.
 */
function subjectHead(plan: Plan, lay: Layout, w: InputTensors) {
  const H = lay.hidden;
  const dh = H / plan.config.numHeads;
  const b = w.layers[0];
  const s = Math.sqrt(DESIGN.subjectScore * Math.sqrt(dh));
  b.q_b[0] = s;
  add(b.k_w, H, lay.subject, 0, s);
  const copy = (from: number, col: number, to: number) => {
    add(b.v_w, H, from, col, 1);
    writeRow(b.o_w, H, col, lay.sink, [[to, 1]]);
  };
  lay.identity.forEach((d, i) => copy(d, i, lay.moved[i]));
  LANGUAGES.forEach((lang, j) =>
    copy(lay.identityLang[lang], lay.identity.length + j, lay.movedLang[lang]),
  );
}

/**
 * BERT layer 0, head 1: each position attends to the one before it (query = the position
 * angle turned back by one step, key = the angle) and copies its mask flag, so the second of
 * two [MASK] slots knows it is the second.
 */
function previousTokenHead(cfg: ModelConfig, lay: Layout, w: InputTensors) {
  const H = lay.hidden;
  const dh = H / cfg.numHeads;
  const theta = (2 * Math.PI) / cfg.maxPositions;
  const scale = Math.sqrt((DESIGN.previousScore * Math.sqrt(dh)) / (1 - Math.cos(theta)));
  const [c, s] = lay.position!;
  const b = w.layers[0];
  add(b.q_w, H, c, dh, scale * Math.cos(theta));
  add(b.q_w, H, s, dh, scale * Math.sin(theta));
  add(b.q_w, H, c, dh + 1, -scale * Math.sin(theta));
  add(b.q_w, H, s, dh + 1, scale * Math.cos(theta));
  add(b.k_w, H, c, dh, scale);
  add(b.k_w, H, s, dh + 1, scale);
  add(b.v_w, H, lay.mask!, dh, 1);
  writeRow(b.o_w, H, dh, lay.sink, [[lay.afterMask!, 1]]);
}

/**
 * LayerNorm gains. BERT (post-LN): every norm rescales the whole stream by the anchor's scale,
 * so with the anchor dominating the variance each norm is the identity up to ~0.1%. GPT-2
 * (pre-LN): ln_1 passes what the subject head reads, ln_2 what the units read.
 */
function norms(cfg: ModelConfig, lay: Layout, b: Record<string, Float32Array>) {
  const g = anchorScale(lay.hidden);
  if (cfg.family === 'bert') {
    b.ln1_g.fill(g);
    b.ln2_g.fill(g);
    return;
  }
  for (const d of [lay.subject, ...lay.identity, lay.identityLang.en, lay.identityLang.zh])
    b.ln1_g[d] = g;
  for (const d of [...lay.moved, lay.movedLang.en, lay.movedLang.zh]) b.ln2_g[d] = g;
}

/**
 * The FFN units. A fact's unit reads the moved subject identity (and, for a language-only
 * unit, the moved language): pre-activation +K/2 when everything it reads is present, at most
 * -K/2 otherwise. It writes its logit share into the fact's answer dimension of every language
 * it serves. Irrelevant units fire everywhere and write a zero-sum pair into scratch
 * dimensions nothing reads. All other units are zero.
 */
function units(plan: Plan, lay: Layout, w: InputTensors) {
  const H = lay.hidden;
  const F = plan.config.intermediateSize;
  const K = DESIGN.unitGain;
  const on = K / 2; // the activation of a unit that fires: GELU(8) = 8 to 1e-14
  plan.facts.forEach((f, i) => {
    for (const u of f.units) {
      const b = w.layers[u.layer];
      add(b.fc_w, F, lay.moved[i], u.unit, K);
      const served = LANGUAGES.filter((lang) => activeIn(u.role, lang));
      if (u.role !== 'shared') add(b.fc_w, F, lay.movedLang[served[0]], u.unit, K);
      b.fc_b[u.unit] = u.role === 'shared' ? -K / 2 : (-3 * K) / 2;
      const share = u.logit / (DESIGN.answerReadout * on);
      writeRow(
        b.proj_w,
        H,
        u.unit,
        lay.sink,
        served.map((lang) => [lay.answer[i][lang], share]),
      );
    }
  });
  for (const n of plan.irrelevant) {
    const b = w.layers[n.layer];
    b.fc_b[n.unit] = DESIGN.irrelevantInput;
    writeRow(b.proj_w, H, n.unit, lay.sink, [
      [lay.scratch[0], DESIGN.irrelevantWrite],
      [lay.scratch[1], -DESIGN.irrelevantWrite],
    ]);
  }
}

/**
 * GPT-2 head: ln_f keeps only the answer and moved-language dimensions, at their size in the
 * stream, and writes 1 into the constant dimension, whose word-embedding entry is each
 * token's bias. Logits are then the (tied) word-embedding rows times those features.
 */
function gpt2Head(lay: Layout, w: InputTensors) {
  const g = anchorScale(lay.hidden);
  const { lnf_g, lnf_b } = w.global;
  for (const d of [...lay.answer.flatMap((a) => [a.en, a.zh]), lay.movedLang.en, lay.movedLang.zh])
    lnf_g[d] = g;
  lnf_b[lay.constant!] = 1;
}

/**
 * BERT head: the dense layer passes the answer, moved-language and after-mask dimensions
 * (times headGain, where GELU is nearly linear) and adds a large constant whose size fixes the
 * head LayerNorm's scale; the LayerNorm gain undoes that scale, so logits are the word
 * embedding rows times the read features, plus the decoder bias.
 */
function bertHead(lay: Layout, w: InputTensors) {
  const H = lay.hidden;
  const { head_dense_w, head_dense_b, head_ln_g } = w.global;
  const read = [...lay.answer.flatMap((a) => [a.en, a.zh]), lay.movedLang.en, lay.movedLang.zh];
  read.push(lay.afterMask!);
  for (const d of read) add(head_dense_w, H, d, d, DESIGN.headGain);
  head_dense_b[lay.anchor[0]] = DESIGN.headAnchor;
  // Standard deviation of a vector holding only the constant.
  head_ln_g.fill((DESIGN.headAnchor * Math.sqrt(H - 1)) / H);
}
