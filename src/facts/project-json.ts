import type { FactCollector } from './collect';
import { JsonSyntaxError, lineLocator, parseJsonWithOffsets } from './json';
import type { ErrorList } from './limits';
import type { Entry, RecordContext } from './records';
import { fieldsFromJson, languageProblem, recordToEntry } from './records';
import { quoted } from './text';
import type { Fact } from './types';

/** The version of the project's own JSON format that this code writes and reads. */
export const FACTS_FORMAT_VERSION = 1;

function promptJson(p: Fact['prompts'][number]) {
  return {
    language: p.language,
    text: p.text,
    object: p.object,
    template: p.template,
    subject: p.subject,
  };
}

/**
 * Writes facts in the project's JSON format, `{"version":1,"facts":[...]}`, one fact per line
 * so that parse errors point at a fact and diffs stay readable.
 */
export function serializeFacts(facts: Fact[]): string {
  const lines = facts.map((f) =>
    JSON.stringify({
      id: f.id,
      relation: f.relation,
      subject: f.subject,
      prompts: f.prompts.map(promptJson),
      wrongObjects: f.wrongObjects,
      allObjects: f.allObjects,
    }),
  );
  const head = `{"version":${FACTS_FORMAT_VERSION},"facts":[`;
  return lines.length === 0 ? `${head}]}\n` : `${head}\n${lines.join(',\n')}\n]}\n`;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A map from language codes to lists of strings, or undefined when `value` is not one. */
function stringLists(value: unknown): Record<string, string[]> | undefined {
  if (!isObject(value)) return undefined;
  const entries = Object.entries(value);
  const valid = entries.every(
    ([language, list]) =>
      languageProblem(language) === undefined &&
      Array.isArray(list) &&
      list.every((s) => typeof s === 'string'),
  );
  return valid ? Object.fromEntries(entries as [string, string[]][]) : undefined;
}

/** Reads the project's JSON format; problems inside a valid document are reported by line. */
export function readProjectJson(
  text: string,
  ctx: RecordContext,
  facts: FactCollector,
  errors: ErrorList,
): void {
  const lineOf = lineLocator(text);
  let doc;
  try {
    doc = parseJsonWithOffsets(text, ctx.limits.maxDepth);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    errors.add(lineOf(e.offset), `not valid JSON: ${e.message}`);
    return;
  }
  const { value, offsets } = doc;
  const at = (node: object) => lineOf(offsets.get(node) ?? 0);
  if (!isObject(value)) {
    errors.add(1, 'expected an object {"version": 1, "facts": [...]}');
    return;
  }
  if (!Object.hasOwn(value, 'version')) {
    errors.add(
      at(value),
      `no "version": a project JSON file is {"version": ${FACTS_FORMAT_VERSION}, "facts": [...]}`,
    );
    return;
  }
  if (value.version !== FACTS_FORMAT_VERSION) {
    errors.add(
      at(value),
      `unsupported version ${quoted(value.version, 40)}: this app reads version ${FACTS_FORMAT_VERSION}`,
    );
    return;
  }
  if (!Array.isArray(value.facts)) {
    errors.add(at(value), '"facts" must be a list');
    return;
  }
  for (const [i, item] of value.facts.entries()) {
    const line = isObject(item) ? at(item) : at(value.facts);
    const entries = factEntries(item, i, line, ctx, errors, at);
    for (const [entry, entryLine] of entries) if (!facts.add(entry, entryLine)) return;
  }
}

/** One entry per valid prompt of a fact; the fact's lists ride on the first. */
function factEntries(
  item: unknown,
  index: number,
  line: number,
  ctx: RecordContext,
  errors: ErrorList,
  at: (node: object) => number,
): [Entry, number][] {
  const where = `facts[${index}]`;
  if (!isObject(item)) {
    errors.add(line, `${where} is not an object`);
    return [];
  }
  const { id, relation, subject, prompts } = item;
  if (typeof id !== 'string' || id.trim() === '') {
    errors.add(line, `${where} has no "id" string`);
    return [];
  }
  if (relation !== undefined && typeof relation !== 'string') {
    errors.add(line, `${where}: "relation" must be a string`);
    return [];
  }
  if (subject !== undefined && typeof subject !== 'string') {
    errors.add(line, `${where}: "subject" must be a string`);
    return [];
  }
  if (!Array.isArray(prompts) || prompts.length === 0) {
    errors.add(line, `${where} has no "prompts" list`);
    return [];
  }
  const lists: Pick<Entry, 'wrongObjects' | 'allObjects'> = {};
  for (const key of ['wrongObjects', 'allObjects'] as const) {
    if (item[key] === undefined) continue;
    const parsed = stringLists(item[key]);
    if (parsed) lists[key] = parsed;
    else
      errors.add(line, `${where}: "${key}" must map languages to lists of strings; it was ignored`);
  }
  const out: [Entry, number][] = [];
  for (const [j, p] of prompts.entries()) {
    const promptLine = isObject(p) ? at(p) : line;
    const fields = isObject(p) ? fieldsFromJson(p) : `${where}.prompts[${j}] is not an object`;
    const entry =
      typeof fields === 'string'
        ? fields
        : recordToEntry({ ...fields, id, relation }, promptLine, ctx);
    if (typeof entry === 'string') {
      errors.add(promptLine, entry);
      continue;
    }
    entry.subject = subject ?? entry.subject;
    out.push([out.length === 0 ? { ...entry, ...lists } : entry, promptLine]);
  }
  return out;
}
