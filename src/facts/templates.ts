/**
 * Templates read from uploads: mLAMA's templates.jsonl ({"relation": "P36", "template": "The
 * capital of [X] is [Y] ."}) and PARAREL's pattern files ({"pattern": "[X]'s capital is [Y]."},
 * one file per relation, named by it). A relation's templates in a language are its paraphrases:
 * a fact line of that relation gives one prompt per template.
 */
import type { ErrorList } from './limits';
import { languageProblem } from './records';
import { templateProblem } from './template';

/** Templates by relation, then language, main template first: ParseOptions.templates. */
export type TemplateSet = Record<string, Record<string, string[]>>;

/** Both sets' templates, each list without repeats, `a`'s first. */
export function mergeTemplates(a: TemplateSet, b: TemplateSet): TemplateSet {
  const out: TemplateSet = {};
  for (const set of [a, b])
    for (const [relation, byLanguage] of Object.entries(set))
      for (const [language, list] of Object.entries(byLanguage)) {
        const into = ((out[relation] ??= {})[language] ??= []);
        for (const t of list) if (!into.includes(t)) into.push(t);
      }
  return out;
}

/** How many templates a set holds. */
export const templateCount = (set: TemplateSet): number =>
  Object.values(set).reduce(
    (n, byLanguage) => n + Object.values(byLanguage).reduce((m, l) => m + l.length, 0),
    0,
  );

/**
 * Reads a templates or pattern file: one JSON object per line with "template" or "pattern" and,
 * unless the file is named by its relation, "relation". Bad lines are reported by number.
 */
export function readTemplateLines(
  text: string,
  ctx: { language: string; relation?: string; maxLineChars: number },
  errors: ErrorList,
): TemplateSet {
  const out: TemplateSet = {};
  const lines = text.split(/\r\n|\n|\r/u);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const line = i + 1;
    if (raw.trim() === '') continue;
    if (raw.length > ctx.maxLineChars) {
      errors.add(line, `line is longer than ${ctx.maxLineChars} characters`);
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      errors.add(line, `not valid JSON: ${(e as Error).message}`);
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.add(line, 'line is not a JSON object');
      continue;
    }
    const obj = value as Record<string, unknown>;
    const template = obj.template ?? obj.pattern;
    if (typeof template !== 'string') {
      errors.add(line, 'missing template (a "template" or "pattern" field with [X] and [Y])');
      continue;
    }
    const relation = typeof obj.relation === 'string' ? obj.relation.trim() : ctx.relation;
    if (!relation) {
      errors.add(
        line,
        'no relation: give a "relation" field, or name the file by its relation (P36.jsonl)',
      );
      continue;
    }
    const problem = templateProblem(template.trim());
    if (problem) {
      errors.add(line, problem);
      continue;
    }
    const language = typeof obj.language === 'string' ? obj.language.trim() : ctx.language;
    const badLanguage = languageProblem(language);
    if (badLanguage) {
      errors.add(line, badLanguage);
      continue;
    }
    const list = ((out[relation] ??= {})[language] ??= []);
    if (!list.includes(template.trim())) list.push(template.trim());
  }
  return out;
}

/** `base` with each relation and language that `over` gives replaced by `over`'s templates. */
export function overrideTemplates(base: TemplateSet, over: TemplateSet): TemplateSet {
  const out: TemplateSet = {};
  for (const [relation, byLanguage] of Object.entries(base)) out[relation] = { ...byLanguage };
  for (const [relation, byLanguage] of Object.entries(over))
    out[relation] = { ...out[relation], ...byLanguage };
  return out;
}
