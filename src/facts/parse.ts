import { FactCollector } from './collect';
import type { ParseError, UploadLimits } from './limits';
import { DEFAULT_LIMITS, ErrorList, checkUploadSize } from './limits';
import { readProjectJson } from './project-json';
import type { RecordContext } from './records';
import { languageProblem } from './records';
import { readCsvFile, readJsonl } from './readers';
import { templateProblem } from './template';
import { NOT_TEXT, decodeText } from './text';
import type { Fact } from './types';

export { serializeFacts } from './project-json';

export type UploadFormat = 'project-json' | 'mlama-jsonl' | 'pararel-jsonl' | 'csv' | 'tsv';

export interface ParseOptions {
  /** Language of lines that name none (default 'en'). */
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

export interface ParseResult {
  facts: Fact[];
  /** Every problem, in line order within each stage; the good lines are kept regardless. */
  errors: ParseError[];
  format: UploadFormat;
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
    return first !== undefined && Object.hasOwn(first, 'pattern') ? 'pararel-jsonl' : 'mlama-jsonl';
  }
  if (ext === 'tsv' || (ext !== 'csv' && head.includes('\t') && !head.includes(','))) return 'tsv';
  return 'csv';
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
  const done = () => ({ facts: collector.facts(), errors: errors.list(), format });

  const tooBig = body.trim() === '' ? 'the file is empty' : checkUploadSize(body.length, limits);
  if (tooBig) {
    errors.add(0, tooBig);
    return done();
  }
  const ctx: RecordContext = { language: opts.language ?? 'en', limits, templates: opts.templates };
  const relation = opts.relation ?? relationFromFileName(fileName);
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

  if (format === 'project-json') readProjectJson(body, ctx, collector, errors);
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
  });
  const tooBig = checkUploadSize(file.size, limits);
  if (tooBig) return unread(tooBig);
  const text = decodeText(new Uint8Array(await file.arrayBuffer()));
  if (text === undefined) return unread(`the file cannot be read: ${NOT_TEXT}`);
  return parseUpload(text, fileName, opts);
}
