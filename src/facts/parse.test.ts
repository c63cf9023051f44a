import { describe, expect, it } from 'vitest';
import { checkUploadSize } from './limits';
import {
  detectFormat,
  parseUpload,
  parseUploadFile,
  relationFromFileName,
  serializeFacts,
} from './parse';
import type { Fact } from './types';

const jsonl = (...rows: unknown[]) =>
  rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n');
const messages = (r: { errors: { line: number; message: string }[] }) =>
  r.errors.map((e) => `${e.line}: ${e.message}`);

describe('detectFormat', () => {
  it.each([
    ['{"version":1,"facts":[\n]}', 'facts.json', 'project-json'],
    ['{"version":1,"facts":[]}', 'facts.json', 'project-json'],
    ['{"uuid":"a","sub_label":"France","obj_label":"Paris"}\n', 'P36.json', 'mlama-jsonl'],
    ['{"pattern":"[X] is in [Y] .","sub_label":"a","obj_label":"b"}', 'x.txt', 'pararel-jsonl'],
    ['{broken', 'P36.jsonl', 'mlama-jsonl'],
    ['\uFEFFfact_id,language,prompt,object\r\n', 'f.csv', 'csv'],
    ['subject\tobject\ttemplate', 'f.txt', 'tsv'],
    ['subject\tobject', 'f.tsv', 'tsv'],
    ['a\tb,c', 'f', 'csv'],
    ['subject,object', '', 'csv'],
    ['', 'P36.jsonl', 'mlama-jsonl'],
    [' \n', 'facts.ndjson', 'mlama-jsonl'],
    ['\uFEFF', 'facts.json', 'project-json'],
    ['', 'facts.tsv', 'tsv'],
    ['', 'facts.csv', 'csv'],
  ])('%j named %j is %s', (text, name, format) => {
    expect(detectFormat(text, name)).toBe(format);
  });

  it('finds a relation id in a file name', () => {
    expect(relationFromFileName('data/en/P36.jsonl')).toBe('P36');
    expect(relationFromFileName('p1376_zh.csv')).toBe('P1376');
    expect(relationFromFileName('P36x.jsonl')).toBeUndefined();
    expect(relationFromFileName('facts.json')).toBeUndefined();
  });
});

describe('mLAMA JSONL', () => {
  const lines = jsonl(
    { uuid: 'u1', sub_label: 'France', obj_label: 'Paris', lineid: 1 },
    { uuid: 'u2', sub_label: 'Japan', obj_label: 'Tokyo', lineid: 2 },
  );

  it('fills the template given with the upload', () => {
    const r = parseUpload(lines, 'capitals.jsonl', { template: 'The capital of [X] is [Y] .' });
    expect(r.format).toBe('mlama-jsonl');
    expect(r.errors).toEqual([]);
    expect(r.facts[0]).toEqual({
      id: 'u1',
      subject: 'France',
      prompts: [
        {
          language: 'en',
          text: 'The capital of France is [MASK] .',
          object: 'Paris',
          template: 'The capital of [X] is [Y] .',
          subject: 'France',
        },
      ],
    });
  });

  it('uses the known templates of the relation named by the file, one prompt per paraphrase', () => {
    const zh = jsonl({ uuid: 'u1', sub_label: '法国', obj_label: '巴黎' });
    const templates = { P36: { zh: ['[X]的首都是[Y]。', '[X]的首都为[Y]。'] } };
    const r = parseUpload(zh, 'P36.jsonl', { language: 'zh', templates });
    expect(r.errors).toEqual([]);
    expect(r.facts).toHaveLength(1);
    expect(r.facts[0].relation).toBe('P36');
    expect(r.facts[0].prompts.map((p) => p.text)).toEqual([
      '法国的首都是[MASK]。',
      '法国的首都为[MASK]。',
    ]);
  });

  it('reads the template, relation and language from the line', () => {
    const text = jsonl({
      uuid: 'u1',
      relation: 'P36',
      language: 'zh',
      template: '[X]的首都是[Y]。',
      sub_label: '法国',
      obj_label: '巴黎',
      wrong_objects: ['柏林', '东京'],
    });
    const r = parseUpload(text, 'upload.jsonl');
    expect(r.errors).toEqual([]);
    expect(r.facts[0]).toMatchObject({
      id: 'u1',
      relation: 'P36',
      prompts: [{ language: 'zh', text: '法国的首都是[MASK]。', object: '巴黎' }],
      wrongObjects: { zh: ['柏林', '东京'] },
    });
  });

  it('merges the lines of one uuid in several languages', () => {
    const text = jsonl(
      {
        uuid: 'u1',
        language: 'en',
        template: 'The capital of [X] is [Y] .',
        sub_label: 'France',
        obj_label: 'Paris',
      },
      {
        uuid: 'u1',
        language: 'zh',
        template: '[X]的首都是[Y]。',
        sub_label: '法国',
        obj_label: '巴黎',
      },
    );
    const r = parseUpload(text, 'x.jsonl');
    expect(r.facts).toHaveLength(1);
    expect(r.facts[0].subject).toBe('France');
    expect(r.facts[0].prompts.map((p) => [p.language, p.text, p.object])).toEqual([
      ['en', 'The capital of France is [MASK] .', 'Paris'],
      ['zh', '法国的首都是[MASK]。', '巴黎'],
    ]);
  });

  it('reports each bad line with its number and keeps the good ones', () => {
    const text = jsonl(
      { uuid: 'ok', sub_label: 'France', obj_label: 'Paris' },
      '{"uuid": "x", ',
      '[1, 2]',
      '',
      { uuid: 'n', sub_label: 5, obj_label: 'x' },
      { uuid: 'm', sub_label: 'Peru' },
      { uuid: 's', obj_label: 'Lima' },
      { uuid: 'w', sub_label: 'Chile', obj_label: 'Santiago', wrong_objects: 'Lima' },
      { uuid: 'l', sub_label: 'Chile', obj_label: 'Santiago', language: 'english!' },
      { uuid: 'o', sub_label: 'Chile', obj_label: 'Santiago', wrong_objects: ['Santiago'] },
      { uuid: 'ok2', sub_label: 'Japan', obj_label: 'Tokyo' },
    );
    const r = parseUpload(text, 'x.jsonl', { template: 'The capital of [X] is [Y] .' });
    expect(r.facts.map((f) => f.id)).toEqual(['ok', 'ok2']);
    expect(messages(r)).toEqual([
      expect.stringMatching(/^2: not valid JSON: /),
      '3: line is not a JSON object',
      '5: "sub_label" must be a string',
      '6: missing object (an "object" or "obj_label" field)',
      '7: missing subject (a "subject" or "sub_label" field) to fill [X] of the template',
      '8: "wrong_objects" must be a list of strings',
      '9: language "english!" is not a language code such as en or zh',
      '10: wrong object "Santiago" is this fact\'s own object',
    ]);
  });

  it('says how to supply a template when there is none', () => {
    const r = parseUpload(
      jsonl({ uuid: 'u', sub_label: 'France', obj_label: 'Paris' }),
      'P36.jsonl',
    );
    expect(messages(r)).toEqual([
      '1: no prompt and no template: give a prompt with [MASK] where the object goes, or a template with [X] and [Y] (no template is known for P36 in "en")',
    ]);
  });

  it('reports an unusable template given with the upload once, and per line', () => {
    const r = parseUpload(
      jsonl({ uuid: 'u', sub_label: 'France', obj_label: 'Paris' }),
      'x.jsonl',
      {
        template: 'The capital of [X] is Paris .',
      },
    );
    expect(messages(r)).toEqual([
      '0: the template given with the upload is not usable: template has no [Y]: put [Y] where the object goes',
      expect.stringMatching(/^1: no prompt and no template/),
    ]);
  });
});

describe('PARAREL JSONL', () => {
  it('merges the paraphrases of one subject and object into one fact', () => {
    const text = jsonl(
      { pattern: '[X] is located in [Y] .', sub_label: 'Kenya', obj_label: 'Africa' },
      { pattern: '[X] is a country in [Y] .', sub_label: 'Kenya', obj_label: 'Africa' },
      { pattern: '[X] is located in [Y] .', sub_label: 'Peru', obj_label: 'South America' },
    );
    const r = parseUpload(text, 'P30.jsonl');
    expect(r.format).toBe('pararel-jsonl');
    expect(r.errors).toEqual([]);
    expect(r.facts.map((f) => [f.id, f.relation, f.prompts.length])).toEqual([
      ['P30 | Kenya | Africa', 'P30', 2],
      ['P30 | Peru | South America', 'P30', 1],
    ]);
  });

  it('reports bad patterns', () => {
    const text = jsonl(
      { pattern: '[X] is located in Africa .', sub_label: 'Kenya', obj_label: 'Africa' },
      { pattern: '[X] and [Y] and [Y]', sub_label: 'Kenya', obj_label: 'Africa' },
      { pattern: '[X] is in [Y] .', sub_label: 'Kenya', obj_label: 'Africa' },
      { pattern: '[X] is in [Y] .', sub_label: 'Kenya', obj_label: 'Africa' },
      {
        pattern: '[X] is in [Y] .',
        sub_label: 'Kenya',
        obj_label: 'Asia',
        fact_id: 'P30 | Kenya | Africa',
      },
    );
    const r = parseUpload(text, 'P30.jsonl');
    expect(messages(r)).toEqual([
      '1: template has no [Y]: put [Y] where the object goes',
      '2: template has [Y] 2 times: it must appear exactly once',
      '4: repeats the prompt of line 3',
      '5: the same prompt has object "Africa" on line 3, not "Asia"',
    ]);
    expect(r.facts).toHaveLength(1);
  });
});

describe('CSV', () => {
  it('reads prompts with a BOM, CRLF, quoting and Chinese, merging languages by fact_id', () => {
    const text =
      '\uFEFFfact_id,language,prompt,object\r\n' +
      'f1,en,"The capital of France is [MASK] .",Paris\r\n' +
      'f1,zh,法国的首都是[MASK]。,巴黎\r\n' +
      'f2,en,"Paris, ""the city of light"", is in [MASK] .",France\r\n';
    const r = parseUpload(text, 'facts.csv');
    expect(r.format).toBe('csv');
    expect(r.errors).toEqual([]);
    expect(r.facts).toEqual([
      {
        id: 'f1',
        prompts: [
          { language: 'en', text: 'The capital of France is [MASK] .', object: 'Paris' },
          { language: 'zh', text: '法国的首都是[MASK]。', object: '巴黎' },
        ],
      },
      {
        id: 'f2',
        prompts: [
          { language: 'en', text: 'Paris, "the city of light", is in [MASK] .', object: 'France' },
        ],
      },
    ]);
  });

  it('fills templates from subject, object, template and language columns', () => {
    const text =
      'Subject,Object,Template,Language,Relation,Wrong_Objects\n' +
      'France,Paris,The capital of [X] is [Y] .,en,P36,Berlin|Tokyo\n' +
      '法国,巴黎,[X]的首都是[Y]。,zh,P36,\n';
    const r = parseUpload(text, 'facts.csv');
    expect(r.errors).toEqual([]);
    expect(r.facts.map((f) => [f.id, f.prompts[0].text, f.wrongObjects])).toEqual([
      ['P36 | France | Paris', 'The capital of France is [MASK] .', { en: ['Berlin', 'Tokyo'] }],
      ['P36 | 法国 | 巴黎', '法国的首都是[MASK]。', undefined],
    ]);
  });

  it('reads TSV', () => {
    const r = parseUpload('prompt\tobject\n法国的首都是[MASK]。\t巴黎\n', 'facts.tsv', {
      language: 'zh',
    });
    expect(r.format).toBe('tsv');
    expect(r.facts).toEqual([
      { id: 'line 2', prompts: [{ language: 'zh', text: '法国的首都是[MASK]。', object: '巴黎' }] },
    ]);
  });

  it('reports bad rows by line, including a prompt without [MASK]', () => {
    const text = [
      'fact_id,language,prompt,object',
      'a,en,The capital of France is Paris .,Paris',
      'b,en,The capital of [MASK] is [MASK] .,Paris',
      'c,en,The capital of Japan is [MASK] .',
      'd,en,"The capital of Peru is [MASK] .",Lima,extra',
      'e,en,The "capital" of Chile is [MASK] .,Santiago',
      'f,en,,Quito',
      'g,en,The capital of Kenya is [MASK] .,Nairobi',
    ].join('\n');
    const r = parseUpload(text, 'facts.csv');
    expect(r.facts.map((f) => f.id)).toEqual(['g']);
    expect(messages(r)).toEqual([
      '2: prompt has no [MASK]: add [MASK] where the object goes',
      expect.stringMatching(/^3: prompt has 2 \[MASK\]s: use exactly one/),
      '4: row has 3 fields but the header has 4',
      '5: row has 5 fields but the header has 4 (quote fields that contain the delimiter)',
      expect.stringMatching(/^6: quote inside an unquoted field/),
      expect.stringMatching(/^7: no prompt and no template/),
    ]);
  });

  it('rejects a header without the needed columns', () => {
    expect(messages(parseUpload('id,text\n1,x [MASK]\n', 'f.csv'))).toEqual([
      '1: the header has no object column: expected columns such as fact_id,language,prompt,object or subject,object,template,language (found: id, text)',
    ]);
    expect(messages(parseUpload('id,object\n1,x\n', 'f.csv'))[0]).toMatch(
      /^1: the header has neither a prompt nor a subject column/,
    );
  });

  it('reports a relation that contradicts an earlier line of the same fact', () => {
    const text = 'fact_id,relation,prompt,object\nf,P36,A [MASK] .,x\nf,P37,B [MASK] .,y\n';
    expect(messages(parseUpload(text, 'f.csv'))).toEqual([
      '3: fact "f" has relation P36 (line 2) but this line says P37',
    ]);
  });
});

describe('limits', () => {
  const rows = (n: number) =>
    ['prompt,object', ...Array.from({ length: n }, (_, i) => `Fact ${i} is [MASK] .,o${i}`)].join(
      '\n',
    );

  it('stops at the fact limit and says so', () => {
    const r = parseUpload(rows(5), 'f.csv', { limits: { maxFacts: 3 } });
    expect(r.facts).toHaveLength(3);
    expect(messages(r)).toEqual(['5: more than 3 facts: the rest of the file was not read']);
  });

  it('bounds the prompts of one fact', () => {
    const text = [
      'fact_id,prompt,object',
      'f,A [MASK] .,x',
      'f,B [MASK] .,x',
      'f,C [MASK] .,x',
    ].join('\n');
    const r = parseUpload(text, 'f.csv', { limits: { maxPromptsPerFact: 2 } });
    expect(r.facts[0].prompts).toHaveLength(2);
    expect(messages(r)).toEqual(['4: fact "f" has more than 2 prompts']);
  });

  it('rejects an over-large or empty file', () => {
    expect(messages(parseUpload(rows(100), 'f.csv', { limits: { maxChars: 100 } }))).toEqual([
      expect.stringMatching(/^0: the file is 0\.0 MiB; the limit is 0\.0 MiB/),
    ]);
    expect(messages(parseUpload(' \n', 'f.csv'))).toEqual(['0: the file is empty']);
    expect(checkUploadSize(20 * 1024 * 1024)).toBe(
      'the file is 20.0 MiB; the limit is 16.0 MiB: split it into smaller files',
    );
    expect(checkUploadSize(1000)).toBeUndefined();
  });

  it('rejects long lines and fields', () => {
    const long = jsonl(
      { prompt: `${'x'.repeat(100)} [MASK]`, object: 'o' },
      { prompt: 'A [MASK]', object: 'o'.repeat(30) },
    );
    expect(
      messages(parseUpload(long, 'f.jsonl', { limits: { maxLineChars: 90, maxFieldChars: 20 } })),
    ).toEqual(['1: line is longer than 90 characters', '2: "object" is longer than 20 characters']);
  });

  it('lists a bounded number of problems and counts the rest', () => {
    const bad = ['prompt,object', ...Array.from({ length: 10 }, () => 'no mask,o')].join('\n');
    const r = parseUpload(bad, 'f.csv', { limits: { maxErrors: 3 } });
    expect(r.errors).toHaveLength(4);
    expect(r.errors[3]).toEqual({ line: 0, message: '7 more problems not listed' });
  });

  it('rejects deeply nested JSON', () => {
    const deep = `{"version":1,"facts":${'['.repeat(100)}${']'.repeat(100)}}`;
    expect(messages(parseUpload(deep, 'f.json'))).toEqual([
      '1: not valid JSON: nested more than 32 levels deep',
    ]);
  });
});

describe('project JSON', () => {
  const facts: Fact[] = [
    {
      id: 'cb1d1ce6-2647-52f8-862f-1d4cc7dbbf53',
      relation: 'P36',
      subject: 'Afghanistan',
      prompts: [
        {
          language: 'en',
          text: 'The capital of Afghanistan is [MASK] .',
          object: 'Kabul',
          template: 'The capital of [X] is [Y] .',
          subject: 'Afghanistan',
        },
        {
          language: 'zh',
          text: '阿富汗的首都是[MASK]。',
          object: '喀布尔',
          template: '[X]的首都是[Y]。',
          subject: '阿富汗',
        },
      ],
      wrongObjects: { en: ['Lima', 'Oslo'], zh: ['利马', '奥斯陆'] },
    },
    {
      id: 'borders',
      relation: 'P47',
      prompts: [{ language: 'en', text: 'Andorra shares border with [MASK] .', object: 'Spain' }],
      allObjects: { en: ['Spain', 'France'] },
    },
    { id: 'bare', prompts: [{ language: 'zh', text: '"引号" \\ [MASK]\n第二行', object: '对象' }] },
  ];

  it('round-trips through serializeFacts and parseUpload', () => {
    const text = serializeFacts(facts);
    expect(text.split('\n')).toHaveLength(facts.length + 3);
    const r = parseUpload(text, 'facts.json');
    expect(r.format).toBe('project-json');
    expect(r.errors).toEqual([]);
    expect(r.facts).toEqual(facts);
    expect(serializeFacts(r.facts)).toBe(text);
  });

  it('round-trips an empty list and survives a BOM and CRLF', () => {
    expect(parseUpload(serializeFacts([]), 'f.json')).toEqual({
      facts: [],
      errors: [],
      format: 'project-json',
      language: 'en',
      languageFrom: 'default',
    });
    const crlf = `\uFEFF${serializeFacts(facts).replace(/\n/gu, '\r\n')}`;
    expect(parseUpload(crlf, 'f.json').facts).toEqual(facts);
  });

  it('reports syntax errors by line', () => {
    const text = '{"version":1,"facts":[\n{"id":"a","prompts":[]},\n{"id": oops}\n]}';
    expect(messages(parseUpload(text, 'f.json'))).toEqual([
      '3: not valid JSON: unexpected character "o"',
    ]);
  });

  it('reports bad facts and prompts by line and keeps the good ones', () => {
    const text = [
      '{"version": 1, "facts": [',
      '  "not a fact",',
      '  {"prompts": [{"language": "en", "text": "A [MASK]", "object": "x"}]},',
      '  {"id": "r", "relation": 36, "prompts": [{"language": "en", "text": "A [MASK]", "object": "x"}]},',
      '  {"id": "p", "prompts": []},',
      '  {"id": "w", "wrongObjects": {"en": "x"}, "allObjects": {"__proto__": ["x"]}, "prompts": [{"language": "en", "text": "W [MASK]", "object": "x"}]},',
      '  {"id": "m", "prompts": [',
      '    {"language": "en", "text": "no mask", "object": "x"},',
      '    {"language": "en", "text": "ok [MASK]", "object": "x"},',
      '    7',
      '  ]}',
      ']}',
    ].join('\n');
    const r = parseUpload(text, 'facts.json');
    expect(r.facts.map((f) => [f.id, f.prompts.map((p) => p.text)])).toEqual([
      ['w', ['W [MASK]']],
      ['m', ['ok [MASK]']],
    ]);
    expect(messages(r)).toEqual([
      '1: facts[0] is not an object',
      '3: facts[1] has no "id" string',
      '4: facts[2]: "relation" must be a string',
      '5: facts[3] has no "prompts" list',
      '6: facts[4]: "wrongObjects" must map languages to lists of strings; it was ignored',
      '6: facts[4]: "allObjects" must map languages to lists of strings; it was ignored',
      '8: prompt has no [MASK]: add [MASK] where the object goes',
      '7: facts[5].prompts[2] is not an object',
    ]);
  });

  it('rejects other versions and shapes', () => {
    expect(messages(parseUpload('{"version": 2, "facts": []}', 'f.json'))).toEqual([
      '1: unsupported version 2: this app reads version 1',
    ]);
    expect(messages(parseUpload('{\n"facts": []}', 'f.json'))).toEqual([
      '1: no "version": a project JSON file is {"version": 1, "facts": [...]}',
    ]);
    expect(messages(parseUpload('{"version": 1, "facts": {}}', 'f.json'))).toEqual([
      '1: "facts" must be a list',
    ]);
    expect(messages(parseUpload('[1]', 'f.json'))).toEqual([
      '1: expected an object {"version": 1, "facts": [...]}',
    ]);
  });
});

describe('hostile field values', () => {
  it('does not read inherited properties as templates', () => {
    const text = jsonl(
      { relation: '__proto__', sub_label: 'a', obj_label: 'b' },
      { relation: 'constructor', sub_label: 'a', obj_label: 'b' },
    );
    const r = parseUpload(text, 'x.jsonl', { templates: {} });
    expect(r.facts).toEqual([]);
    expect(r.errors.map((e) => e.line)).toEqual([1, 2]);
    expect(r.errors[0].message).toMatch(/^no prompt and no template/);
  });
});

describe('parseUploadFile', () => {
  const line = { uuid: 'u1', sub_label: 'France', obj_label: 'Paris', language: 'en' };
  const text = jsonl(line, { ...line, uuid: 'u2', sub_label: 'Chine', obj_label: '北京' });
  const template = { template: 'The capital of [X] is [Y] .' };
  const utf16 = (s: string, littleEndian: boolean) => {
    const out = new Uint8Array(2 + 2 * s.length);
    const view = new DataView(out.buffer);
    view.setUint16(0, 0xfeff, littleEndian);
    for (let i = 0; i < s.length; i++) view.setUint16(2 + 2 * i, s.charCodeAt(i), littleEndian);
    return out;
  };

  it('reads UTF-8 with or without a byte order mark, and UTF-16 with one', async () => {
    const expected = parseUpload(text, 'P36.jsonl', template);
    expect(expected.facts.map((f) => f.prompts[0].object)).toEqual(['Paris', '北京']);
    const utf8 = new TextEncoder().encode(text);
    const encodings = [
      utf8,
      new Uint8Array([0xef, 0xbb, 0xbf, ...utf8]),
      utf16(text, true),
      utf16(text, false),
    ];
    for (const bytes of encodings) {
      expect(await parseUploadFile(new Blob([bytes]), 'P36.jsonl', template)).toEqual(expected);
    }
  });

  it('reports a file that is not text in a known encoding, in the format its name says', async () => {
    const latin1 = new Uint8Array([...new TextEncoder().encode('subject,object\n'), 0xe9, 0x0a]);
    const r = await parseUploadFile(new Blob([latin1]), 'facts.jsonl');
    expect(r).toEqual({
      facts: [],
      format: 'mlama-jsonl',
      language: 'en',
      languageFrom: 'default',
      errors: [
        {
          line: 0,
          message:
            'the file cannot be read: it is not text in UTF-8, or in UTF-16 with a byte order ' +
            'mark; save it as UTF-8',
        },
      ],
    });
  });

  it('rejects an oversized file by its size, without reading it', async () => {
    const huge = {
      size: 100 * 1024 * 1024,
      arrayBuffer: () => Promise.reject(new Error('the file was read')),
    } as unknown as Blob;
    const r = await parseUploadFile(huge, 'P36.jsonl');
    expect(r.format).toBe('mlama-jsonl');
    expect(messages(r)).toEqual([
      '0: the file is 100.0 MiB; the limit is 16.0 MiB: split it into smaller files',
    ]);
    const empty = await parseUploadFile(new Blob([]), 'facts.json');
    expect([empty.format, ...messages(empty)]).toEqual(['project-json', '0: the file is empty']);
  });
});
