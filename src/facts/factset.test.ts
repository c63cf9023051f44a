import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFactSet, withParaphrases } from './factset';
import { clozeProblem } from './template';

const jsonl = (...rows: unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

/** A two-relation set in the bundled layout, read from memory. */
const files: Record<string, string> = {
  'relations.json': JSON.stringify({
    version: 1,
    languages: ['en', 'zh'],
    relations: [
      {
        id: 'P36',
        label: { en: 'capital', zh: '首都' },
        description: { en: 'd', zh: 'd' },
        type: '1-1',
        multi_valued: false,
        facts: { en: 1, zh: 1 },
      },
      {
        id: 'P47',
        label: { en: 'shares border with', zh: '接壤' },
        description: { en: 'd', zh: 'd' },
        type: 'N-M',
        multi_valued: true,
        facts: { en: 2, zh: 2 },
      },
    ],
  }),
  'en/templates.jsonl': jsonl(
    { relation: 'P36', template: 'The capital of [X] is [Y] .' },
    { relation: 'P36', template: "[X]'s capital is [Y] ." },
    { relation: 'P47', template: '[X] shares border with [Y] .' },
  ),
  'zh/templates.jsonl': jsonl(
    { relation: 'P36', template: '[X]的首都是[Y]。' },
    { relation: 'P47', template: '[X]与[Y]接壤。' },
  ),
  'en/P36.jsonl': jsonl({ uuid: 'c1', sub_label: 'France', obj_label: 'Paris', lineid: 1 }),
  'zh/P36.jsonl': jsonl({ uuid: 'c1', sub_label: '法国', obj_label: '巴黎', lineid: 1 }),
  'en/P47.jsonl': jsonl(
    {
      uuid: 'b1',
      sub_label: 'Andorra',
      obj_label: 'Spain',
      lineid: 1,
      all_objects: ['Spain', 'France'],
    },
    {
      uuid: 'b2',
      sub_label: 'Andorra',
      obj_label: 'France',
      lineid: 2,
      all_objects: ['Spain', 'France'],
    },
  ),
  'zh/P47.jsonl': jsonl(
    {
      uuid: 'b1',
      sub_label: '安道尔',
      obj_label: '西班牙',
      lineid: 1,
      all_objects: ['西班牙', '法国'],
    },
    {
      uuid: 'b2',
      sub_label: '安道尔',
      obj_label: '法国',
      lineid: 2,
      all_objects: ['西班牙', '法国'],
    },
  ),
  'wrong-objects.jsonl': jsonl(
    { uuid: 'c1', relation: 'P36', codes: ['x'], en: ['Lima'], zh: ['利马'] },
    { uuid: 'b1', relation: 'P47', codes: ['y'], en: ['Japan'], zh: ['日本'] },
  ),
};
const read = async (path: string) => {
  if (!(path in files)) throw new Error(`no file ${path}`);
  return files[path];
};

describe('loadFactSet', () => {
  it('joins the languages of each fact by uuid', async () => {
    const set = await loadFactSet(read);
    expect(set.languages).toEqual(['en', 'zh']);
    expect(set.relations.map((r) => [r.id, r.multiValued, r.templates])).toEqual([
      [
        'P36',
        false,
        { en: ['The capital of [X] is [Y] .', "[X]'s capital is [Y] ."], zh: ['[X]的首都是[Y]。'] },
      ],
      ['P47', true, { en: ['[X] shares border with [Y] .'], zh: ['[X]与[Y]接壤。'] }],
    ]);
    expect(set.facts.map((f) => f.id)).toEqual(['c1', 'b1', 'b2']);
    expect(set.facts[0]).toEqual({
      id: 'c1',
      relation: 'P36',
      subject: 'France',
      prompts: [
        {
          language: 'en',
          text: 'The capital of France is [MASK] .',
          object: 'Paris',
          template: 'The capital of [X] is [Y] .',
          subject: 'France',
        },
        {
          language: 'zh',
          text: '法国的首都是[MASK]。',
          object: '巴黎',
          template: '[X]的首都是[Y]。',
          subject: '法国',
        },
      ],
      wrongObjects: { en: ['Lima'], zh: ['利马'] },
    });
    expect(set.facts[1].allObjects).toEqual({ en: ['Spain', 'France'], zh: ['西班牙', '法国'] });
    expect(set.facts[2].wrongObjects).toBeUndefined();
  });

  it('loads a subset of languages and relations, with every paraphrase on request', async () => {
    const set = await loadFactSet(read, {
      languages: ['en'],
      relations: ['P36'],
      paraphrases: true,
    });
    expect(set.relations.map((r) => r.id)).toEqual(['P36']);
    expect(set.facts[0].prompts.map((p) => p.text)).toEqual([
      'The capital of France is [MASK] .',
      "France's capital is [MASK] .",
    ]);
  });

  it('adds the paraphrases of a fact loaded with its main templates, as loading them would', async () => {
    const main = await loadFactSet(read, { relations: ['P36'] });
    const all = await loadFactSet(read, { relations: ['P36'], paraphrases: true });
    const rel = main.relations[0];
    expect(withParaphrases(main.facts[0], rel.templates)).toEqual(all.facts[0]);
    // Twice is the same as once; a prompt typed by hand (no template) stays as it is.
    const twice = withParaphrases(withParaphrases(main.facts[0], rel.templates), rel.templates);
    expect(twice).toEqual(all.facts[0]);
    const typed = { id: 't', prompts: [{ language: 'en', text: 'X is [MASK].', object: 'Y' }] };
    expect(withParaphrases(typed, rel.templates)).toEqual(typed);
  });

  it('rejects unknown languages and relations, and says where a bad line is', async () => {
    await expect(loadFactSet(read, { languages: ['fr'] })).rejects.toThrow(
      'the fact set has no language fr',
    );
    await expect(loadFactSet(read, { relations: ['P1'] })).rejects.toThrow(
      'the fact set has no relation P1',
    );
    const broken = async (path: string) =>
      path === 'zh/P36.jsonl' ? '{"uuid": "c1"}\n{oops\n' : read(path);
    await expect(loadFactSet(broken)).rejects.toThrow(/^zh\/P36\.jsonl:2: /);
  });
});

describe('the bundled fact set', () => {
  const root = join(import.meta.dirname, '../../data/factset');
  const readBundled = (path: string) => readFile(join(root, path), 'utf8');

  it('loads with every fact in English and Chinese, with wrong objects', async () => {
    const set = await loadFactSet(readBundled);
    expect(set.facts.length).toBeGreaterThanOrEqual(600);
    expect(set.facts.length).toBe(set.relations.reduce((n, r) => n + r.counts.en, 0));
    for (const fact of set.facts) {
      expect(fact.prompts.map((p) => p.language)).toEqual(['en', 'zh']);
      for (const p of fact.prompts) expect(clozeProblem(p.text)).toBeUndefined();
      expect(fact.wrongObjects?.en.length).toBe(3);
      expect(fact.wrongObjects?.zh.length).toBe(3);
    }
  });

  it('gives a multi-valued fact all the objects of its subject', async () => {
    const set = await loadFactSet(readBundled, { relations: ['P47'], languages: ['zh'] });
    const france = set.facts.filter((f) => f.subject === '法国');
    expect(france.length).toBeGreaterThan(3);
    const objects = france.map((f) => f.prompts[0].object).sort();
    for (const f of france) expect([...f.allObjects!.zh].sort()).toEqual(objects);
  });
});
