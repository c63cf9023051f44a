import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltFactSet } from './build';
import { WRONG_PER_FACT, buildFactSet, writeFactSet } from './build';
import { withGenerated } from './docs';
import { factUuid } from './ids';
import { LANGS } from './names';
import { loadSources } from './sources';

const root = join(import.meta.dirname, '../..');
const committed = join(root, 'data/factset');

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const readJsonl = <T>(path: string): T[] =>
  readFileSync(join(committed, path), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);

interface FactRow {
  uuid: string;
  sub_label: string;
  obj_label: string;
  lineid: number;
  sub_code: string;
  obj_code: string;
  all_objects?: string[];
}
interface WrongRow {
  uuid: string;
  relation: string;
  codes: string[];
  en: string[];
  zh: string[];
}
interface Index {
  languages: string[];
  relations: {
    id: string;
    multi_valued: boolean;
    subjects: number;
    objects: number;
    facts: Record<string, number>;
  }[];
}

describe('the builder', () => {
  let built: BuiltFactSet;
  let tmp: string;

  beforeAll(() => {
    built = buildFactSet(loadSources());
    tmp = mkdtempSync(join(tmpdir(), 'factset-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('reproduces the committed data byte for byte', () => {
    writeFactSet(tmp, built);
    const files = listFiles(tmp);
    expect(listFiles(committed)).toEqual(files);
    for (const file of files) {
      expect(readFileSync(join(committed, file)), file).toEqual(readFileSync(join(tmp, file)));
    }
  });

  it('gives the same bytes on a second run', () => {
    const again = buildFactSet(loadSources());
    expect([...again.files]).toEqual([...built.files]);
  });

  it('keeps the generated section of docs/factset.md up to date', async () => {
    const path = join(root, 'docs/factset.md');
    const doc = readFileSync(path, 'utf8');
    expect(await withGenerated(doc, built, path)).toBe(doc);
  });
});

describe('the committed fact set', () => {
  const index = JSON.parse(readFileSync(join(committed, 'relations.json'), 'utf8')) as Index;
  const facts = new Map(
    index.relations.map((r) => [
      r.id,
      Object.fromEntries(LANGS.map((l) => [l, readJsonl<FactRow>(`${l}/${r.id}.jsonl`)])),
    ]),
  );
  const wrong = readJsonl<WrongRow>('wrong-objects.jsonl');

  it('has several hundred facts, each in both languages', () => {
    expect(index.languages).toEqual(['en', 'zh']);
    const total = index.relations.reduce((n, r) => n + r.facts.en, 0);
    expect(total).toBeGreaterThanOrEqual(600);
    for (const r of index.relations) {
      expect(r.facts.en, r.id).toBe(r.facts.zh);
      expect(facts.get(r.id)!.en.length, r.id).toBe(r.facts.en);
    }
  });

  it('pairs the languages line by line by uuid, derived from relation and codes', () => {
    const seen = new Set<string>();
    for (const [relation, byLang] of facts) {
      byLang.en.forEach((en, i) => {
        const zh = byLang.zh[i];
        expect([zh.uuid, zh.lineid, zh.sub_code, zh.obj_code]).toEqual([
          en.uuid,
          en.lineid,
          en.sub_code,
          en.obj_code,
        ]);
        expect(en.lineid).toBe(i + 1);
        expect(en.uuid).toBe(factUuid(relation, en.sub_code, en.obj_code));
        expect(seen.has(en.uuid)).toBe(false);
        seen.add(en.uuid);
      });
    }
  });

  it('has clean names: no parentheses, Han characters in Chinese', () => {
    for (const byLang of facts.values()) {
      for (const lang of LANGS) {
        for (const row of byLang[lang]) {
          for (const name of [row.sub_label, row.obj_label]) {
            expect(name).not.toMatch(/[()（）[\]]|^\s|\s$/u);
            if (lang === 'zh') expect(name).toMatch(/\p{Script=Han}/u);
          }
        }
      }
    }
  });

  it('lists every valid object of the subject on multi-valued lines, and one on single-valued', () => {
    for (const r of index.relations) {
      for (const lang of LANGS) {
        const rows = facts.get(r.id)![lang];
        const bySubject = new Map<string, FactRow[]>();
        for (const row of rows)
          bySubject.set(row.sub_code, [...(bySubject.get(row.sub_code) ?? []), row]);
        expect(bySubject.size, r.id).toBe(r.subjects);
        for (const group of bySubject.values()) {
          if (!r.multi_valued) {
            expect(group).toHaveLength(1);
            expect(group[0].all_objects).toBeUndefined();
            continue;
          }
          const objects = group.map((row) => row.obj_label);
          for (const row of group) expect(row.all_objects).toEqual(objects);
        }
      }
    }
  });

  it('draws wrong objects of the same relation that are truly wrong', () => {
    expect(wrong.map((w) => w.uuid)).toEqual(
      [...facts.values()].flatMap((b) => b.en.map((row) => row.uuid)),
    );
    const rowByUuid = new Map(
      [...facts].flatMap(([, b]) =>
        b.en.map((row, i) => [row.uuid, { en: row, zh: b.zh[i] }] as const),
      ),
    );
    for (const w of wrong) {
      const { en } = rowByUuid.get(w.uuid)!;
      const rows = facts.get(w.relation)!;
      const objectNames = new Map(
        LANGS.map((l) => [l, new Map(rows[l].map((row) => [row.obj_code, row.obj_label]))]),
      );
      const valid = new Set(
        rows.en.filter((row) => row.sub_code === en.sub_code).map((row) => row.obj_code),
      );
      expect(w.codes).toHaveLength(WRONG_PER_FACT);
      expect(new Set(w.codes).size).toBe(WRONG_PER_FACT);
      for (const [i, code] of w.codes.entries()) {
        expect(valid.has(code) || code === en.sub_code, `${w.uuid} ${code}`).toBe(false);
        for (const lang of LANGS) {
          expect(w[lang][i]).toBe(objectNames.get(lang)!.get(code));
          const validNames = rows[lang]
            .filter((row) => row.sub_code === en.sub_code)
            .map((row) => row.obj_label);
          expect(validNames).not.toContain(w[lang][i]);
        }
      }
    }
  });

  it('has templates for every relation and language with [Y] at the end', () => {
    for (const lang of LANGS) {
      const templates = readJsonl<{ relation: string; template: string }>(
        `${lang}/templates.jsonl`,
      );
      for (const r of index.relations) {
        const mine = templates.filter((t) => t.relation === r.id);
        expect(mine.length, `${lang} ${r.id}`).toBeGreaterThanOrEqual(2);
        for (const { template } of mine) {
          expect(template.split('[X]')).toHaveLength(2);
          expect(template).toMatch(lang === 'en' ? /\[Y\] \.$/u : /\[Y\]。$/u);
        }
      }
    }
  });

  it('makes P1376 the inverse of P36', () => {
    const capitals = facts
      .get('P36')!
      .en.map((r) => `${r.sub_code}>${r.obj_code}`)
      .sort();
    const capitalOf = facts
      .get('P1376')!
      .en.map((r) => `${r.obj_code}>${r.sub_code}`)
      .sort();
    expect(capitalOf).toEqual(capitals);
  });

  it('has symmetric borders', () => {
    const pairs = new Set(facts.get('P47')!.en.map((r) => `${r.sub_code}>${r.obj_code}`));
    for (const pair of pairs)
      expect(pairs.has(pair.split('>').reverse().join('>')), pair).toBe(true);
  });
});
