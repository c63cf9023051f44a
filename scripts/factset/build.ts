import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { factUuid, sample, seededRandom } from './ids';
import type { Lang, Named } from './names';
import { LANGS } from './names';
import type { Group, RelationDef } from './relations';
import { RELATIONS, byCode, memberStates } from './relations';
import type { PackageInfo, Sources } from './sources';

export const FACTSET_VERSION = 1;
export const WRONG_PER_FACT = 3;
export const WRONG_SEED = 'factset-wrong-objects-v1';

export interface RelationSummary {
  id: string;
  label: Record<Lang, string>;
  description: Record<Lang, string>;
  type: RelationDef['type'];
  multi_valued: boolean;
  subjects: number;
  objects: number;
  facts: Record<Lang, number>;
  templates: Record<Lang, number>;
}

export interface DropSummary {
  relation: string;
  reason: string;
  count: number;
  examples: string[];
}

export interface BuiltFactSet {
  /** Path relative to the fact-set folder -> file contents. */
  files: Map<string, string>;
  relations: RelationSummary[];
  dropped: DropSummary[];
  packages: PackageInfo[];
}

interface FactLine {
  uuid: string;
  lineid: number;
  group: Group;
  object: Named;
}

const jsonl = (rows: unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

/** Two entities sharing a name would make a "wrong" object look right, or vice versa. */
function assertUniqueNames(relation: string, role: string, items: Named[]): void {
  for (const lang of LANGS) {
    const seen = new Map<string, string>();
    for (const item of items) {
      const other = seen.get(item.name[lang]);
      if (other !== undefined && other !== item.code) {
        throw new Error(
          `${relation}: ${role}s ${other} and ${item.code} share the ${lang} name "${item.name[lang]}"`,
        );
      }
      seen.set(item.name[lang], item.code);
    }
  }
}

function uniqueByCode(items: Named[]): Named[] {
  return [...new Map(items.map((i) => [i.code, i])).values()].sort(byCode);
}

function factLines(def: RelationDef, groups: Group[]): FactLine[] {
  const lines: FactLine[] = [];
  for (const group of groups) {
    if (!def.multiValued && group.objects.length !== 1) {
      throw new Error(
        `${def.id} is single-valued but ${group.subject.code} has ${group.objects.length} objects`,
      );
    }
    for (const object of group.objects) {
      lines.push({
        uuid: factUuid(def.id, group.subject.code, object.code),
        lineid: lines.length + 1,
        group,
        object,
      });
    }
  }
  return lines;
}

function wrongObjects(def: RelationDef, line: FactLine, pool: Named[]) {
  const valid = new Set([line.group.subject.code, ...line.group.objects.map((o) => o.code)]);
  const candidates = pool.filter((o) => !valid.has(o.code));
  const picked = sample(candidates, WRONG_PER_FACT, seededRandom(`${WRONG_SEED}|${line.uuid}`));
  return {
    uuid: line.uuid,
    relation: def.id,
    codes: picked.map((o) => o.code),
    ...Object.fromEntries(LANGS.map((lang) => [lang, picked.map((o) => o.name[lang])])),
  };
}

function factRow(def: RelationDef, line: FactLine, lang: Lang) {
  return {
    uuid: line.uuid,
    sub_label: line.group.subject.name[lang],
    obj_label: line.object.name[lang],
    lineid: line.lineid,
    sub_code: line.group.subject.code,
    obj_code: line.object.code,
    ...(def.multiValued ? { all_objects: line.group.objects.map((o) => o.name[lang]) } : {}),
  };
}

function collectDrops(): {
  log: (relation: string, reason: string, item: string) => void;
  summary: () => DropSummary[];
} {
  const drops = new Map<string, { relation: string; reason: string; items: Set<string> }>();
  return {
    log(relation, reason, item) {
      const key = `${relation}\u0000${reason}`;
      if (!drops.has(key)) drops.set(key, { relation, reason, items: new Set() });
      drops.get(key)!.items.add(item);
    },
    summary: () =>
      [...drops.values()]
        .map((d) => ({
          relation: d.relation,
          reason: d.reason,
          count: d.items.size,
          examples: [...d.items].sort().slice(0, 8),
        }))
        .sort((a, b) => (a.relation + a.reason < b.relation + b.reason ? -1 : 1)),
  };
}

/** Builds every file of the fact set in memory; the same sources always give the same bytes. */
export function buildFactSet(src: Sources): BuiltFactSet {
  const drops = collectDrops();
  const countries = memberStates(src, drops.log);
  assertUniqueNames('entities', 'country', countries);
  const records = new Map(src.countries.map((c) => [c.cca2, c]));
  const ctx = { src, countries, records, drop: drops.log };

  const files = new Map<string, string>();
  const relations: RelationSummary[] = [];
  const wrongRows: unknown[] = [];
  const templateRows: Record<Lang, unknown[]> = { en: [], zh: [] };
  for (const def of RELATIONS) {
    const groups = def.extract(ctx);
    const pool = uniqueByCode(groups.flatMap((g) => g.objects));
    assertUniqueNames(
      def.id,
      'subject',
      groups.map((g) => g.subject),
    );
    assertUniqueNames(def.id, 'object', pool);
    const lines = factLines(def, groups);
    for (const lang of LANGS) {
      files.set(`${lang}/${def.id}.jsonl`, jsonl(lines.map((l) => factRow(def, l, lang))));
      for (const template of def.templates[lang]) {
        templateRows[lang].push({
          relation: def.id,
          template,
          label: def.label[lang],
          description: def.description[lang],
          type: def.type,
        });
      }
    }
    wrongRows.push(...lines.map((l) => wrongObjects(def, l, pool)));
    relations.push({
      id: def.id,
      label: def.label,
      description: def.description,
      type: def.type,
      multi_valued: def.multiValued,
      subjects: groups.length,
      objects: pool.length,
      facts: { en: lines.length, zh: lines.length },
      templates: { en: def.templates.en.length, zh: def.templates.zh.length },
    });
  }
  for (const lang of LANGS) files.set(`${lang}/templates.jsonl`, jsonl(templateRows[lang]));
  files.set('wrong-objects.jsonl', jsonl(wrongRows));
  const packages = src.packages;
  const index = {
    version: FACTSET_VERSION,
    languages: LANGS,
    wrong_objects: { per_fact: WRONG_PER_FACT, seed: WRONG_SEED },
    sources: packages.map(({ name, version, license }) => ({ name, version, license })),
    relations,
  };
  files.set('relations.json', `${JSON.stringify(index, null, 2)}\n`);
  return { files, relations, dropped: drops.summary(), packages };
}

/** Replaces the folder with exactly the built files. */
export function writeFactSet(dir: string, built: BuiltFactSet): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [path, text] of [...built.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
}
