import { fillTemplate } from './template';
import type { Fact, Prompt } from './types';

/** Reads a file of the fact set by its path relative to the set's folder ("en/P36.jsonl"). */
export type ReadText = (path: string) => Promise<string>;

export interface FactSetRelation {
  id: string;
  label: Record<string, string>;
  description: Record<string, string>;
  /** mLAMA's cardinality class: '1-1', 'N-1' or 'N-M'. */
  type: string;
  /** A subject may have several valid objects; facts then carry `allObjects`. */
  multiValued: boolean;
  /** Templates by language, the main one first; fits ParseOptions.templates by relation. */
  templates: Record<string, string[]>;
  /** Facts per language in the files. */
  counts: Record<string, number>;
}

export interface FactSet {
  version: number;
  languages: string[];
  relations: FactSetRelation[];
  /** Facts joined across languages by uuid, by relation then line. */
  facts: Fact[];
}

export interface LoadFactSetOptions {
  /** Languages to load (default: all of the set's languages, in its order). */
  languages?: string[];
  /** Relations to load (default: all). */
  relations?: string[];
  /** One prompt per template paraphrase instead of the main template only. */
  paraphrases?: boolean;
}

interface IndexFile {
  version: number;
  languages: string[];
  relations: {
    id: string;
    label: Record<string, string>;
    description: Record<string, string>;
    type: string;
    multi_valued: boolean;
    facts: Record<string, number>;
  }[];
}

interface FactLine {
  uuid: string;
  sub_label: string;
  obj_label: string;
  lineid: number;
  all_objects?: string[];
}

interface WrongLine {
  uuid: string;
  [language: string]: unknown;
}

/** Parses a JSONL file of the bundled set; its data is trusted, so a bad line is an error. */
function jsonl<T>(path: string, text: string): T[] {
  const out: T[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as T);
    } catch (e) {
      throw new Error(`${path}:${i + 1}: ${(e as Error).message}`);
    }
  });
  return out;
}

/**
 * Loads the bundled fact set (mLAMA layout: relations.json, {lang}/templates.jsonl,
 * {lang}/{relation}.jsonl, wrong-objects.jsonl) through `read`, so Node (fs) and the browser
 * (fetch) share it. The languages of a fact are joined by its uuid.
 */
export async function loadFactSet(read: ReadText, opts: LoadFactSetOptions = {}): Promise<FactSet> {
  const index = JSON.parse(await read('relations.json')) as IndexFile;
  const languages = opts.languages ?? index.languages;
  const unknown = languages.filter((l) => !index.languages.includes(l));
  if (unknown.length > 0) throw new Error(`the fact set has no language ${unknown.join(', ')}`);
  const missing = opts.relations?.filter((id) => !index.relations.some((r) => r.id === id)) ?? [];
  if (missing.length > 0) throw new Error(`the fact set has no relation ${missing.join(', ')}`);
  const chosen = index.relations.filter((r) => opts.relations?.includes(r.id) ?? true);

  const templates = new Map<string, Record<string, string[]>>();
  await Promise.all(
    languages.map(async (lang) => {
      const path = `${lang}/templates.jsonl`;
      for (const t of jsonl<{ relation: string; template: string }>(path, await read(path))) {
        if (!templates.has(t.relation)) templates.set(t.relation, {});
        (templates.get(t.relation)![lang] ??= []).push(t.template);
      }
    }),
  );
  const wrong = new Map(
    jsonl<WrongLine>('wrong-objects.jsonl', await read('wrong-objects.jsonl')).map((w) => [
      w.uuid,
      w,
    ]),
  );

  const relations: FactSetRelation[] = chosen.map((r) => ({
    id: r.id,
    label: r.label,
    description: r.description,
    type: r.type,
    multiValued: r.multi_valued,
    templates: templates.get(r.id) ?? {},
    counts: r.facts,
  }));
  const perRelation = await Promise.all(
    relations.map(async (rel) => {
      const byUuid = new Map<string, Fact>();
      for (const lang of languages) {
        const path = `${lang}/${rel.id}.jsonl`;
        const forms = rel.templates[lang] ?? [];
        if (forms.length === 0)
          throw new Error(`the fact set has no ${lang} template for ${rel.id}`);
        const used = opts.paraphrases ? forms : forms.slice(0, 1);
        for (const line of jsonl<FactLine>(path, await read(path))) {
          let fact = byUuid.get(line.uuid);
          if (fact === undefined) {
            fact = { id: line.uuid, relation: rel.id, subject: line.sub_label, prompts: [] };
            byUuid.set(line.uuid, fact);
          }
          fact.prompts.push(...used.map((t) => prompt(lang, t, line)));
          addList(fact, 'wrongObjects', lang, wrong.get(line.uuid)?.[lang]);
          if (rel.multiValued) addList(fact, 'allObjects', lang, line.all_objects);
        }
      }
      return [...byUuid.values()];
    }),
  );
  return { version: index.version, languages, relations, facts: perRelation.flat() };
}

function prompt(language: string, template: string, line: FactLine): Prompt {
  return {
    language,
    text: fillTemplate(template, line.sub_label),
    object: line.obj_label,
    template,
    subject: line.sub_label,
  };
}

function addList(
  fact: Fact,
  key: 'wrongObjects' | 'allObjects',
  lang: string,
  list: unknown,
): void {
  if (!Array.isArray(list)) return;
  fact[key] = { ...fact[key], [lang]: list.map(String) };
}

/**
 * The fact with one prompt per template of its relation in each language (the paraphrases),
 * filled with each prompt's subject: what loadFactSet gives with `paraphrases`, for a fact already
 * loaded with its main templates. Prompts without a subject and template, and languages the
 * templates lack, are kept as they are; a template already used is not added twice.
 */
export function withParaphrases(fact: Fact, templates: Record<string, string[]>): Fact {
  const prompts: Prompt[] = [];
  for (const p of fact.prompts) {
    const forms = templates[p.language];
    if (p.subject === undefined || p.template === undefined || !forms?.includes(p.template)) {
      prompts.push(p);
      continue;
    }
    const used = new Set(
      prompts
        .filter((q) => q.language === p.language && q.subject === p.subject)
        .map((q) => q.template),
    );
    for (const t of [p.template, ...forms.filter((f) => f !== p.template)])
      if (!used.has(t)) prompts.push({ ...p, template: t, text: fillTemplate(t, p.subject) });
  }
  return { ...fact, prompts };
}
