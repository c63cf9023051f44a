import { FactCollector } from './collect';
import { MLAMA_LANGUAGES } from './languages';
import type { ParseError, UploadLimits } from './limits';
import { DEFAULT_LIMITS, ErrorList, checkUploadSize } from './limits';
import { readProjectJson } from './project-json';
import type { RecordContext } from './records';
import { FIELD_NAMES, languageProblem } from './records';
import { readCsvFile, readJsonl } from './readers';
import { templateProblem } from './template';
import { type TemplateSet, readTemplateLines } from './templates';
import { NOT_TEXT, decodeText } from './text';
import type { Fact } from './types';

export { serializeFacts } from './project-json';

export type UploadFormat =
  'project-json' | 'mlama-jsonl' | 'pararel-jsonl' | 'templates-jsonl' | 'csv' | 'tsv';

export interface ParseOptions {
  /**
   * Language of lines that name none. Left out: the file name's (zh/P36.jsonl, P36_zh.jsonl),
   * else the labels' script where it names one language (Han: zh, kana: ja, Hangul: ko), else en.
   */
  language?: string;
  /** Relation of lines that name none (default: from a file name such as P36.jsonl). */
  relation?: string;
  /** Template ([X], [Y]) for lines that give neither a prompt nor a template. */
  template?: string;
  /** Templates by relation, then language, for lines that name a relation but no template;
   *  each template (paraphrase) gives one prompt. The bundled fact set's relations fit here. */
  templates?: Record<string, Record<string, string[]>>;
  limits?: Partial<UploadLimits>;
}

/** Where an upload's default language or relation came from. */
export type DefaultSource = 'given' | 'file name' | 'script' | 'default';

export interface ParseResult {
  facts: Fact[];
  /** Every problem, in line order within each stage; the good lines are kept regardless. */
  errors: ParseError[];
  format: UploadFormat;
  /** The language of lines that name none, and where it came from. */
  language: string;
  languageFrom: DefaultSource;
  /** The relation of lines that name none, if any, and where it came from. */
  relation?: string;
  relationFrom?: DefaultSource;
  /** Templates read from a templates or pattern file (format 'templates-jsonl'). */
  templates?: TemplateSet;
}

function extension(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot < 0 ? '' : base.slice(dot + 1).toLowerCase();
}

function firstLine(text: string): string {
  return text.split(/\r\n|\n|\r/u).find((l) => l.trim() !== '') ?? '';
}

function parsesAsObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The format a file name's extension suggests, for files whose content says nothing. */
export function formatOfFileName(fileName: string): UploadFormat {
  const ext = extension(fileName);
  if (ext === 'jsonl' || ext === 'ndjson') return 'mlama-jsonl';
  if (ext === 'json') return 'project-json';
  return ext === 'tsv' ? 'tsv' : 'csv';
}

/**
 * Picks the format from the content first and the extension second: text starting with "{"
 * is JSONL when its first line is a whole JSON object (whatever the extension; many .json
 * files are really JSONL), else the project's JSON; anything else is CSV, or TSV for .tsv
 * files and for headers with tabs but no commas. JSONL lines with "pattern" are PARAREL.
 * Blank text has the format its extension names.
 */
export function detectFormat(text: string, fileName: string): UploadFormat {
  const ext = extension(fileName);
  const body = text.replace(/^\uFEFF/u, '');
  if (body.trim() === '') return formatOfFileName(fileName);
  const head = firstLine(body);
  const trimmed = head.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const first = parsesAsObject(head);
    const jsonl =
      ext === 'jsonl' ||
      ext === 'ndjson' ||
      (first !== undefined && !Object.hasOwn(first, 'facts'));
    if (!jsonl) return 'project-json';
    if (first !== undefined && isTemplateLine(first)) return 'templates-jsonl';
    return first !== undefined && Object.hasOwn(first, 'pattern') ? 'pararel-jsonl' : 'mlama-jsonl';
  }
  if (ext === 'tsv' || (ext !== 'csv' && head.includes('\t') && !head.includes(','))) return 'tsv';
  return 'csv';
}

/** A line of a templates or pattern file: a template, and no fact (no subject, no object). */
function isTemplateLine(obj: Record<string, unknown>): boolean {
  const has = (keys: readonly string[]) => keys.some((k) => Object.hasOwn(obj, k));
  return (
    has(FIELD_NAMES.template) &&
    !has(FIELD_NAMES.object) &&
    !has(FIELD_NAMES.subject) &&
    !has(FIELD_NAMES.prompt)
  );
}

/**
 * A folder that names a language: a two-letter code (en, zh, pt-BR, zh-Hans) or one of mLAMA's
 * longer ones. Other three-letter folders (tmp, out) name none.
 */
const isLanguageFolder = (name: string) =>
  /^[a-z]{2}(?:-[A-Za-z]{2,4})?$/u.test(name) || MLAMA_LANGUAGES.includes(name);

/**
 * The language a file's name or folder gives, as mLAMA names its files: a folder ("zh/P36.jsonl",
 * "mlama1.1/zh/P36.jsonl") or a part joined to the relation id ("P36_zh.jsonl", "P36.zh.jsonl",
 * "zh_P36.jsonl", "zh-P36.csv"). Undefined when it names none.
 */
export function languageFromFileName(fileName: string): string | undefined {
  const parts = fileName.split(/[\\/]/u);
  const base = parts.pop() ?? '';
  const stem = base.replace(/\.[^.]*$/u, '');
  const joined =
    /^P\d+[._-]([A-Za-z]{2,3}(?:-[A-Za-z]{2,4})?)$/u.exec(stem)?.[1] ??
    /^([A-Za-z]{2,3}(?:-[A-Za-z]{2,4})?)[._-]P\d+$/u.exec(stem)?.[1];
  if (joined) return joined;
  const folder = parts.at(-1);
  return folder !== undefined && isLanguageFolder(folder) ? folder : undefined;
}

const KANA = /[\u3040-\u30ff]/u;
const HANGUL = /[\uac00-\ud7af]/u;
const HAN = /\p{Script=Han}/u;

/**
 * The language the labels of a JSONL file are written in, where their script names one: most of
 * the first lines' subject and object labels in Hangul are Korean; in Han or kana, Japanese when
 * some have kana, else Chinese. Undefined for Latin and other shared scripts.
 */
export function languageFromScript(text: string): string | undefined {
  const labels: string[] = [];
  for (const line of text.split(/\r\n|\n|\r/u).slice(0, 200)) {
    const obj = parsesAsObject(line);
    if (!obj) continue;
    for (const key of [...FIELD_NAMES.subject, ...FIELD_NAMES.object])
      if (typeof obj[key] === 'string') labels.push(obj[key]);
  }
  if (labels.length === 0) return undefined;
  const share = (test: (label: string) => boolean) => labels.filter(test).length / labels.length;
  if (share((l) => HANGUL.test(l)) >= 0.6) return 'ko';
  if (share((l) => HAN.test(l) || KANA.test(l)) < 0.6) return undefined;
  return share((l) => KANA.test(l)) >= 0.1 ? 'ja' : 'zh';
}

/**
 * The language of an upload's lines that name none, and where it came from: the one given, else
 * the file name's, else the labels' script (when `text` is given), else English.
 */
function languageOfName(
  fileName: string,
  given: string | undefined,
  text?: string,
): { language: string; languageFrom: DefaultSource } {
  if (given !== undefined) return { language: given, languageFrom: 'given' };
  const fromName = languageFromFileName(fileName);
  if (fromName !== undefined) return { language: fromName, languageFrom: 'file name' };
  const fromScript = text !== undefined ? languageFromScript(text.slice(0, 200_000)) : undefined;
  if (fromScript !== undefined) return { language: fromScript, languageFrom: 'script' };
  return { language: 'en', languageFrom: 'default' };
}

/** A relation id at the start of a file name: "P36.jsonl", "P36_zh.csv". */
export function relationFromFileName(fileName: string): string | undefined {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  return /^(P\d+)(?=[._-]|$)/iu.exec(base)?.[1].toUpperCase();
}

/**
 * Parses an uploaded fact file. Never throws on bad input: every bad line is reported with
 * its 1-based line number and the reason, and the good lines are kept. Lines with the same
 * fact id (in any language) merge into one Fact.
 */
export function parseUpload(text: string, fileName: string, opts: ParseOptions = {}): ParseResult {
  const limits: UploadLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const body = text.replace(/^\uFEFF/u, '');
  const format = detectFormat(body, fileName);
  const errors = new ErrorList(limits.maxErrors);
  const collector = new FactCollector(limits, errors);
  const { language, languageFrom } = languageOfName(
    fileName,
    opts.language,
    format !== 'project-json' ? body : undefined,
  );
  const relation = opts.relation ?? relationFromFileName(fileName);
  const described = {
    format,
    language,
    languageFrom,
    ...(relation !== undefined
      ? {
          relation,
          relationFrom: (opts.relation !== undefined ? 'given' : 'file name') as DefaultSource,
        }
      : {}),
  };
  let templates: TemplateSet | undefined;
  const done = (): ParseResult => ({
    facts: collector.facts(),
    errors: errors.list(),
    ...described,
    ...(templates ? { templates } : {}),
  });

  const tooBig = body.trim() === '' ? 'the file is empty' : checkUploadSize(body.length, limits);
  if (tooBig) {
    errors.add(0, tooBig);
    return done();
  }
  const ctx: RecordContext = { language, limits, templates: opts.templates };
  if (relation !== undefined) ctx.relation = relation;
  const badLanguage = languageProblem(ctx.language);
  if (badLanguage) {
    errors.add(0, `the upload's default ${badLanguage}`);
    return done();
  }
  if (opts.template !== undefined) {
    const problem = templateProblem(opts.template);
    if (problem) errors.add(0, `the template given with the upload is not usable: ${problem}`);
    else ctx.template = opts.template;
  }

  if (format === 'templates-jsonl')
    templates = readTemplateLines(
      body,
      { language, relation, maxLineChars: limits.maxLineChars },
      errors,
    );
  else if (format === 'project-json') readProjectJson(body, ctx, collector, errors);
  else if (format === 'csv' || format === 'tsv')
    readCsvFile(body, format === 'csv' ? ',' : '\t', ctx, collector, errors);
  else readJsonl(body, ctx, collector, errors);
  return done();
}

/**
 * Reads an uploaded file: its size is checked before a byte is read, its encoding is taken
 * from its byte order mark (UTF-8 without one), then it is parsed like parseUpload. Never
 * throws on bad input; a file that cannot be read is one problem on line 0.
 */
export async function parseUploadFile(
  file: Blob,
  fileName: string,
  opts: ParseOptions = {},
): Promise<ParseResult> {
  const limits: UploadLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const unread = (message: string): ParseResult => ({
    facts: [],
    errors: [{ line: 0, message }],
    format: formatOfFileName(fileName),
    ...languageOfName(fileName, opts.language),
  });
  const tooBig = checkUploadSize(file.size, limits);
  if (tooBig) return unread(tooBig);
  const text = decodeText(new Uint8Array(await file.arrayBuffer()));
  if (text === undefined) return unread(`the file cannot be read: ${NOT_TEXT}`);
  return parseUpload(text, fileName, opts);
}
