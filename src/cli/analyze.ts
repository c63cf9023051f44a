/**
 * `kne analyze`: the Dataset tab's analyses of a complete results folder, computed by the same
 * functions as the explorer's and written with the same CSV exports: KN, LIKN and DKN per layer
 * and selection frequencies (overall and per relation), each fact's language overlap, the
 * degenerate pairs found, and with --fact-check the fact check, which reuses the folder's KN and
 * DKN and attributes only the test statements (so it needs the model).
 */
import { appendFile, mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatasetAggregates, LayerAggregate, ResultStore } from '../analysis/dataset';
import type { FactCheckReport } from '../analysis/factcheck';
import { languageOverlap } from '../analysis/overlap';
import {
  type DknResult,
  type KnResult,
  type ResultsManifest,
  datasetRunOf,
  readStoreLines,
  storeLine,
} from '../analysis/results';
import { factCheckRelations } from '../analysis/services';
import { relationLabel } from '../views/analysis/controls';
import { toCsv } from '../views/analysis/csv';
import { factCheckCsv, layerDistributionCsv, mostFrequent } from '../views/analysis';
import { UsageError } from './errors';
import { checkComplete, readFolder, writeAtomically } from './folder';
import type { CommandIo } from './io';
import { openModel } from './model';
import type { Parsed } from './options';
import { Progress } from './progress';
import { required, text, threads } from './values';

export const ANALYSIS_FILE = 'kne-analysis.json';
export const ANALYSIS_FORMAT = 'kne-analysis';
/** Where the fact check keeps what it computed, so a stopped check resumes. */
const CHECK_STORE = 'fact-check-store.jsonl';

/** kne-analysis.json: what was analysed, the aggregates, and the fact check if asked. */
export interface AnalysisFile {
  format: typeof ANALYSIS_FORMAT;
  version: 1;
  tool: string;
  /** The analysed folder's manifest: the explorer checks it against the folder it opens. */
  source: ResultsManifest;
  /** Per scope and language: [layer, unit, facts selecting it] of every neuron selected. */
  frequency: { relation: string | null; language: string; neurons: [number, number, number][] }[];
  layers: {
    relation: string | null;
    facts: number;
    kn: Record<string, number[]>;
    likn: number[];
    dkn: Record<string, number[]>;
  }[];
  factCheck: FactCheckReport | null;
}

function sparse(agg: LayerAggregate, units: number): AnalysisFile['frequency'] {
  return Object.entries(agg.frequency).map(([language, counts]) => {
    const neurons: [number, number, number][] = [];
    counts.forEach((c, i) => {
      if (c > 0) neurons.push([Math.floor(i / units), i % units, c]);
    });
    return { relation: agg.relation, language, neurons };
  });
}

const scopes = (a: DatasetAggregates) => [a.overall, ...a.relations];

/**
 * A store for the fact check: the folder's KN and DKN records first, then what the check adds,
 * appended to a file of the analysis folder (one checked line each) and read back on a rerun.
 */
async function checkStore(
  records: readonly (KnResult | DknResult)[],
  path: string,
  log: (line: string) => void,
): Promise<ResultStore> {
  const held = new Map<string, unknown>();
  for (const { type: _type, key, ...value } of records) held.set(key, value);
  const text = await readFile(path, 'utf8').catch(() => '');
  const { items: entries, damaged } = readStoreLines(text);
  if (damaged.length)
    log(`${path}: ${damaged.length} damaged line(s) left out; their work is done again`);
  for (const [key, value] of entries) held.set(key, value);
  if (damaged.length)
    await writeAtomically(path, entries.map(([k, v]) => storeLine(k, v)).join(''));
  return {
    get: async (key) => held.get(key),
    put: async (key, value) => {
      await appendFile(path, storeLine(key, value));
      held.set(key, value);
    },
    keys: async (prefix) => [...held.keys()].filter((k) => k.startsWith(prefix)),
  };
}

export async function analyzeCommand(p: Parsed, io: CommandIo): Promise<void> {
  const input = required(p, 'in', 'analyze');
  const out = required(p, 'out', 'analyze');
  const checkLanguage = text(p, 'fact-check');
  const modelSpec = text(p, 'model');
  if (checkLanguage !== undefined && modelSpec === undefined)
    throw new UsageError(
      '--fact-check needs --model: the check attributes each test statement with the model ' +
        'the results are of',
    );
  const folder = await readFolder(input);
  checkComplete(folder);
  const { manifest, facts, records } = folder;
  if (checkLanguage !== undefined && !manifest.languages.includes(checkLanguage))
    throw new UsageError(
      `--fact-check ${checkLanguage}: ${input} was run in ${manifest.languages.join(', ')} only`,
    );
  const entries = await readdir(out).catch(() => undefined);
  if (entries?.some((e) => e !== ANALYSIS_FILE && !e.endsWith('.csv') && !e.endsWith('.jsonl')))
    throw new UsageError(`--out ${out} holds other files than an analysis: give a new folder`);
  await mkdir(out, { recursive: true });

  const run = datasetRunOf(manifest, records);
  const { layers, units } = manifest.model;
  io.log(
    `${input}: ${facts.length} facts, ${run.records.length} fact x language items, ` +
      `${run.degenerate.length} degenerate-pair searches`,
  );

  let factCheck: FactCheckReport | null = null;
  if (checkLanguage !== undefined) {
    const opened = await openModel(modelSpec!, {
      offline: p.values.offline === true,
      token: text(p, 'token'),
      threads: threads(p, io.env),
      env: io.env,
      id: manifest.model.id,
      log: io.log,
      signal: io.signal,
    });
    try {
      if (opened.identity.digest !== manifest.model.digest)
        throw new UsageError(
          `--model ${modelSpec} is not the model of ${input} (its files give digest ` +
            `${opened.identity.digest}, the results were made with ${manifest.model.id}, digest ` +
            `${manifest.model.digest}): give the model the results were made with`,
        );
      const store = await checkStore(
        records.filter((r): r is KnResult | DknResult => r.type === 'kn' || r.type === 'dkn'),
        join(out, CHECK_STORE),
        io.log,
      );
      const progress = new Progress(io.stderr, 'items');
      factCheck = await factCheckRelations(
        opened.model,
        {
          facts,
          language: checkLanguage,
          attribution: manifest.settings,
          selection: { tau: manifest.tau, p: manifest.p },
          degenerate: manifest.degenerate ?? undefined,
        },
        {
          store,
          signal: io.signal,
          onProgress: (d) =>
            progress.update({
              done: d.done,
              total: d.total,
              reused: d.reused,
              blocks: d.blocks,
              current: `${d.phase === 'train' ? 'training' : 'test'} facts`,
            }),
        },
      );
      progress.end();
    } finally {
      await opened.release();
    }
  }

  const file: AnalysisFile = {
    format: ANALYSIS_FORMAT,
    version: 1,
    tool: `kne ${io.version}`,
    source: manifest,
    layers: scopes(run.aggregates).map((a) => ({
      relation: a.relation,
      facts: a.facts,
      kn: a.kn,
      likn: a.likn,
      dkn: a.dkn,
    })),
    frequency: scopes(run.aggregates).flatMap((a) => sparse(a, units)),
    factCheck,
  };
  const write = (name: string, data: string) => writeAtomically(join(out, name), data);
  await write('layers.csv', layerDistributionCsv(run.aggregates, manifest.languages));
  await write(
    'frequency.csv',
    toCsv(
      ['relation', 'language', 'layer', 'unit', 'facts_selecting', 'facts'],
      scopes(run.aggregates).flatMap((a) =>
        manifest.languages.flatMap((l) =>
          mostFrequent({ layers, units, counts: a.frequency[l], facts: a.facts }, Infinity).map(
            (n) => [relationLabel(a.relation), l, n.layer, n.unit, n.count, a.facts],
          ),
        ),
      ),
    ),
  );
  await write('overlap.jsonl', overlapLines(run.records));
  await write('degenerate.csv', degenerateRows(run.degenerate));
  if (factCheck) await write('fact-check.csv', factCheckCsv(factCheck));
  // The manifest of the analysis last: an analysis cut short has none.
  await write(ANALYSIS_FILE, `${JSON.stringify(file)}\n`);
  io.log(
    `analysis of ${input} -> ${out}: ${ANALYSIS_FILE}, layers.csv, frequency.csv, ` +
      `overlap.jsonl, degenerate.csv${factCheck ? ', fact-check.csv' : ''}`,
  );
  if (factCheck) {
    const f1 = factCheck.overall.withDkn.f1;
    io.log(
      `fact check (${checkLanguage}): F1 with DKN ${f1 === null ? 'n/a' : f1.toFixed(3)}, ` +
        `baseline ${factCheck.overall.baseline.f1?.toFixed(3) ?? 'n/a'}`,
    );
  }
}

/** Each fact's language overlap (sizes, LIKN, exclusive regions), one JSON line per fact. */
function overlapLines(records: ReturnType<typeof datasetRunOf>['records']): string {
  const byFact = new Map<
    string,
    { relation: string | null; kn: Record<string, (typeof records)[number]['neurons']> }
  >();
  for (const r of records) {
    const entry = byFact.get(r.factId) ?? { relation: r.relation, kn: {} };
    entry.kn[r.language] = r.neurons;
    byFact.set(r.factId, entry);
  }
  return [...byFact]
    .map(([fact, { relation, kn }]) => JSON.stringify({ fact, relation, ...languageOverlap(kn) }))
    .map((line) => `${line}\n`)
    .join('');
}

/** Every degenerate pair found: the two neurons, P(object) alone, each suppressed, and both. */
function degenerateRows(searches: ReturnType<typeof datasetRunOf>['degenerate']): string {
  const rows = searches.flatMap((d) => {
    const K = d.search.neurons.length;
    return d.search.pairs.map((pair) => {
      const a = d.search.neurons[pair.a];
      const b = d.search.neurons[pair.b];
      return [
        d.factId,
        relationLabel(d.relation),
        d.language,
        a.layer,
        a.unit,
        b.layer,
        b.unit,
        d.search.p0,
        d.search.matrix[pair.a * K + pair.a],
        d.search.matrix[pair.b * K + pair.b],
        pair.probability,
      ];
    });
  });
  return toCsv(
    [
      'fact',
      'relation',
      'language',
      'layer_a',
      'unit_a',
      'layer_b',
      'unit_b',
      'p0',
      'p_without_a',
      'p_without_b',
      'p_without_both',
    ],
    rows,
  );
}
