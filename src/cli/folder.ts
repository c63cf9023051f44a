/**
 * A results folder on disk (the format: src/analysis/results.ts): created or resumed by
 * `kne attribute`, read by `kne merge` and `kne analyze`. While a run is under way each finished
 * record is appended to records.jsonl with its checksum (a kill loses at most the line being
 * written, and that line is never read back); at the end the file is rewritten in canonical
 * order through a temporary file and a rename, and the manifest marks the folder complete.
 */
import {
  mkdir,
  open,
  readFile,
  readdir,
  rename,
  rm,
  stat,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import type { AttributionResult } from '../attribution/attribute';
import { noCounts } from '../model';
import type {
  DatasetPrompt,
  DknRecord,
  KnRecord,
  PromptOutcome,
  PromptResults,
  ResultStore,
  RunFailure,
} from '../analysis/dataset';
import {
  FACTS_FILE,
  MANIFEST_FILE,
  RECORDS_FILE,
  type PromptRecord,
  type ResultRecord,
  type ResultsManifest,
  ResultsError,
  compareRecords,
  manifestDifferences,
  manifestText,
  mapFileName,
  parseManifest,
  readRecordLines,
  recordIdentity,
  recordLine,
} from '../analysis/results';
import { type ScoredNeuron, byScore } from '../analysis/selection';
import { type Fact, parseUpload, serializeFacts } from '../facts';
import { writeSafetensors } from '../weights';
import { UsageError } from './errors';

/** A write that failed (a full disk, a read-only folder), named with the file and the fix. */
export class WriteError extends Error {
  override name = 'WriteError';
}

function writeFailure(path: string, e: unknown, kept: string): WriteError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the disk is full (or the quota is used up)'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'the folder cannot be written to'
        : (e as Error).message;
  return new WriteError(
    `Could not write ${path}: ${why}. ${kept} Make room (or fix the permissions) and run the ` +
      'same command again: it resumes from what was saved.',
  );
}

/** Writes a file through a temporary file, synced, then renamed over the old one. */
export async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.${process.pid}.partial`;
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw writeFailure(path, e, 'The previous version of the file is unchanged.');
  }
}

/** What a folder holds, read and checked. */
export interface FolderContents {
  dir: string;
  manifest: ResultsManifest;
  facts: Fact[];
  records: ResultRecord[];
  /** Damaged lines of records.jsonl (1-based), with why; left out of `records`. */
  damaged: { line: number; problem: string }[];
  /** Bytes of records.jsonl up to the end of its last whole line. */
  intactBytes: number;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** Reads a results folder; a ResultsError names what is missing or damaged. */
export async function readFolder(dir: string): Promise<FolderContents> {
  const manifestPath = join(dir, MANIFEST_FILE);
  let manifestText: string;
  try {
    manifestText = await readFile(manifestPath, 'utf8');
  } catch {
    throw new ResultsError(
      (await exists(dir))
        ? `${dir} has no ${MANIFEST_FILE}: it is not a kne results folder`
        : `${dir} does not exist`,
    );
  }
  const manifest = parseManifest(manifestText, manifestPath);
  const facts = await readFacts(join(dir, FACTS_FILE));
  let text = '';
  try {
    text = await readFile(join(dir, RECORDS_FILE), 'utf8');
  } catch {
    // No record yet: a run that stopped before its first prompt finished.
  }
  const { items: records, damaged, intact } = readRecordLines(text);
  return {
    dir,
    manifest,
    facts,
    records,
    damaged,
    intactBytes: Buffer.byteLength(text.slice(0, intact)),
  };
}

async function readFacts(path: string): Promise<Fact[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ResultsError(`${path} is missing: the results folder is incomplete`);
  }
  const parsed = parseUpload(text, FACTS_FILE, { limits: FOLDER_LIMITS });
  if (parsed.errors.length)
    throw new ResultsError(
      `${path} is damaged (line ${parsed.errors[0].line}: ${parsed.errors[0].message})`,
    );
  return parsed.facts;
}

/** A folder's facts file holds what a run took: the command line's own limits apply. */
export const FOLDER_LIMITS = {
  maxChars: 2 ** 30,
  maxFacts: 10_000_000,
  maxErrors: 1_000_000,
};

/** The records a complete folder must hold, checked: a ResultsError names the first gap. */
export function checkComplete(c: FolderContents): void {
  const { dir, manifest } = c;
  if (!manifest.complete)
    throw new ResultsError(
      `${dir} is not complete: its run was stopped or is still under way (shard ` +
        `${manifest.shard.index}/${manifest.shard.count}); run the same kne attribute command ` +
        'again to finish it',
    );
  if (c.damaged.length)
    throw new ResultsError(
      `${dir}/${RECORDS_FILE} has damaged line${c.damaged.length === 1 ? '' : 's'} ` +
        `${c.damaged.map((d) => `${d.line} (${d.problem})`).join(', ')}: run the same kne ` +
        'attribute command into this folder to redo them',
    );
}

/** The top `k` neurons of a map, highest score first. */
export function topNeurons(scores: Float32Array, units: number, k: number): ScoredNeuron[] {
  const order = Array.from({ length: scores.length }, (_, i) => i)
    .filter((i) => !Number.isNaN(scores[i]))
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .slice(0, k);
  return order
    .map((i) => ({ layer: Math.floor(i / units), unit: i % units, score: scores[i] }))
    .sort(byScore);
}

/**
 * The folder of a `kne attribute` run: created, or resumed when it holds a run with the same
 * settings. It is the dataset runner's result store (the KN and DKN records) and its per-prompt
 * store (the prompt records and their maps).
 */
export class RunFolder {
  private readonly byIdentity = new Map<string, ResultRecord>();
  private readonly byKey = new Map<string, ResultRecord>();
  private appender: FileHandle | undefined;
  /** Prompt records written by this process. */
  written = 0;

  private constructor(
    readonly dir: string,
    private manifest: ResultsManifest,
    private readonly facts: Fact[],
    records: ResultRecord[],
  ) {
    for (const r of records) this.remember(r);
  }

  /**
   * Opens `dir` for a run described by `manifest` over `facts`: an empty or new folder is
   * started; one holding a run with other settings, another shard, or anything but kne results
   * is refused (a UsageError naming the difference), so nothing there is lost.
   */
  static async open(
    dir: string,
    manifest: ResultsManifest,
    facts: Fact[],
    log: (line: string) => void,
  ): Promise<{ folder: RunFolder; kept: number }> {
    await mkdir(dir, { recursive: true }).catch((e: unknown) => {
      throw writeFailure(dir, e, 'Nothing was written.');
    });
    let records: ResultRecord[] = [];
    if (await exists(join(dir, MANIFEST_FILE))) {
      const held = await readFolder(dir);
      const differences = manifestDifferences(held.manifest, manifest, ['the folder', 'this run']);
      const { shard } = held.manifest;
      if (shard.index !== manifest.shard.index || shard.count !== manifest.shard.count)
        differences.push(
          `shard: ${shard.index}/${shard.count} in the folder, ` +
            `${manifest.shard.index}/${manifest.shard.count} in this run`,
        );
      if (differences.length)
        throw new UsageError(
          `--out ${dir} holds results of another run (${differences.join('; ')}). Give a new ` +
            '--out folder, or run with the settings the folder was made with to resume it.',
        );
      records = held.records;
      if (held.damaged.length)
        log(
          `${dir}/${RECORDS_FILE}: line${held.damaged.length === 1 ? '' : 's'} ` +
            `${held.damaged.map((d) => `${d.line} (${d.problem})`).join(', ')} left out; ` +
            'their prompts are computed again',
        );
      // Drop damaged or cut lines now, so new records are appended after whole lines only.
      await writeAtomically(join(dir, RECORDS_FILE), records.map(recordLine).join(''));
    } else {
      const entries = await readdir(dir);
      if (entries.length)
        throw new UsageError(
          `--out ${dir} is not empty and holds no kne results (${entries.slice(0, 3).join(', ')}` +
            `${entries.length > 3 ? ', ...' : ''}): give a new or empty folder`,
        );
    }
    const folder = new RunFolder(dir, manifest, facts, records);
    await writeAtomically(join(dir, FACTS_FILE), serializeFacts(facts));
    await folder.writeManifest({ ...manifest, complete: false });
    return { folder, kept: records.length };
  }

  private remember(r: ResultRecord): void {
    this.byIdentity.set(recordIdentity(r), r);
    if (r.type === 'kn' || r.type === 'dkn') this.byKey.set(r.key, r);
  }

  private async writeManifest(manifest: ResultsManifest): Promise<void> {
    this.manifest = manifest;
    await writeAtomically(join(this.dir, MANIFEST_FILE), manifestText(manifest));
  }

  private async append(record: ResultRecord): Promise<void> {
    const path = join(this.dir, RECORDS_FILE);
    try {
      this.appender ??= await open(path, 'a');
      await this.appender.write(recordLine(record));
    } catch (e) {
      throw writeFailure(
        path,
        e,
        `The ${this.byIdentity.size} records before it are saved (a line cut short is dropped ` +
          'when the folder is read again).',
      );
    }
    this.remember(record);
  }

  /** The dataset runner's result store: the KN and DKN records, by the runner's keys. */
  readonly store: ResultStore = {
    get: async (key) => {
      const r = this.byKey.get(key);
      if (!r || (r.type !== 'kn' && r.type !== 'dkn')) return undefined;
      const { type: _type, key: _key, ...record } = r;
      return record;
    },
    put: async (key, value) => {
      if (key.startsWith('kn/')) await this.append({ type: 'kn', key, ...(value as KnRecord) });
      else if (key.startsWith('dkn/'))
        await this.append({ type: 'dkn', key, ...(value as DknRecord) });
      else throw new Error(`a results folder keeps KN and DKN records only, not ${key}`);
    },
    keys: async (prefix) => [...this.byKey.keys()].filter((k) => k.startsWith(prefix)),
  };

  /** The runner's per-prompt store: each prompt's record (and map). */
  readonly prompts: PromptResults = {
    get: async (p) => {
      const r = this.byIdentity.get(
        recordIdentity({ type: 'prompt', fact: p.factId, language: p.language, index: p.index }),
      );
      if (!r || r.type !== 'prompt' || r.text !== p.text || r.object !== p.object) return undefined;
      return {
        probability: r.probability,
        // Records written before token-block counts read as zero tokens.
        counts: { ...noCounts(), ...r.counts },
        warnings: r.warnings,
        selected: r.selected,
      };
    },
    put: (p, result, outcome) => this.putPrompt(p, result, outcome),
  };

  private async putPrompt(
    p: DatasetPrompt,
    result: AttributionResult,
    outcome: PromptOutcome,
  ): Promise<void> {
    const { manifest } = this;
    const record: PromptRecord = {
      type: 'prompt',
      fact: p.factId,
      language: p.language,
      index: p.index,
      text: p.text,
      object: p.object,
      probability: outcome.probability,
      counts: outcome.counts,
      warnings: outcome.warnings,
      selected: outcome.selected,
      top: topNeurons(result.scores, result.units, manifest.top),
    };
    if (manifest.maps) {
      // The map first: a record never names a file that is not whole.
      record.map = mapFileName(p.factId, p.language, p.index);
      await mkdir(join(this.dir, 'maps'), { recursive: true });
      await writeAtomically(
        join(this.dir, record.map),
        writeSafetensors(
          {
            scores: { dims: [result.layers, result.units], data: result.scores },
            activations: { dims: [result.layers, result.units], data: result.activations },
          },
          {
            fact: p.factId,
            language: p.language,
            index: String(p.index),
            prompt: p.text,
            object: p.object,
            model: manifest.model.id,
            method: result.method,
            steps: String(result.steps),
          },
        ),
      );
    }
    await this.append(record);
    this.written++;
  }

  /**
   * Ends the run: the items that could not run are recorded, records of facts, languages or
   * prompts the run no longer has are dropped, the rest are written in canonical order, and the
   * manifest marks the folder complete. Returns the records kept.
   */
  async finish(failures: readonly RunFailure[]): Promise<ResultRecord[]> {
    await this.close();
    const prompts = new Map<string, { text: string; object: string }[]>();
    for (const f of this.facts)
      for (const language of this.manifest.languages) {
        const list = f.prompts.filter((p) => p.language === language);
        if (list.length) prompts.set(`${f.id}\u0000${language}`, list);
      }
    const current = (r: ResultRecord): boolean => {
      const fact = r.type === 'prompt' ? r.fact : r.factId;
      const list = prompts.get(`${fact}\u0000${r.language}`);
      if (!list) return false;
      switch (r.type) {
        case 'prompt':
          return list[r.index]?.text === r.text && list[r.index]?.object === r.object;
        case 'kn':
          return r.prompts.length === list.length && r.prompts.every((t, i) => t === list[i].text);
        case 'dkn':
          return r.prompt === list[0].text && r.object === list[0].object;
        case 'failure':
          return false; // replaced by this run's
      }
    };
    const kept = [...this.byIdentity.values()].filter(current);
    kept.push(...failures.map((f) => ({ type: 'failure' as const, ...f })));
    kept.sort(compareRecords(this.manifest.languages));
    await writeAtomically(join(this.dir, RECORDS_FILE), kept.map(recordLine).join(''));
    await this.writeManifest({ ...this.manifest, complete: true });
    return kept;
  }

  async close(): Promise<void> {
    const handle = this.appender;
    this.appender = undefined;
    await handle?.close();
  }
}
