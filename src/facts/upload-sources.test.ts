/** Where an upload's language, relation and templates come from, and the format examples. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMAT_EXAMPLES } from './examples';
import { loadFactSet } from './factset';
import { languageFromFileName, languageFromScript, parseUpload } from './parse';
import { type TemplateSet, mergeTemplates, overrideTemplates, templateCount } from './templates';

const jsonl = (...rows: unknown[]) =>
  rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n');

/** The templates the app ships (data/factset), by relation then language. */
async function bundledTemplates(): Promise<TemplateSet> {
  const root = join(__dirname, '../../data/factset');
  const set = await loadFactSet((path) => readFile(join(root, path), 'utf8'), {
    relations: ['P36'],
  });
  return Object.fromEntries(set.relations.map((r) => [r.id, r.templates]));
}

describe('language from a file name', () => {
  it.each([
    ['zh/P36.jsonl', 'zh'],
    ['mlama1.1/zh/P36.jsonl', 'zh'],
    ['ceb/P36.jsonl', 'ceb'],
    ['pt-BR/P36.jsonl', 'pt-BR'],
    ['P36_zh.jsonl', 'zh'],
    ['P36.zh.jsonl', 'zh'],
    ['zh_P36.jsonl', 'zh'],
    ['en/templates.jsonl', 'en'],
    ['P36.jsonl', undefined],
    ['tmp/P36.jsonl', undefined],
    ['data/P36.jsonl', undefined],
    ['P36_patterns.jsonl', undefined],
  ])('%s: %s', (name, language) => {
    expect(languageFromFileName(name)).toBe(language);
  });
});

describe('language from the labels’ script', () => {
  it('reads Han labels as Chinese, kana as Japanese, Hangul as Korean, Latin as none', () => {
    const rows = (pairs: [string, string][]) =>
      jsonl(...pairs.map(([s, o]) => ({ sub_label: s, obj_label: o })));
    expect(
      languageFromScript(
        rows([
          ['德国', '柏林'],
          ['日本', '东京'],
        ]),
      ),
    ).toBe('zh');
    expect(
      languageFromScript(
        rows([
          ['ドイツ', 'ベルリン'],
          ['日本', '東京'],
        ]),
      ),
    ).toBe('ja');
    expect(languageFromScript(rows([['독일', '베를린']]))).toBe('ko');
    expect(
      languageFromScript(
        rows([
          ['Germany', 'Berlin'],
          ['日本', 'Tokyo'],
        ]),
      ),
    ).toBeUndefined();
    expect(languageFromScript('subject,object\n德国,柏林')).toBeUndefined();
  });
});

describe('mLAMA relation files with the bundled templates', () => {
  const germany = { uuid: 'u1', sub_label: 'Germany', obj_label: 'Berlin' };
  const deguo = { uuid: 'u1', sub_label: '德国', obj_label: '柏林' };

  it('fills every P36 template of the language the folder names', async () => {
    const templates = await bundledTemplates();
    const en = parseUpload(jsonl(germany), 'P36.jsonl', { templates });
    expect(en.errors).toEqual([]);
    expect(en).toMatchObject({ language: 'en', languageFrom: 'default', relation: 'P36' });
    expect(en.facts[0].prompts.map((p) => p.text)).toEqual([
      'The capital of Germany is [MASK] .',
      "Germany's capital is [MASK] .",
      'The capital city of Germany is [MASK] .',
    ]);
    const zh = parseUpload(jsonl(deguo), 'zh/P36.jsonl', { templates });
    expect(zh.errors).toEqual([]);
    expect(zh).toMatchObject({
      language: 'zh',
      languageFrom: 'file name',
      relationFrom: 'file name',
    });
    expect(zh.facts[0].prompts[0]).toMatchObject({ language: 'zh', text: '德国的首都是[MASK]。' });
  });

  it('reads a Chinese file without a language in its name as Chinese; a given language wins', async () => {
    const templates = await bundledTemplates();
    const zh = parseUpload(jsonl(deguo), 'P36.jsonl', { templates });
    expect(zh).toMatchObject({ language: 'zh', languageFrom: 'script' });
    expect(zh.facts[0].prompts.every((p) => p.language === 'zh')).toBe(true);
    const given = parseUpload(jsonl(germany), 'zh/P36.jsonl', { templates, language: 'en' });
    expect(given).toMatchObject({ language: 'en', languageFrom: 'given' });
    expect(given.facts[0].prompts[0].language).toBe('en');
  });

  it('names the relation and language that have no template', async () => {
    const templates = await bundledTemplates();
    const r = parseUpload(jsonl(germany), 'de/P36.jsonl', { templates });
    expect(r.facts).toEqual([]);
    expect(r.errors[0].message).toContain('no template is known for P36 in "de"');
  });
});

describe('templates and pattern files', () => {
  it('reads an mLAMA templates file in the language its folder names', () => {
    const text = jsonl(
      { relation: 'P36', template: 'Die Hauptstadt von [X] ist [Y] .' },
      { relation: 'P36', template: '[X] hat die Hauptstadt [Y] .' },
      { relation: 'P37', template: 'no slots' },
      { template: '[X] liegt in [Y] .' },
    );
    const r = parseUpload(text, 'de/templates.jsonl');
    expect(r.format).toBe('templates-jsonl');
    expect(r.facts).toEqual([]);
    expect(r.templates).toEqual({
      P36: { de: ['Die Hauptstadt von [X] ist [Y] .', '[X] hat die Hauptstadt [Y] .'] },
    });
    expect(r.errors.map((e) => e.line)).toEqual([3, 4]);
    expect(r.errors[1].message).toContain('name the file by its relation');
  });

  it('reads a PARAREL pattern file as the templates of the relation that names it', () => {
    const text = jsonl(
      { pattern: 'The capital of [X] is [Y] .', lemma: 'capital', tense: 'present' },
      { pattern: "[X]'s capital is [Y] .", lemma: 'capital', tense: 'present' },
    );
    const r = parseUpload(text, 'P36.jsonl');
    expect(r.format).toBe('templates-jsonl');
    expect(r.errors).toEqual([]);
    expect(r.templates).toEqual({
      P36: { en: ['The capital of [X] is [Y] .', "[X]'s capital is [Y] ."] },
    });
    // The uploaded templates then fill a relation file's facts.
    const facts = parseUpload(jsonl({ sub_label: 'Peru', obj_label: 'Lima' }), 'P36.jsonl', {
      templates: r.templates,
    });
    expect(facts.facts[0].prompts.map((p) => p.text)).toEqual([
      'The capital of Peru is [MASK] .',
      "Peru's capital is [MASK] .",
    ]);
  });

  it('merges template sets without repeats, the first set first', () => {
    const a = { P36: { en: ['A [X] [Y]', 'B [X] [Y]'] } };
    const b = {
      P36: { en: ['B [X] [Y]', 'C [X] [Y]'], zh: ['[X][Y]'] },
      P37: { en: ['D [X] [Y]'] },
    };
    const merged = mergeTemplates(a, b);
    expect(merged.P36.en).toEqual(['A [X] [Y]', 'B [X] [Y]', 'C [X] [Y]']);
    expect(templateCount(merged)).toBe(5);
  });

  it('lets uploaded templates replace the bundled ones of the same relation and language only', () => {
    const bundled = { P36: { en: ['A [X] [Y]'], zh: ['[X]甲[Y]'] }, P37: { en: ['D [X] [Y]'] } };
    const uploaded = { P36: { en: ['U [X] [Y]'] }, P38: { en: ['E [X] [Y]'] } };
    expect(overrideTemplates(bundled, uploaded)).toEqual({
      P36: { en: ['U [X] [Y]'], zh: ['[X]甲[Y]'] },
      P37: { en: ['D [X] [Y]'] },
      P38: { en: ['E [X] [Y]'] },
    });
    expect(bundled.P36.en).toEqual(['A [X] [Y]']);
  });
});

describe('format examples', () => {
  it.each(FORMAT_EXAMPLES.map((e) => [e.title, e] as const))(
    '%s parses cleanly in its format',
    async (_, example) => {
      const templates = await bundledTemplates();
      const r = parseUpload(example.text, example.fileName, { templates });
      expect(r.errors).toEqual([]);
      expect(r.format).toBe(example.format);
      if (example.format === 'templates-jsonl') expect(templateCount(r.templates ?? {})).toBe(2);
      else expect(r.facts.length).toBeGreaterThan(0);
    },
  );
});
