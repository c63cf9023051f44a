/**
 * `kne merge`: the complete folders of shards 0 to N-1 of one run, joined into the folder a
 * single process would have written (the same facts, records and maps, in canonical order).
 * Shards of another model, revision, method or settings, missing or repeated shards, and records
 * in a shard that does not own their fact are refused with the folders named.
 */
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  FACTS_FILE,
  MANIFEST_FILE,
  RECORDS_FILE,
  type ResultRecord,
  type ResultsManifest,
  ResultsError,
  compareRecords,
  manifestDifferences,
  manifestText,
  recordFact,
  recordIdentity,
  recordLine,
} from '../analysis/results';
import { type Fact, serializeFacts } from '../facts';
import { UsageError } from './errors';
import { type FolderContents, checkComplete, readFolder, writeAtomically } from './folder';
import type { CommandIo } from './io';
import type { Parsed } from './options';
import { compareKeys, shardIndexOf } from './shard';
import { required } from './values';

/** The merge of shard folders' contents: facts and records in canonical order. */
export function mergeContents(shards: readonly FolderContents[]): {
  facts: Fact[];
  records: ResultRecord[];
} {
  if (shards.length === 0) throw new UsageError('kne merge needs the shard folders to merge');
  const first = shards[0];
  const count = first.manifest.shard.count;
  const byIndex = new Map<number, string>();
  for (const s of shards) {
    checkComplete(s);
    const differences = manifestDifferences(first.manifest, s.manifest, [first.dir, s.dir]);
    if (differences.length)
      throw new ResultsError(
        `${s.dir} was made by another run than ${first.dir}: ${differences.join('; ')}. Merge ` +
          'the shards of one run only.',
      );
    const { index, count: n } = s.manifest.shard;
    if (n !== count)
      throw new ResultsError(
        `${s.dir} is shard ${index}/${n} but ${first.dir} is of ${count} shards: merge the ` +
          'shards of one run only',
      );
    const other = byIndex.get(index);
    if (other !== undefined)
      throw new ResultsError(`${other} and ${s.dir} are both shard ${index}/${count}`);
    byIndex.set(index, s.dir);
    const owns = (fact: string, what: string) => {
      const owner = shardIndexOf(fact, count);
      if (owner !== index)
        throw new ResultsError(
          `${s.dir} (shard ${index}/${count}) holds ${what} of fact ${fact}, which belongs to ` +
            `shard ${owner}/${count}: the folder was not written by kne attribute for that shard`,
        );
    };
    for (const f of s.facts) owns(f.id, 'the fact');
    for (const r of s.records) owns(recordFact(r), `a ${r.type} record`);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length)
    throw new ResultsError(
      `shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${count}`).join(', ')} ` +
        `missing: merge the folders of all ${count} shards`,
    );
  const facts = shards.flatMap((s) => s.facts).sort((a, b) => compareKeys(a.id, b.id));
  const records = shards.flatMap((s) => s.records).sort(compareRecords(first.manifest.languages));
  for (let i = 1; i < records.length; i++)
    if (recordIdentity(records[i]) === recordIdentity(records[i - 1]))
      throw new ResultsError(`a record is held twice: ${recordIdentity(records[i])}`);
  return { facts, records };
}

export async function mergeCommand(p: Parsed, io: CommandIo): Promise<void> {
  const out = required(p, 'out', 'merge');
  if (p.positionals.length === 0)
    throw new UsageError('kne merge needs the shard folders: kne merge <dir>... --out <dir>');
  if (p.positionals.some((d) => resolve(d) === resolve(out)))
    throw new UsageError(`--out ${out} is one of the folders to merge: give a new folder`);
  const shards = await Promise.all(p.positionals.map(readFolder));
  const { facts, records } = mergeContents(shards);
  await prepareOut(out, shards[0].manifest);

  const maps = records.filter((r) => r.type === 'prompt' && r.map);
  if (maps.length) await mkdir(join(out, 'maps'), { recursive: true });
  for (const s of shards)
    for (const r of s.records)
      if (r.type === 'prompt' && r.map) await copyFile(join(s.dir, r.map), join(out, r.map));
  const manifest = {
    ...shards[0].manifest,
    shard: { index: 0, count: 1 },
    facts: facts.length,
    complete: true,
  };
  await writeAtomically(join(out, FACTS_FILE), serializeFacts(facts));
  await writeAtomically(join(out, RECORDS_FILE), records.map(recordLine).join(''));
  // The manifest last: a merge cut short is never taken for a complete folder.
  await writeAtomically(join(out, MANIFEST_FILE), manifestText(manifest));
  const count = (type: string) => records.filter((r) => r.type === type).length;
  io.log(
    `merged ${shards.length} shard${shards.length === 1 ? '' : 's'}: ${facts.length} facts, ` +
      `${count('prompt')} prompts, ${count('kn')} fact x language items -> ${out}`,
  );
}

/**
 * --out must be new, empty, or hold results of the same run (an earlier merge, or the same run in
 * one process): those are replaced by equal ones, the manifest marked incomplete first.
 */
async function prepareOut(out: string, like: ResultsManifest): Promise<void> {
  const entries = await readdir(out).catch(() => undefined);
  if (entries === undefined) {
    await mkdir(out, { recursive: true });
    return;
  }
  if (entries.length === 0) return;
  const held = await readFolder(out).then(
    (c) => c.manifest,
    () => undefined,
  );
  if (!held)
    throw new UsageError(`--out ${out} is not empty and holds no kne results: give a new folder`);
  const differences = manifestDifferences(held, like, [out, 'the shards']);
  if (held.shard.count !== 1 || differences.length)
    throw new UsageError(
      `--out ${out} holds other results (${
        held.shard.count !== 1
          ? `shard ${held.shard.index}/${held.shard.count}`
          : differences.join('; ')
      }): give a new folder`,
    );
  await writeAtomically(join(out, MANIFEST_FILE), manifestText({ ...held, complete: false }));
}
