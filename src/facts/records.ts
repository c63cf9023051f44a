import type { UploadLimits } from './limits';
import { TemplateError, clozeProblem, fillTemplate, templateProblem } from './template';
import type { Prompt } from './types';

/** Accepted names of each field, as JSON keys or CSV columns (first present wins). */
export const FIELD_NAMES = {
  id: ['fact_id', 'id', 'uuid'],
  relation: ['relation', 'predicate_id'],
  language: ['language', 'lang'],
  prompt: ['prompt', 'text', 'cloze'],
  template: ['template', 'pattern'],
  subject: ['subject', 'sub_label'],
  object: ['object', 'obj_label'],
  wrongObjects: ['wrong_objects'],
} as const;

export type Field = keyof typeof FIELD_NAMES;
/** A record's fields by their canonical names; wrong objects are a list, the rest strings. */
export type FieldValues = Partial<Record<Exclude<Field, 'wrongObjects'>, string>> & {
  wrongObjects?: string[];
};

/** What every record of one upload shares. */
export interface RecordContext {
  /** Language of records that name none. */
  language: string;
  /** Relation of records that name none (given with the upload or by a file name like P36.jsonl). */
  relation?: string;
  /** Template for records that give neither a prompt nor a template. */
  template?: string;
  /** Templates by relation and language, for records that name a relation but give no template. */
  templates?: Record<string, Record<string, string[]>>;
  limits: UploadLimits;
}

/** The prompts one record contributes to a fact. */
export interface Entry {
  id: string;
  relation?: string;
  subject?: string;
  prompts: Prompt[];
  wrongObjects?: Record<string, string[]>;
  allObjects?: Record<string, string[]>;
}

const LANGUAGE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/u;

/** Why a language code is unusable, or undefined. */
export function languageProblem(language: string): string | undefined {
  return LANGUAGE.test(language)
    ? undefined
    : `language "${language}" is not a language code such as en or zh`;
}

/** Reads the known fields of a parsed JSON object; returns a message when one has the wrong type. */
export function fieldsFromJson(obj: Record<string, unknown>): FieldValues | string {
  const out: FieldValues = {};
  for (const field of Object.keys(FIELD_NAMES) as Field[]) {
    const key = FIELD_NAMES[field].find((k) => Object.hasOwn(obj, k) && obj[k] !== null);
    if (key === undefined) continue;
    const value = obj[key];
    if (field === 'wrongObjects') {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        return `"${key}" must be a list of strings`;
      }
      out.wrongObjects = value;
    } else if (typeof value === 'string' || (field === 'id' && typeof value === 'number')) {
      out[field] = String(value);
    } else {
      return `"${key}" must be a string`;
    }
  }
  return out;
}

/** Maps a CSV header to column indexes; returns a message when the header cannot serve. */
export function csvColumns(header: string[]): Partial<Record<Field, number>> | string {
  const names = header.map((h) => h.trim().toLowerCase());
  const columns: Partial<Record<Field, number>> = {};
  for (const field of Object.keys(FIELD_NAMES) as Field[]) {
    const index = names.findIndex((n) => (FIELD_NAMES[field] as readonly string[]).includes(n));
    if (index >= 0) columns[field] = index;
  }
  const expected =
    'expected columns such as fact_id,language,prompt,object or subject,object,template,language';
  if (columns.object === undefined)
    return `the header has no object column: ${expected} (found: ${names.join(', ')})`;
  if (columns.prompt === undefined && columns.subject === undefined) {
    return `the header has neither a prompt nor a subject column: ${expected} (found: ${names.join(', ')})`;
  }
  return columns;
}

/** Reads a CSV row through its header's columns; wrong objects are separated by "|". */
export function fieldsFromCsv(row: string[], columns: Partial<Record<Field, number>>): FieldValues {
  const out: FieldValues = {};
  for (const [field, index] of Object.entries(columns) as [Field, number][]) {
    const value = row[index];
    if (field === 'wrongObjects') out.wrongObjects = value.split('|');
    else out[field] = value;
  }
  return out;
}

/** A prompt without undefined optional fields, so facts compare and serialise cleanly. */
export function makePrompt(
  language: string,
  text: string,
  object: string,
  template?: string,
  subject?: string,
): Prompt {
  return {
    language,
    text,
    object,
    ...(template !== undefined ? { template } : {}),
    ...(subject !== undefined ? { subject } : {}),
  };
}

/** The known templates of a relation in a language; own keys only, as both come from the file. */
function knownTemplates(ctx: RecordContext, relation: string | undefined, language: string) {
  const byLanguage =
    relation !== undefined && ctx.templates && Object.hasOwn(ctx.templates, relation)
      ? ctx.templates[relation]
      : undefined;
  return byLanguage && Object.hasOwn(byLanguage, language) ? byLanguage[language] : undefined;
}

/** Trims every value, drops empty ones and bounds their length. */
function tidy(values: FieldValues, maxChars: number): FieldValues | string {
  const out: FieldValues = {};
  for (const [field, value] of Object.entries(values) as [Field, string | string[] | undefined][]) {
    if (value === undefined) continue;
    const list = (Array.isArray(value) ? value : [value]).map((v) => v.trim());
    const long = list.find((v) => v.length > maxChars);
    if (long !== undefined) return `"${field}" is longer than ${maxChars} characters`;
    if (field === 'wrongObjects') {
      const kept = list.filter((v) => v !== '');
      if (kept.length > 0) out.wrongObjects = kept;
    } else if (list[0] !== '') {
      out[field] = list[0];
    }
  }
  return out;
}

/**
 * Turns one record into the prompts it gives, or a message saying why it is unusable. A record
 * gives a cloze prompt directly, or a template with [X] and [Y] plus a subject (its own
 * template, else the known templates of its relation and language, else the upload's).
 */
export function recordToEntry(raw: FieldValues, line: number, ctx: RecordContext): Entry | string {
  const values = tidy(raw, ctx.limits.maxFieldChars);
  if (typeof values === 'string') return values;
  const { subject, object } = values;
  if (object === undefined) return 'missing object (an "object" or "obj_label" field)';
  const language = values.language ?? ctx.language;
  const badLanguage = languageProblem(language);
  if (badLanguage) return badLanguage;
  const relation = values.relation ?? ctx.relation;

  let prompts: Prompt[];
  if (values.prompt !== undefined) {
    const problem =
      clozeProblem(values.prompt) ?? (values.template && templateProblem(values.template));
    if (problem) return problem;
    prompts = [makePrompt(language, values.prompt, object, values.template, subject)];
  } else {
    const templates =
      (values.template !== undefined ? [values.template] : undefined) ??
      knownTemplates(ctx, relation, language) ??
      (ctx.template !== undefined ? [ctx.template] : undefined);
    if (templates === undefined || templates.length === 0) {
      const known =
        relation !== undefined ? ` (no template is known for ${relation} in "${language}")` : '';
      return `no prompt and no template: give a prompt with [MASK] where the object goes, or a template with [X] and [Y]${known}`;
    }
    if (subject === undefined)
      return 'missing subject (a "subject" or "sub_label" field) to fill [X] of the template';
    try {
      prompts = templates.map((t) =>
        makePrompt(language, fillTemplate(t, subject), object, t, subject),
      );
    } catch (e) {
      if (e instanceof TemplateError) return e.message;
      throw e;
    }
  }

  const wrong = values.wrongObjects;
  if (wrong?.includes(object)) return `wrong object "${object}" is this fact's own object`;
  return {
    id:
      values.id ??
      (subject !== undefined
        ? [relation, subject, object].filter(Boolean).join(' | ')
        : `line ${line}`),
    relation,
    subject,
    prompts,
    wrongObjects: wrong && { [language]: wrong },
  };
}
