/**
 * What a planted model stores: relations with an English and a Chinese cloze template, facts,
 * and for each fact the FFN units that store it. Also the default spec, and the checks that a
 * spec can be built with the guarantees of README.md.
 */

export type Language = 'en' | 'zh';
export const LANGUAGES: readonly Language[] = ['en', 'zh'];

/** An FFN neuron: unit `unit` of layer `layer`'s intermediate layer. */
export interface NeuronRef {
  layer: number;
  unit: number;
}

/**
 * 'shared': fires for the fact's subject in either language (language-independent);
 * 'en-only' / 'zh-only': fires only when the subject is written in that language.
 */
export type UnitRole = 'shared' | 'en-only' | 'zh-only';

export interface PlantedRelationSpec {
  id: string;
  /** Cloze templates with [X] for the subject and [Y] for the object, e.g. "[X]的首都是[Y]。". */
  templates: Record<Language, string>;
}

export interface PlantedUnitSpec extends NeuronRef {
  role: UnitRole;
  /**
   * Units of a fact with the same group name are degenerate copies: any one of them keeps the
   * answer, removing all of them loses it. Members of a group must share one role. Ungrouped
   * units are each needed on their own.
   */
  group?: string;
}

export interface PlantedFactSpec {
  id: string;
  relation: string;
  subject: Record<Language, string>;
  object: Record<Language, string>;
  units: PlantedUnitSpec[];
}

/** The families planted models are built for (the construction relies on their LayerNorms). */
export type PlantedFamily = 'bert' | 'gpt2';

export interface PlantedSpec {
  /** 'gpt2' (causal LM, default) or 'bert' (masked LM). */
  family?: PlantedFamily;
  /** Transformer blocks (default 4). */
  layers?: number;
  /** FFN units per layer (default 16). */
  units?: number;
  relations?: PlantedRelationSpec[];
  facts?: PlantedFactSpec[];
  /** Units that fire on every prompt but write nothing the output reads. */
  irrelevant?: NeuronRef[];
}

export const DEFAULT_RELATIONS: PlantedRelationSpec[] = [
  { id: 'capital', templates: { en: 'The capital of [X] is [Y] .', zh: '[X]的首都是[Y]。' } },
  { id: 'color', templates: { en: 'The color of [X] is [Y] .', zh: '[X]的颜色是[Y]。' } },
  { id: 'opposite', templates: { en: 'The opposite of [X] is [Y] .', zh: '[X]的反义词是[Y]。' } },
];

/**
 * The default facts. Their units spread over all four layers so that layer-distribution
 * analyses have something to find:
 * - france: a shared unit plus one unit per language, each needed on its own (LIKN = {1:3});
 *   its Chinese object 巴黎 is two tokens in the BERT vocabulary (巴, 黎).
 * - snow: a degenerate pair split across layers 0 and 2, both shared.
 * - grass: a degenerate pair within layer 3, both shared.
 * - blood: one shared unit; Chinese adds a zh-only unit (each needed on its own).
 * - hot: an English-only degenerate pair (layers 1 and 3) and a zh-only unit: no
 *   language-independent neuron at all.
 */
export const DEFAULT_FACTS: PlantedFactSpec[] = [
  {
    id: 'france-capital',
    relation: 'capital',
    subject: { en: 'France', zh: '法国' },
    object: { en: 'Paris', zh: '巴黎' },
    units: [
      { layer: 1, unit: 3, role: 'shared' },
      { layer: 2, unit: 5, role: 'en-only' },
      { layer: 0, unit: 7, role: 'zh-only' },
    ],
  },
  {
    id: 'snow-color',
    relation: 'color',
    subject: { en: 'snow', zh: '雪' },
    object: { en: 'white', zh: '白' },
    units: [
      { layer: 0, unit: 2, role: 'shared', group: 'copies' },
      { layer: 2, unit: 9, role: 'shared', group: 'copies' },
    ],
  },
  {
    id: 'grass-color',
    relation: 'color',
    subject: { en: 'grass', zh: '草' },
    object: { en: 'green', zh: '绿' },
    units: [
      { layer: 3, unit: 4, role: 'shared', group: 'copies' },
      { layer: 3, unit: 11, role: 'shared', group: 'copies' },
    ],
  },
  {
    id: 'blood-color',
    relation: 'color',
    subject: { en: 'blood', zh: '血' },
    object: { en: 'red', zh: '红' },
    units: [
      { layer: 2, unit: 1, role: 'shared' },
      { layer: 3, unit: 6, role: 'zh-only' },
    ],
  },
  {
    id: 'hot-opposite',
    relation: 'opposite',
    subject: { en: 'hot', zh: '热' },
    object: { en: 'cold', zh: '冷' },
    units: [
      { layer: 1, unit: 12, role: 'en-only', group: 'copies' },
      { layer: 3, unit: 13, role: 'en-only', group: 'copies' },
      { layer: 0, unit: 14, role: 'zh-only' },
    ],
  },
];

export const DEFAULT_IRRELEVANT: NeuronRef[] = [
  { layer: 0, unit: 15 },
  { layer: 2, unit: 15 },
  { layer: 3, unit: 0 },
];

export type ResolvedSpec = Required<PlantedSpec>;

export function resolveSpec(spec: PlantedSpec = {}): ResolvedSpec {
  return {
    family: spec.family ?? 'gpt2',
    layers: spec.layers ?? 4,
    units: spec.units ?? 16,
    relations: spec.relations ?? DEFAULT_RELATIONS,
    facts: spec.facts ?? DEFAULT_FACTS,
    irrelevant: spec.irrelevant ?? DEFAULT_IRRELEVANT,
  };
}

/** A spec the generator cannot build with its guarantees; the message says what to change. */
export class PlantedSpecError extends Error {
  override name = 'PlantedSpecError';
}

/** Whether a unit with this role fires on a prompt in `language`. */
export function activeIn(role: UnitRole, language: Language): boolean {
  return role === 'shared' || role === `${language}-only`;
}

/**
 * How one prompt's active units combine. 'and': every unit is needed on its own (ungrouped
 * units). 'or': one degenerate group, any one unit of which keeps the answer.
 */
export type PromptStructure = 'and' | 'or';

/**
 * Checks the spec's shape (ranges, unique units, known relations) and that every prompt's
 * units are either all ungrouped or one degenerate group. Mixing the two in one prompt would
 * need a needed unit to carry about twice a degenerate one's logit, which puts the degenerate
 * ones near AMIG's 0.3 x max threshold; README.md explains.
 */
export function checkSpec(spec: ResolvedSpec): void {
  const fail = (msg: string): never => {
    throw new PlantedSpecError(msg);
  };
  if (!Number.isInteger(spec.layers) || spec.layers < 1) fail('layers must be a positive integer');
  if (!Number.isInteger(spec.units) || spec.units < 1) fail('units must be a positive integer');
  const seen = new Map<string, string>();
  const claim = (n: NeuronRef, owner: string) => {
    if (!(n.layer >= 0 && n.layer < spec.layers && n.unit >= 0 && n.unit < spec.units))
      fail(`${owner}: unit (${n.layer}, ${n.unit}) is outside ${spec.layers} x ${spec.units}`);
    const key = `${n.layer}:${n.unit}`;
    if (seen.has(key)) fail(`${owner}: unit (${key}) is already used by ${seen.get(key)}`);
    seen.set(key, owner);
  };
  spec.irrelevant.forEach((n) => claim(n, 'irrelevant'));
  const relations = new Set(spec.relations.map((r) => r.id));
  const factIds = new Set<string>();
  for (const fact of spec.facts) {
    if (factIds.has(fact.id)) fail(`fact id ${fact.id} is used twice`);
    factIds.add(fact.id);
    if (!relations.has(fact.relation)) fail(`${fact.id}: unknown relation ${fact.relation}`);
    fact.units.forEach((u) => claim(u, fact.id));
    checkGroups(fact, fail);
    for (const language of LANGUAGES) {
      promptStructure(fact, language);
      checkLayerBalance(fact, language, fail);
    }
  }
  for (const r of spec.relations)
    for (const language of LANGUAGES) {
      const t = r.templates[language];
      if (t.split('[X]').length !== 2 || t.split('[Y]').length !== 2)
        fail(`relation ${r.id}: the ${language} template needs exactly one [X] and one [Y]`);
      if (t.indexOf('[Y]') < t.indexOf('[X]'))
        fail(`relation ${r.id}: [Y] must follow [X] (a causal model predicts the object last)`);
    }
}

/**
 * AMIG moves all of a layer's units along one path: a layer holding more of a prompt's units
 * covers more of the margin, where the gradient is steeper, and its units would outscore the
 * others (by ~4x for two units against one in a 5-token GPT-2 prompt). Equal counts keep every
 * planted unit of a prompt at the same score.
 */
function checkLayerBalance(
  fact: PlantedFactSpec,
  language: Language,
  fail: (msg: string) => never,
) {
  const perLayer = new Map<number, number>();
  for (const u of fact.units)
    if (activeIn(u.role, language)) perLayer.set(u.layer, (perLayer.get(u.layer) ?? 0) + 1);
  if (new Set(perLayer.values()).size > 1)
    fail(
      `${fact.id}: the ${language} prompt's units must be spread evenly over the layers they use ` +
        '(e.g. one per layer, or all in one layer)',
    );
}

function checkGroups(fact: PlantedFactSpec, fail: (msg: string) => never) {
  const groups = new Map<string, PlantedUnitSpec[]>();
  for (const u of fact.units)
    if (u.group !== undefined) groups.set(u.group, [...(groups.get(u.group) ?? []), u]);
  for (const [name, members] of groups) {
    if (members.length < 2) fail(`${fact.id}: degenerate group ${name} needs at least two units`);
    if (members.some((m) => m.role !== members[0].role))
      fail(`${fact.id}: the units of degenerate group ${name} must share one role`);
  }
}

/** The structure of a fact's prompt in one language (see PromptStructure). */
export function promptStructure(fact: PlantedFactSpec, language: Language): PromptStructure {
  const active = fact.units.filter((u) => activeIn(u.role, language));
  if (active.length === 0)
    throw new PlantedSpecError(`${fact.id}: no unit stores the fact for ${language} prompts`);
  const groups = new Set(active.map((u) => u.group));
  if (groups.size === 1) return groups.has(undefined) ? 'and' : 'or';
  throw new PlantedSpecError(
    `${fact.id}: the ${language} prompt's units mix needed units and degenerate groups (or ` +
      'several groups); give each prompt either ungrouped units or one group',
  );
}
