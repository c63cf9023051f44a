/**
 * Result folders of the `kne` command line (docs/cluster.md, "Output"): written by
 * `kne attribute` and `kne merge`, read back by them (resume, merge), by `kne analyze`, and by
 * the explorer (the Dataset tab's "results folder" source). This module is the format alone,
 * text in and text out, so Node and the browser share it; the files are the caller's.
 *
 * A folder holds
 *   kne.json       the manifest (`ResultsManifest`): model, settings, tau, languages, shard, and
 *                  whether the run is complete;
 *   facts.json     the shard's facts in the project's JSON format, in canonical order;
 *   records.jsonl  one record a line (`ResultRecord`): each prompt's attribution (`prompt`), each
 *                  fact x language's knowledge neurons (`kn`), degenerate pairs (`dkn`), and the
 *                  items the model could not run (`failure`);
 *   maps/          each prompt's full score map as safetensors, when asked for.
 * Every line of records.jsonl starts with a checksum of the rest of the record (`check`), and a
 * line counts only with its newline: a line cut short by a kill or a full disk, or damaged
 * later, is never read back as a record.
 */
import type { AttributionSettings } from '../attribution/settings';
import type { BlockCounts } from '../model';
import { cyrb53 } from '../util/hash';
import {
  type DknRecord,
  type KnRecord,
  type RunFailure,
  aggregateDataset,
  digest,
} from './dataset';
import type { DatasetRun } from './services';
import type { ScoredNeuron } from './selection';

export const MANIFEST_FILE = 'kne.json';
export const FACTS_FILE = 'facts.json';
export const RECORDS_FILE = 'records.jsonl';
export const MAPS_FOLDER = 'maps';

export const RESULTS_FORMAT = 'kne-results';
/** Bumped when a record's shape or meaning changes: older folders are refused, not misread. */
export const RESULTS_VERSION = 1;

/** Which model the results are of. */
export interface ResultsModel {
  /** The id results are keyed by: "owner/name" ("@revision" off main), "local:<folder>". */
  id: string;
  /** The Hub revision asked for (null for a folder). */
  revision: string | null;
  /** The Hub commit the revision resolved to (null for a folder). */
  commit: string | null;
  /**
   * The model's files as ModelInfo.key names them (config.json, tokenizer files, checkpoint
   * size): equal for the same model however it was opened (a folder, the Hub, the bundled copy).
   */
  digest: string;
  modelType: string;
  layers: number;
  /** FFN units per layer. */
  units: number;
}

export interface ResultsManifest {
  format: typeof RESULTS_FORMAT;
  version: number;
  /** The program and version that wrote the folder ("kne 0.1.0"). */
  tool: string;
  model: ResultsModel;
  settings: AttributionSettings;
  /** tau of every language run. */
  tau: Record<string, number>;
  /** Share of paraphrases a knowledge neuron must exceed. */
  p: number;
  /** Languages run, in order. */
  languages: string[];
  /** The degenerate-pair search's settings, or null when it did not run. */
  degenerate: { topK: number; singleDrop: number; jointDrop: number } | null;
  /** Whether each prompt's full map is in maps/. */
  maps: boolean;
  /** Top neurons kept per prompt record. */
  top: number;
  shard: { index: number; count: number };
  /** Facts in facts.json. */
  facts: number;
  /** False while the run is under way or was stopped; a merge takes complete shards only. */
  complete: boolean;
}

/** One prompt's attribution. */
export interface PromptRecord {
  type: 'prompt';
  fact: string;
  language: string;
  /** Among the fact's prompts in this language. */
  index: number;
  text: string;
  object: string;
  probability: number;
  counts: BlockCounts;
  warnings: string[];
  /** Neurons above tau x the map's maximum, highest score first: the prompt's KN candidates. */
  selected: ScoredNeuron[];
  /** The highest-scoring neurons, whatever tau. */
  top: ScoredNeuron[];
  /** The full map's file, relative to the folder (when maps are kept). */
  map?: string;
}

/** A fact x language's knowledge neurons; `key` is the dataset runner's store key. */
export type KnResult = { type: 'kn'; key: string } & KnRecord;
export type DknResult = { type: 'dkn'; key: string } & DknRecord;
export type FailureResult = { type: 'failure' } & RunFailure;
export type ResultRecord = PromptRecord | KnResult | DknResult | FailureResult;

/** A problem with a folder's contents; the message names the file, the line and the fix. */
export class ResultsError extends Error {
  override name = 'ResultsError';
}

// ---------------------------------------------------------------------------------------------
// Lines

const CHECK = /^\{"check":"([0-9a-f]{14})",/;

/** The checksum of a record's JSON text. */
const checksum = (text: string): string => cyrb53(text).toString(16).padStart(14, '0');

/** Typed arrays go to JSON as plain arrays (a DKN search's matrix). */
function plain(_key: string, value: unknown): unknown {
  return value instanceof Float64Array || value instanceof Float32Array ? Array.from(value) : value;
}

/** A checked line: the checksum first, then the object's members, then the newline. */
function checkedLine(value: object): string {
  const text = JSON.stringify(value, plain);
  return `{"check":"${checksum(text)}",${text.slice(1)}\n`;
}

/** One line of records.jsonl, newline included. */
export const recordLine = (record: ResultRecord): string => checkedLine(record);

/** Lines read back: the good ones, and the others with why. */
export interface ReadLines<T> {
  items: T[];
  /** Lines that are not whole (1-based, with why), in order; left out of `items`. */
  damaged: { line: number; problem: string }[];
  /**
   * Length in characters of the text up to the end of the last whole line: where appending may
   * resume once a cut last line is dropped.
   */
  intact: number;
}

/**
 * Reads checked lines. A line counts when it ends with a newline, parses, its checksum matches
 * and `accept` takes it; any other line is listed in `damaged`. A last line without its newline
 * was cut short while it was written.
 */
function readCheckedLines<T>(
  text: string,
  accept: (value: Record<string, unknown>) => string | T,
): ReadLines<T> {
  const items: T[] = [];
  const damaged: ReadLines<T>['damaged'] = [];
  let start = 0;
  let intact = 0;
  for (let n = 1; start < text.length; n++) {
    const end = text.indexOf('\n', start);
    if (end < 0) {
      damaged.push({ line: n, problem: 'it was cut short (no end of line)' });
      break;
    }
    const line = text.slice(start, end);
    start = end + 1;
    intact = start;
    if (line.trim() === '') continue;
    const value = parseChecked(line);
    const result = typeof value === 'string' ? value : accept(value);
    if (typeof result === 'string') damaged.push({ line: n, problem: result });
    else items.push(result);
  }
  return { items, damaged, intact };
}

function parseChecked(line: string): string | Record<string, unknown> {
  const check = CHECK.exec(line)?.[1];
  if (!check) return 'it does not start with {"check":"<14 hex digits>",';
  const text = `{${line.slice(check.length + 12)}`;
  if (checksum(text) !== check) return 'its checksum does not match (a damaged or edited line)';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'it is not valid JSON';
  }
  return isObject(value) ? value : 'it is not a JSON object';
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isNeuronList = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.every((n) => isObject(n) && Number.isInteger(n.layer) && Number.isInteger(n.unit));

/** Why a parsed record is not one of ours, or undefined when it is. */
function recordProblem(r: Record<string, unknown>): string | undefined {
  const need = (fields: Record<string, (v: unknown) => boolean>): string | undefined => {
    const bad = Object.entries(fields).find(([k, ok]) => !ok(r[k]));
    return bad && `its ${bad[0]} is missing or invalid`;
  };
  switch (r.type) {
    case 'prompt':
      return need({
        fact: isString,
        language: isString,
        index: Number.isInteger,
        text: isString,
        object: isString,
        probability: (v) => typeof v === 'number',
        counts: isObject,
        warnings: Array.isArray,
        selected: isNeuronList,
        top: isNeuronList,
      });
    case 'kn':
      return need({
        key: isString,
        factId: isString,
        language: isString,
        prompts: Array.isArray,
        object: isString,
        probabilities: Array.isArray,
        tau: isNumber,
        p: isNumber,
        neurons: isNeuronList,
        counts: isObject,
        warnings: Array.isArray,
      });
    case 'dkn': {
      const missing = need({
        key: isString,
        factId: isString,
        language: isString,
        search: isObject,
      });
      if (missing) return missing;
      const s = r.search as Record<string, unknown>;
      return Array.isArray(s.matrix) && isNeuronList(s.neurons) && Array.isArray(s.pairs)
        ? undefined
        : 'its search is invalid';
    }
    case 'failure':
      return need({ factId: isString, language: isString, message: isString });
  }
  return `its type ${JSON.stringify(r.type)} is not prompt, kn, dkn or failure`;
}

/** A DKN search's matrix back as a Float64Array (JSON wrote NaN as null). */
function reviveSearch<T extends { search: unknown }>(value: T): T {
  const search = value.search as { matrix: (number | null)[] };
  return {
    ...value,
    search: { ...search, matrix: Float64Array.from(search.matrix, (v) => (v === null ? NaN : v)) },
  };
}

/** Reads records.jsonl (see readCheckedLines). */
export function readRecordLines(text: string): ReadLines<ResultRecord> {
  return readCheckedLines(text, (value) => {
    const { check: _check, ...record } = value;
    const problem = recordProblem(record);
    if (problem) return problem;
    const r = record as unknown as ResultRecord;
    return r.type === 'dkn' ? reviveSearch(r) : r;
  });
}

/** A line of a key-value store file (kne analyze's fact-check store), with the same checksum. */
export const storeLine = (key: string, value: unknown): string =>
  checkedLine({ key, value: value as object });

/** Reads a store file's lines as [key, value] pairs (DKN searches revived). */
export function readStoreLines(text: string): ReadLines<[string, unknown]> {
  return readCheckedLines(text, (v): string | [string, unknown] => {
    if (!isString(v.key) || !('value' in v)) return 'it is not a stored key and value';
    const value =
      v.key.startsWith('dkn/') && isObject(v.value)
        ? reviveSearch(v.value as { search: unknown })
        : v.value;
    return [v.key, value];
  });
}

// ---------------------------------------------------------------------------------------------
// Order and identity

const TYPE_RANK: Record<ResultRecord['type'], number> = { prompt: 0, kn: 1, dkn: 2, failure: 3 };

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const factOf = (r: ResultRecord): string => (r.type === 'prompt' ? r.fact : r.factId);

/**
 * Canonical order: by fact id (code units, as shards list facts), then language in the run's
 * order, then prompts (by index), KN, DKN and failures. A merge of shards and a single run of
 * the same facts list their records in this order.
 */
export function compareRecords(languages: readonly string[]) {
  const rank = (l: string) => {
    const i = languages.indexOf(l);
    return i < 0 ? languages.length : i;
  };
  return (a: ResultRecord, b: ResultRecord): number =>
    compareText(factOf(a), factOf(b)) ||
    rank(a.language) - rank(b.language) ||
    compareText(a.language, b.language) ||
    TYPE_RANK[a.type] - TYPE_RANK[b.type] ||
    (a.type === 'prompt' && b.type === 'prompt' ? a.index - b.index : 0);
}

/** What a record is about: two records with the same identity hold the same result. */
export function recordIdentity(
  r: Pick<PromptRecord, 'type' | 'fact' | 'language' | 'index'> | ResultRecord,
): string {
  const fact = r.type === 'prompt' ? r.fact : r.factId;
  return JSON.stringify([r.type, fact, r.language, r.type === 'prompt' ? r.index : '']);
}

/** A record's fact id. */
export const recordFact = factOf;

/** The full map's file name of a prompt (under maps/): the same in a shard and in a merge. */
export function mapFileName(fact: string, language: string, index: number): string {
  return `${MAPS_FOLDER}/${digest([fact, language, index])}.safetensors`;
}

// ---------------------------------------------------------------------------------------------
// Manifests

/** The digest part of a ModelInfo.key ("<id>#<digest>", "~edited:..." after it when edited). */
export function keyDigest(key: string): string {
  return /#([0-9a-z]+)(?:~edited:.*)?$/.exec(key)?.[1] ?? key;
}

const SETTING_NAMES: Record<keyof AttributionSettings, string> = {
  method: 'method',
  steps: 'steps',
  score: 'score',
  tapMode: 'tap mode',
  multiToken: 'multi-token mode',
};

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * What makes two runs' results incomparable, each named with both values ("steps: 20 in a,
 * 10 in b"); empty when they can be merged or resumed. The shard and completeness are not
 * compared here.
 */
export function manifestDifferences(
  a: ResultsManifest,
  b: ResultsManifest,
  names: [string, string] = ['the first', 'the second'],
): string[] {
  const out: string[] = [];
  const differ = (what: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x) !== JSON.stringify(y))
      out.push(`${what}: ${show(x)} in ${names[0]}, ${show(y)} in ${names[1]}`);
  };
  differ('format version', a.version, b.version);
  if (a.model.digest !== b.model.digest)
    out.push(
      `model: ${a.model.id} (files ${a.model.digest}) in ${names[0]}, ${b.model.id} (files ` +
        `${b.model.digest}) in ${names[1]}`,
    );
  differ('model id', a.model.id, b.model.id);
  differ('model revision', a.model.revision, b.model.revision);
  differ('model commit', a.model.commit, b.model.commit);
  for (const key of Object.keys(SETTING_NAMES) as (keyof AttributionSettings)[])
    differ(SETTING_NAMES[key], a.settings[key], b.settings[key]);
  differ('languages', a.languages, b.languages);
  for (const l of a.languages) if (b.tau[l] !== undefined) differ(`tau (${l})`, a.tau[l], b.tau[l]);
  differ('paraphrase share p', a.p, b.p);
  differ('degenerate-pair search', a.degenerate, b.degenerate);
  differ('full maps', a.maps, b.maps);
  differ('top neurons per prompt', a.top, b.top);
  return out;
}

/** Reads kne.json; a ResultsError names what is wrong. */
export function parseManifest(text: string, where: string): ResultsManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ResultsError(`${where} is not valid JSON: the folder is damaged`);
  }
  if (!isObject(value) || value.format !== RESULTS_FORMAT)
    throw new ResultsError(`${where} is not a kne results manifest (no "format": "kne-results")`);
  if (value.version !== RESULTS_VERSION)
    throw new ResultsError(
      `${where} is of results format version ${show(value.version)}; this program reads ` +
        `version ${RESULTS_VERSION}: open it with the kne version that wrote it (${show(value.tool)})`,
    );
  const m = value as unknown as ResultsManifest;
  const valid =
    isObject(m.model) &&
    isString(m.model.id) &&
    isString(m.model.digest) &&
    Number.isInteger(m.model.layers) &&
    Number.isInteger(m.model.units) &&
    isObject(m.settings) &&
    isObject(m.tau) &&
    Array.isArray(m.languages) &&
    m.languages.every(isString) &&
    isObject(m.shard) &&
    Number.isInteger(m.shard.index) &&
    Number.isInteger(m.shard.count) &&
    typeof m.complete === 'boolean';
  if (!valid) throw new ResultsError(`${where} lacks fields of a kne results manifest`);
  return m;
}

export const manifestText = (m: ResultsManifest): string => `${JSON.stringify(m, null, 2)}\n`;

// ---------------------------------------------------------------------------------------------
// A folder's results as a dataset run

/** The records of a folder, as the Dataset tab's views take them. */
export function datasetRunOf(
  manifest: ResultsManifest,
  records: readonly ResultRecord[],
): DatasetRun {
  const kn = records.filter((r): r is KnResult => r.type === 'kn').map(withoutTag);
  const dkn = records.filter((r): r is DknResult => r.type === 'dkn').map(withoutTag);
  const failures = records
    .filter((r): r is FailureResult => r.type === 'failure')
    .map(({ factId, language, message }) => ({ factId, language, message }));
  const { layers, units } = manifest.model;
  return {
    records: kn,
    degenerate: dkn,
    failures,
    model: manifest.model.id,
    layers,
    units,
    languages: manifest.languages,
    aggregates: aggregateDataset(kn, dkn, layers, units, manifest.languages),
  };
}

function withoutTag<T extends { type: string; key: string }>(r: T): Omit<T, 'type' | 'key'> {
  const { type: _type, key: _key, ...rest } = r;
  return rest;
}
