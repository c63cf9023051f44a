/**
 * Random valid facts for the fuzz tests: every field as the parsers leave it (trimmed, within
 * the limits), with text drawn from all of UTF-16, lone surrogates and control characters
 * included, so that writers and readers must escape and quote correctly.
 */
import fc from 'fast-check';
import { clozeProblem, templateProblem } from '../../src/facts/template';
import type { Fact, Prompt } from '../../src/facts/types';

const readable = fc.constantFrom('a', 'Z', ' ', ',', '"', '|', '\t', '\n', '中', 'é', '🙂');

/** Text as a parser keeps it: trimmed, non-empty, without [MASK], [X] or [Y]. */
export const cleanText = (maxLength = 16) =>
  fc
    .oneof(fc.string({ unit: readable, maxLength }), fc.string({ unit: 'binary', maxLength }))
    .map((s) => s.trim())
    .filter((s) => s !== '' && !/\[(MASK|X|Y)\]/.test(s));

export const language = fc.constantFrom('en', 'zh', 'fr', 'pt-BR', 'zh-Hans', 'yue');

const around = (slot: string) =>
  fc
    .tuple(fc.option(cleanText(), { nil: '' }), fc.option(cleanText(), { nil: '' }))
    .map(([a, b]) => `${a} ${slot} ${b}`.trim());

/** A cloze with exactly one [MASK]. */
export const clozeText = around('[MASK]').filter((t) => clozeProblem(t) === undefined);

/** A template with one [X] and one [Y], in either order. */
export const templateText = fc
  .tuple(around('[X]'), cleanText(), fc.boolean())
  .map(([x, mid, yFirst]) => (yFirst ? `[Y] ${mid} ${x}` : `${x} ${mid} [Y]`))
  .filter((t) => templateProblem(t) === undefined);

export const prompt: fc.Arbitrary<Prompt> = fc
  .record(
    {
      language,
      text: clozeText,
      object: cleanText(),
      template: templateText,
      subject: cleanText(),
    },
    { requiredKeys: ['language', 'text', 'object'] },
  )
  .map((p) => p as Prompt);

const stringLists = fc.dictionary(
  language,
  fc.uniqueArray(fc.string({ unit: 'binary', maxLength: 8 }), { maxLength: 3 }),
  { maxKeys: 3 },
);

/**
 * A fact as the project's JSON format gives it back: unique prompts per language and text, and
 * the fact's subject, when it has none of its own, taken from its first prompt that has one.
 */
export const fact: fc.Arbitrary<Fact> = fc
  .record(
    {
      id: cleanText(24),
      relation: cleanText(8),
      subject: cleanText(),
      prompts: fc.uniqueArray(prompt, {
        minLength: 1,
        maxLength: 4,
        selector: (p) => `${p.language}\u0000${p.text}`,
      }),
      wrongObjects: stringLists,
      allObjects: stringLists,
    },
    { requiredKeys: ['id', 'prompts'] },
  )
  .map((f) => {
    const subject = f.subject ?? f.prompts.find((p) => p.subject !== undefined)?.subject;
    return subject === undefined ? f : { ...f, subject };
  });

/** Facts with distinct ids. */
export const facts = (maxLength = 6) => fc.uniqueArray(fact, { maxLength, selector: (f) => f.id });
