/**
 * The facts of a command: a fact file in any format the explorer's upload reads (the same
 * parser: mLAMA or PARAREL JSONL, CSV/TSV, the project's JSON), a fact-set folder in mLAMA's
 * layout, or the bundled fact set by name (`factset`); then narrowed to some relations, the
 * first N facts of each, and some languages, as the Dataset tab chooses a data set.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Fact, decodeText, loadFactSet, parseUpload } from '../facts';
import { FOLDER_LIMITS } from './folder';
import { UsageError } from './errors';

/** The bundled fact set's name on the command line. */
export const BUNDLED_FACTSET = 'factset';

/** data/factset of this package, wherever it is installed. */
export const BUNDLED_FACTSET_DIR = fileURLToPath(new URL('../../data/factset', import.meta.url));

export interface FactsChoice {
  /** A file, a fact-set folder, or "factset". */
  facts: string;
  relations?: string[];
  perRelation?: number;
  languages?: string[];
  /** Fact sets: one prompt per template paraphrase rather than the main template only. */
  paraphrases?: boolean;
}

export interface ChosenFacts {
  facts: Fact[];
  /** Where they came from, for the log. */
  label: string;
}

const isDirectory = (path: string) =>
  stat(path).then(
    (s) => s.isDirectory(),
    () => undefined,
  );

/** Reads and narrows the facts; every bad line of a file is passed to `log` with its number. */
export async function chooseFacts(
  choice: FactsChoice,
  log: (line: string) => void,
): Promise<ChosenFacts> {
  let facts: Fact[];
  let label: string;
  const dir = await isDirectory(choice.facts);
  if (dir === undefined && choice.facts === BUNDLED_FACTSET) {
    facts = await readFactSet(BUNDLED_FACTSET_DIR, choice);
    label = 'the bundled fact set';
  } else if (dir) {
    facts = await readFactSet(choice.facts, choice);
    label = `the fact set ${choice.facts}`;
  } else if (dir === false) {
    facts = await readFactFile(choice.facts, log);
    label = choice.facts;
  } else {
    throw new UsageError(
      `--facts ${choice.facts}: no such file or folder (give a fact file, a fact-set folder, or ` +
        `"${BUNDLED_FACTSET}" for the bundled fact set)`,
    );
  }
  return { facts: narrow(facts, choice, label), label };
}

async function readFactSet(dir: string, choice: FactsChoice): Promise<Fact[]> {
  try {
    const set = await loadFactSet((path) => readFile(join(dir, path), 'utf8'), {
      languages: choice.languages,
      relations: choice.relations,
      paraphrases: choice.paraphrases,
    });
    return set.facts;
  } catch (e) {
    throw new UsageError(`--facts ${dir}: ${(e as Error).message}`);
  }
}

async function readFactFile(path: string, log: (line: string) => void): Promise<Fact[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new UsageError(`--facts ${path} cannot be read: ${(e as Error).message}`);
  }
  const text = decodeText(bytes);
  if (text === undefined)
    throw new UsageError(
      `--facts ${path} is not text in UTF-8 or UTF-16: save it as UTF-8 (JSONL, CSV, TSV or JSON)`,
    );
  const parsed = parseUpload(text, resolve(path), { limits: FOLDER_LIMITS });
  for (const e of parsed.errors) log(`${path}${e.line ? `:${e.line}` : ''}: ${e.message}`);
  if (parsed.facts.length === 0)
    throw new UsageError(
      `--facts ${path}: no usable fact${parsed.errors.length ? ` (${parsed.errors.length} problem(s) above)` : ' (the file has none)'}`,
    );
  if (parsed.errors.length)
    log(
      `${path}: ${parsed.facts.length} fact(s) read as ${parsed.format}; the ` +
        `${parsed.errors.length} line(s) above were left out`,
    );
  return parsed.facts;
}

/** Keeps the chosen relations (first N facts of each) and the chosen languages' prompts. */
function narrow(facts: Fact[], choice: FactsChoice, label: string): Fact[] {
  let out = facts;
  if (choice.relations) {
    const known = new Set(facts.map((f) => f.relation ?? ''));
    const unknown = choice.relations.filter((r) => !known.has(r));
    if (unknown.length)
      throw new UsageError(
        `--relations: ${label} has no fact of relation ${unknown.join(', ')} (it has ` +
          `${[...known].filter(Boolean).slice(0, 20).join(', ') || 'no relation ids'})`,
      );
    const wanted = new Set(choice.relations);
    out = out.filter((f) => wanted.has(f.relation ?? ''));
  }
  if (choice.perRelation !== undefined) {
    const taken = new Map<string, number>();
    out = out.filter((f) => {
      const n = taken.get(f.relation ?? '') ?? 0;
      taken.set(f.relation ?? '', n + 1);
      return n < choice.perRelation!;
    });
  }
  if (choice.languages) {
    const wanted = new Set(choice.languages);
    const have = new Set(out.flatMap((f) => f.prompts.map((p) => p.language)));
    const missing = choice.languages.filter((l) => !have.has(l));
    if (missing.length)
      throw new UsageError(
        `--languages: no fact of ${label} has a prompt in ${missing.join(', ')} (they have ` +
          `${[...have].join(', ') || 'none'})`,
      );
    out = out
      .map((f) => ({ ...f, prompts: f.prompts.filter((p) => wanted.has(p.language)) }))
      .filter((f) => f.prompts.length > 0);
  }
  return out;
}
