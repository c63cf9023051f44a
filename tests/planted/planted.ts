/**
 * Tiny "planted" models for tests: weights built by hand so that known FFN units store known
 * facts, with the ground truth emitted beside the weights. See README.md for the construction
 * and the guarantees, and planted.test.ts for their checks.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type EncodedPrompt, encodePrompt } from '../../src/attribution/prompt';
import { MASK } from '../../src/facts';
import type { Fact } from '../../src/facts/types';
import { parseConfig } from '../../src/weights/config';
import { writeSafetensors } from '../../src/weights/safetensors';
import { type ModelTokenizer, loadTokenizer } from '../../src/weights/tokenizer';
import type { HostTensor, ModelConfig } from '../../src/weights/types';
import { DESIGN, type Plan, type PlanFact, layout, plantedTensors, unitLogit } from './construct';
import {
  LANGUAGES,
  type Language,
  type NeuronRef,
  type PlantedFactSpec,
  type PlantedFamily,
  type PlantedSpec,
  PlantedSpecError,
  type ResolvedSpec,
  type UnitRole,
  activeIn,
  checkSpec,
  promptStructure,
  resolveSpec,
} from './spec';
import { END_OF_TEXT, type TokenText, byteLevelBpeTokenizer, wordPieceTokenizer } from './vocab';

export * from './spec';
export { DESIGN } from './construct';

export interface PlantedUnitTruth extends NeuronRef {
  role: UnitRole;
  /** Index into the fact's `degenerateGroups`, or null for a unit needed on its own. */
  group: number | null;
  /** Designed logit the unit adds to its object when it fires. */
  logit: number;
}

export interface PlantedPromptTruth {
  language: Language;
  /** The cloze sentence, with [MASK] for the object. */
  prompt: string;
  object: string;
  /** The object's tokens (two for 巴黎 in the BERT vocabulary). */
  objectTokens: string[];
  /**
   * The units that fire for this prompt: the fact's shared units and this language's own.
   * AMIG's knowledge neurons for the prompt are exactly these.
   */
  knowledgeNeurons: NeuronRef[];
  /** Designed margin of the object's logit over the fallback token's, per object token. */
  margin: { full: number; none: number };
}

export interface PlantedFactTruth {
  id: string;
  relation: string;
  subject: Record<Language, string>;
  object: Record<Language, string>;
  prompts: Record<Language, PlantedPromptTruth>;
  units: PlantedUnitTruth[];
  /** The language-independent units (LIKN): the intersection of the prompts' neurons. */
  shared: NeuronRef[];
  /** Sets of which any one unit keeps the answer and removing all of them loses it. */
  degenerateGroups: NeuronRef[][];
}

export interface PlantedTruth {
  family: PlantedFamily;
  modelType: string;
  layers: number;
  unitsPerLayer: number;
  hiddenSize: number;
  languages: Language[];
  /** What the model predicts when it does not know: [UNK] (BERT) or <|endoftext|> (GPT-2). */
  fallbackToken: string;
  facts: PlantedFactTruth[];
  /** Units that fire on every prompt and change no prediction measurably. */
  irrelevant: NeuronRef[];
  /** Every other unit is zero: it never fires and writes nothing. */
  design: typeof DESIGN;
}

export interface PlantedModel {
  /** A Hugging Face model folder: config.json, tokenizer.json, model.safetensors, planted-truth.json. */
  files: Record<string, Uint8Array | string>;
  config: ModelConfig;
  truth: PlantedTruth;
  /** The checkpoint's tensors by HF name (for the reference forward pass). */
  tensors: Map<string, HostTensor>;
}

const MAX_POSITIONS = 32;
const HEADS = 2;

/** Builds a planted model (default: the GPT-2 family with the default facts). Deterministic. */
export function plantedModel(input: PlantedSpec = {}): PlantedModel {
  const spec = resolveSpec(input);
  checkSpec(spec);
  const prompts = spec.facts.map((fact) => clozePrompts(spec, fact));
  const tokenizerJson = (spec.family === 'bert' ? wordPieceTokenizer : byteLevelBpeTokenizer)(
    tokenTexts(prompts),
  );
  const tokenizer = loadTokenizer(tokenizerJson);
  const lay = layout(spec.family, spec.facts.length);
  const configJson = hfConfig(spec, tokenizer.vocabSize, lay.hidden);
  const config = parseConfig(configJson);
  // Encoded as the engine encodes them, so slots and token ids are the ones it will use.
  const encoded = prompts.map((p) =>
    byLanguage((lang) => encodePrompt(config, tokenizer, p[lang].prompt, p[lang].objectText)),
  );
  const planFacts = spec.facts.map((fact, i) =>
    planFact(spec, fact, prompts[i], encoded[i], tokenizer),
  );
  const fallback = spec.family === 'bert' ? '[UNK]' : END_OF_TEXT;
  const plan: Plan = {
    config,
    facts: planFacts,
    irrelevant: spec.irrelevant,
    fallback: tokenizer.tokenToId(fallback)!,
    mask: tokenizer.special.mask,
  };
  checkTokens(plan, encoded, spec);
  const tensors = plantedTensors(plan, lay);
  const truth: PlantedTruth = {
    family: spec.family,
    modelType: config.modelType,
    layers: spec.layers,
    unitsPerLayer: spec.units,
    hiddenSize: lay.hidden,
    languages: [...LANGUAGES],
    fallbackToken: fallback,
    facts: spec.facts.map((fact, i) => factTruth(fact, prompts[i], encoded[i], planFacts[i])),
    irrelevant: spec.irrelevant.map(ref),
    design: DESIGN,
  };
  const safetensors = writeSafetensors(Object.fromEntries(tensors), { format: 'pt' });
  return {
    files: {
      'config.json': JSON.stringify(configJson, null, 2),
      'tokenizer.json': JSON.stringify(tokenizerJson, null, 2),
      'model.safetensors': safetensors,
      'planted-truth.json': JSON.stringify(truth, null, 2),
    },
    config,
    truth,
    tensors,
  };
}

/** Writes the model folder to `dir` (created if missing), for inspection. */
export function writePlantedModel(dir: string, spec: PlantedSpec = {}): PlantedModel {
  const model = plantedModel(spec);
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(model.files))
    writeFileSync(join(dir, name), content);
  return model;
}

interface ClozePrompt {
  prompt: string;
  objectText: string;
  /** The template split around [X] and [Y]; whitespace before a slot goes to its filler. */
  chunks: string[];
  /** Subject and object as they follow the template text (with GPT-2's leading space). */
  subject: string;
  object: string;
}

const byLanguage = <T>(f: (lang: Language) => T): Record<Language, T> => ({
  en: f('en'),
  zh: f('zh'),
});

const ref = ({ layer, unit }: NeuronRef): NeuronRef => ({ layer, unit });

function clozePrompts(spec: ResolvedSpec, fact: PlantedFactSpec): Record<Language, ClozePrompt> {
  const relation = spec.relations.find((r) => r.id === fact.relation)!;
  const one = (lang: Language): ClozePrompt => {
    const template = relation.templates[lang];
    const [before, between, after] = template.split(/\[X\]|\[Y\]/);
    // GPT-2's pre-tokenizer attaches a space to the word after it.
    const spaced = (chunk: string, filler: string) => (/\s$/.test(chunk) ? ` ${filler}` : filler);
    return {
      prompt: template.replace('[X]', fact.subject[lang]).replace('[Y]', MASK),
      objectText: fact.object[lang],
      chunks: [before.trimEnd(), between.trimEnd(), after].filter((c) => c.trim() !== ''),
      subject: spaced(before, fact.subject[lang]),
      object: spaced(between, fact.object[lang]),
    };
  };
  return byLanguage(one);
}

function tokenTexts(prompts: Record<Language, ClozePrompt>[]): TokenText {
  const all = prompts.flatMap((p) => LANGUAGES.map((lang) => p[lang]));
  return {
    template: all.flatMap((p) => p.chunks),
    whole: all.flatMap((p) => [p.subject, p.object]),
  };
}

function hfConfig(spec: ResolvedSpec, vocabSize: number, hidden: number) {
  if (spec.family === 'gpt2')
    return {
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      vocab_size: vocabSize,
      n_positions: MAX_POSITIONS,
      n_embd: hidden,
      n_layer: spec.layers,
      n_head: HEADS,
      n_inner: spec.units,
      activation_function: 'gelu_new',
      layer_norm_epsilon: 1e-5,
      bos_token_id: 0,
      eos_token_id: 0,
      tie_word_embeddings: true,
    };
  return {
    architectures: ['BertForMaskedLM'],
    model_type: 'bert',
    vocab_size: vocabSize,
    hidden_size: hidden,
    num_hidden_layers: spec.layers,
    num_attention_heads: HEADS,
    intermediate_size: spec.units,
    hidden_act: 'gelu',
    max_position_embeddings: MAX_POSITIONS,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    tie_word_embeddings: true,
  };
}

function planFact(
  spec: ResolvedSpec,
  fact: PlantedFactSpec,
  prompts: Record<Language, ClozePrompt>,
  encoded: Record<Language, EncodedPrompt>,
  tokenizer: ModelTokenizer,
): PlanFact {
  const sizes = groupSizes(fact);
  const units = fact.units.map((u) => ({
    layer: u.layer,
    unit: u.unit,
    role: u.role,
    logit: unitLogit(u.group === undefined ? null : sizes.get(u.group)!),
  }));
  return {
    units,
    identity: byLanguage(
      (lang) => tokenizer.encode(prompts[lang].subject, { addSpecialTokens: false }).ids[0],
    ),
    objects: byLanguage((lang) => {
      const slots = encoded[lang].slots;
      if (slots.length > (spec.family === 'bert' ? 2 : 1))
        throw new PlantedSpecError(
          `${fact.id}: the ${lang} object "${fact.object[lang]}" is ${slots.length} tokens; ` +
            (spec.family === 'bert' ? 'at most two are supported' : 'GPT-2 objects must be one'),
        );
      return slots.map((s) => s.tokenId);
    }),
    noneMargin: byLanguage((lang) => margins(fact, lang, units).none),
  };
}

function groupSizes(fact: PlantedFactSpec): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const u of fact.units)
    if (u.group !== undefined) sizes.set(u.group, (sizes.get(u.group) ?? 0) + 1);
  return sizes;
}

/** The object's designed margin over the fallback with all of the prompt's units, and none. */
function margins(
  fact: PlantedFactSpec,
  lang: Language,
  units: { role: UnitRole; logit: number }[],
): { full: number; none: number } {
  const total = units.filter((u) => activeIn(u.role, lang)).reduce((s, u) => s + u.logit, 0);
  if (promptStructure(fact, lang) === 'and')
    return { full: DESIGN.fullMarginAnd, none: DESIGN.fullMarginAnd - total };
  return { full: DESIGN.noneMarginOr + total, none: DESIGN.noneMarginOr };
}

/**
 * The token-level conditions the construction relies on: each prompt holds its own subject
 * token once and no other subject's; object tokens are distinct, never occur in a prompt, and
 * are not the fallback.
 */
function checkTokens(plan: Plan, encoded: Record<Language, EncodedPrompt>[], spec: ResolvedSpec) {
  const identities = plan.facts.flatMap((f) => LANGUAGES.map((lang) => f.identity[lang]));
  const objects = plan.facts.flatMap((f) => LANGUAGES.flatMap((lang) => f.objects[lang]));
  const fail = (msg: string): never => {
    throw new PlantedSpecError(msg);
  };
  if (new Set(identities).size !== identities.length)
    fail('two subjects start with the same token; give every subject its own first token');
  if (new Set([...objects, plan.fallback]).size !== objects.length + 1)
    fail('two objects share a token (or one is the fallback token); objects must be distinct');
  spec.facts.forEach((fact, i) =>
    LANGUAGES.forEach((lang) => {
      const ids = encoded[i][lang].ids;
      const own = plan.facts[i].identity[lang];
      if (ids.filter((id) => id === own).length !== 1)
        fail(`${fact.id}: the ${lang} prompt must contain its subject's first token exactly once`);
      if (ids.some((id) => id !== own && identities.includes(id)))
        fail(`${fact.id}: the ${lang} prompt contains another fact's subject token`);
      if (ids.some((id) => objects.includes(id)))
        fail(`${fact.id}: the ${lang} prompt contains an object token`);
    }),
  );
}

function factTruth(
  fact: PlantedFactSpec,
  prompts: Record<Language, ClozePrompt>,
  encoded: Record<Language, EncodedPrompt>,
  plan: PlanFact,
): PlantedFactTruth {
  const groupNames = [...groupSizes(fact).keys()];
  const units = fact.units.map((u, i) => ({
    ...ref(u),
    role: u.role,
    group: u.group === undefined ? null : groupNames.indexOf(u.group),
    logit: plan.units[i].logit,
  }));
  const prompt = (lang: Language): PlantedPromptTruth => ({
    language: lang,
    prompt: prompts[lang].prompt,
    object: fact.object[lang],
    objectTokens: encoded[lang].slots.map((s) => s.token),
    knowledgeNeurons: fact.units.filter((u) => activeIn(u.role, lang)).map(ref),
    margin: margins(fact, lang, plan.units),
  });
  return {
    id: fact.id,
    relation: fact.relation,
    subject: { ...fact.subject },
    object: { ...fact.object },
    prompts: { en: prompt('en'), zh: prompt('zh') },
    units,
    shared: fact.units.filter((u) => u.role === 'shared').map(ref),
    degenerateGroups: groupNames.map((g) => fact.units.filter((u) => u.group === g).map(ref)),
  };
}

/**
 * The planted facts as a fact set, one prompt per language. With `wrongObjects`, each fact also
 * lists the other facts' objects of its relation as its wrong objects (what fact checking tests).
 */
export function plantedFacts(truth: PlantedTruth, opts: { wrongObjects?: boolean } = {}): Fact[] {
  return truth.facts.map((f) => {
    const fact: Fact = {
      id: f.id,
      relation: f.relation,
      prompts: LANGUAGES.map((language) => ({
        language,
        text: f.prompts[language].prompt,
        object: f.prompts[language].object,
      })),
    };
    if (!opts.wrongObjects) return fact;
    const others = truth.facts.filter((g) => g.relation === f.relation && g.id !== f.id);
    return {
      ...fact,
      wrongObjects: Object.fromEntries(LANGUAGES.map((l) => [l, others.map((g) => g.object[l])])),
    };
  });
}
