/**
 * Fuzzing the fact-file parsers (project JSON, mLAMA/PARAREL JSONL, CSV/TSV) through
 * parseUpload and parseUploadFile: valid files read back to the facts they were written from;
 * valid files mutated, random text and random bytes never make the parsers throw, every
 * problem has a line and a message, what is kept is usable, and no prototype is touched.
 * 10,000 inputs in all (tests/util/fuzz.ts: FUZZ_SEED, FUZZ_SCALE).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cleanText,
  facts as factList,
  language,
  templateText,
} from '../../tests/util/fact-arbitraries';
import {
  PROTO_KEYS,
  expectNoPollution,
  fuzz,
  fuzzAsync,
  mutatedJson,
  mutatedText,
} from '../../tests/util/fuzz';
import { DEFAULT_LIMITS, type UploadLimits } from './limits';
import {
  type ParseOptions,
  type ParseResult,
  parseUpload,
  parseUploadFile,
  serializeFacts,
} from './parse';
import { languageProblem } from './records';
import { clozeProblem } from './template';
import type { Fact } from './types';

const FORMATS = ['project-json', 'mlama-jsonl', 'pararel-jsonl', 'csv', 'tsv'];

/** Throws unless `r` is a well-formed result within `limits`. */
function checkResult(r: ParseResult, limits: UploadLimits = DEFAULT_LIMITS): void {
  const fail = (what: string) => {
    throw new Error(`${what}: ${JSON.stringify(r).slice(0, 500)}`);
  };
  if (!FORMATS.includes(r.format)) fail('unknown format');
  if (r.errors.length > limits.maxErrors + 1) fail('more problems listed than the limit');
  // A message quotes at most a record's worth of the file.
  const longest = limits.maxLineChars + 4 * limits.maxFieldChars + 1000;
  for (const e of r.errors) {
    if (!Number.isInteger(e.line) || e.line < 0) fail('a problem without a line');
    if (typeof e.message !== 'string' || e.message.trim() === '') fail('a problem without text');
    if (e.message.length > longest) fail(`a ${e.message.length}-character message`);
  }
  if (r.facts.length > limits.maxFacts) fail('more facts than the limit');
  for (const f of r.facts) {
    if (typeof f.id !== 'string' || f.id === '') fail('a fact without an id');
    if (f.prompts.length < 1 || f.prompts.length > limits.maxPromptsPerFact)
      fail('a fact with no prompt or too many');
    for (const p of f.prompts) {
      if (languageProblem(p.language)) fail('a prompt with a bad language');
      if (clozeProblem(p.text)) fail('a prompt that is not a cloze');
      if (typeof p.object !== 'string' || p.object.trim() === '') fail('a prompt without object');
    }
  }
  expectNoPollution();
}

const csvField = (v: string | undefined) => `"${(v ?? '').replace(/"/g, '""')}"`;

/** One line or row per prompt, as mLAMA-style JSONL or CSV writes it. */
function promptRows(facts: Fact[]) {
  return facts.flatMap((f) =>
    f.prompts.map((p) => ({
      fact_id: f.id,
      relation: f.relation,
      language: p.language,
      prompt: p.text,
      object: p.object,
      template: p.template,
      subject: p.subject,
    })),
  );
}

const jsonlOf = (facts: Fact[]) =>
  promptRows(facts)
    .map((row) => JSON.stringify(row))
    .join('\n');

function csvOf(facts: Fact[]): string {
  const columns = ['fact_id', 'relation', 'language', 'prompt', 'object', 'template', 'subject'];
  const rows = promptRows(facts).map((row) =>
    columns.map((c) => csvField(row[c as keyof typeof row])).join(','),
  );
  return [columns.join(','), ...rows].join('\r\n');
}

/** What one row per prompt gives back: the facts without their lists, subjects from prompts. */
const fromRows = (facts: Fact[]): Fact[] =>
  facts.map(({ id, relation, prompts }) => {
    const subject = prompts.find((p) => p.subject !== undefined)?.subject;
    return {
      id,
      prompts,
      ...(relation !== undefined ? { relation } : {}),
      ...(subject !== undefined ? { subject } : {}),
    };
  });

const fileName = fc.constantFrom(
  'facts.json',
  'P36.jsonl',
  'facts.ndjson',
  'facts.csv',
  'facts.tsv',
  'pasted',
  'P17_zh.txt',
  '',
  'dir/P1.csv',
);

const limits = fc.record(
  {
    maxChars: fc.integer({ min: 1, max: 5000 }),
    maxLineChars: fc.integer({ min: 1, max: 300 }),
    maxFieldChars: fc.integer({ min: 1, max: 40 }),
    maxFacts: fc.integer({ min: 1, max: 6 }),
    maxPromptsPerFact: fc.integer({ min: 1, max: 4 }),
    maxErrors: fc.integer({ min: 0, max: 6 }),
    maxDepth: fc.integer({ min: 1, max: 40 }),
  },
  { requiredKeys: [] },
);

const hostileKey = fc.oneof(fc.constantFrom(...PROTO_KEYS), cleanText(6));
const options: fc.Arbitrary<ParseOptions> = fc.record(
  {
    language: fc.oneof(language, fc.constantFrom('', 'x y', ...PROTO_KEYS)),
    relation: fc.oneof(cleanText(8), fc.constantFrom(...PROTO_KEYS)),
    template: fc.oneof(templateText, fc.string({ maxLength: 12 })),
    templates: fc.dictionary(
      hostileKey,
      fc.dictionary(
        fc.oneof(language, fc.constantFrom(...PROTO_KEYS)),
        fc.array(fc.oneof(templateText, fc.string({ maxLength: 12 })), { maxLength: 3 }),
      ),
    ),
    limits,
  },
  { requiredKeys: [] },
);

const limitsOf = (opts: ParseOptions): UploadLimits => ({ ...DEFAULT_LIMITS, ...opts.limits });

/** A valid file of any of the three writers, and its name. */
const validFile = factList().chain((facts) =>
  fc.constantFrom<[string, string]>(
    [serializeFacts(facts), 'facts.json'],
    [jsonlOf(facts), 'facts.jsonl'],
    [csvOf(facts), 'facts.csv'],
  ),
);

/** Characters that drive the parsers' branches, for random text that looks like a file. */
const structural = fc.string({
  unit: fc.constantFrom(
    ...'{}[]",:\\ \n\r\t,;|abXY01-.e'.split(''),
    '[MASK]',
    '[X]',
    '[Y]',
    '"version"',
    '"facts"',
    '"prompts"',
    '"id"',
    '"object"',
    '"__proto__"',
    'true',
    'null',
    'fact_id',
    'object',
    'prompt',
    'subject',
    'template',
    '\ufeff',
  ),
  maxLength: 80,
});

describe('fact-file parsers under fuzzing', () => {
  it('read back project JSON as written, and JSONL and CSV rows as their facts', () => {
    fuzz(
      fc.property(factList(), (facts) => {
        const text = serializeFacts(facts);
        const r = parseUpload(text, 'facts.json');
        expect(r.errors).toEqual([]);
        expect(r.facts).toEqual(facts);
        expect(serializeFacts(r.facts)).toBe(text);
        checkResult(r);
      }),
      1500,
    );
    fuzz(
      fc.property(
        factList().filter((f) => f.length > 0),
        fc.boolean(),
        (facts, csv) => {
          const r = parseUpload(csv ? csvOf(facts) : jsonlOf(facts), csv ? 'f.csv' : 'f.jsonl');
          expect(r.errors).toEqual([]);
          expect(r.facts).toEqual(fromRows(facts));
          checkResult(r);
        },
      ),
      1500,
    );
  });

  it('never throw on mutated files, whatever the name and options', () => {
    fuzz(
      fc.property(
        mutatedText(validFile.map(([text]) => text)),
        fileName,
        options,
        (text, name, opts) => checkResult(parseUpload(text, name, opts), limitsOf(opts)),
      ),
      3000,
    );
  });

  it('never throw on project JSON documents with mutated structure', () => {
    fuzz(
      fc.property(
        mutatedJson(factList().map((facts) => JSON.parse(serializeFacts(facts)))),
        fc.constantFrom('facts.json', 'f.jsonl'),
        (doc, name) => checkResult(parseUpload(JSON.stringify(doc) ?? '', name)),
      ),
      1500,
    );
  });

  it('never throw on random text', () => {
    fuzz(
      fc.property(
        fc.oneof(structural, fc.string({ unit: 'binary', maxLength: 200 })),
        fileName,
        options,
        (text, name, opts) => checkResult(parseUpload(text, name, opts), limitsOf(opts)),
      ),
      1500,
    );
  });

  it('never throw on random bytes read as a file', async () => {
    const bom = fc.constantFrom([], [0xef, 0xbb, 0xbf], [0xff, 0xfe], [0xfe, 0xff]);
    await fuzzAsync(
      fc.asyncProperty(
        bom,
        fc.uint8Array({ maxLength: 200 }),
        fileName,
        async (prefix, bytes, name) => {
          const blob = new Blob([new Uint8Array([...prefix, ...bytes])]);
          checkResult(await parseUploadFile(blob, name));
        },
      ),
      1000,
    );
  });
});
