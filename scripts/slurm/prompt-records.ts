/**
 * The records of the cluster test's sharding job (prompt-shards.ts): one per prompt of the facts
 * a shard owns, and the merge of N shard folders' records back into the single run's.
 */
import type { Fact } from '../../src/facts';
import { type Shard, compareKeys, shardIndexOf, shardOf } from '../../src/cli/shard';

/** One prompt of a fact, keyed by the fact's id and the prompt's place among the fact's prompts. */
export interface PromptRecord {
  fact: string;
  n: number;
  relation: string | null;
  language: string;
  text: string;
  object: string;
}

/** What a shard folder holds beside its records: which shard it is and how much it holds. */
export interface ShardManifest {
  version: 1;
  shard: Shard;
  facts: number;
  records: number;
}

export interface ShardFolder {
  /** Where the folder is, for messages. */
  path: string;
  manifest: ShardManifest;
  records: PromptRecord[];
}

/** Canonical order: by fact id (code units), then by the prompt's place within its fact. */
export function compareRecords(a: PromptRecord, b: PromptRecord): number {
  return compareKeys(a.fact, b.fact) || a.n - b.n;
}

/** The records of the facts that `shard` owns, in canonical order, with the folder's manifest. */
export function shardRecords(
  facts: readonly Fact[],
  shard: Shard,
): { manifest: ShardManifest; records: PromptRecord[] } {
  const owned = shardOf(facts, shard, (f) => f.id);
  const records = owned.flatMap((fact) =>
    fact.prompts.map((p, n) => ({
      fact: fact.id,
      n,
      relation: fact.relation ?? null,
      language: p.language,
      text: p.text,
      object: p.object,
    })),
  );
  return {
    manifest: {
      version: 1,
      shard: { index: shard.index, count: shard.count },
      facts: owned.length,
      records: records.length,
    },
    records,
  };
}

/**
 * Merges the folders of shards 0 to N-1 of one job into the records of a single run. Refuses,
 * naming the folders, a missing or repeated shard, shards of different jobs' sizes, a folder whose
 * record count is not its manifest's (cut short), a record in a shard that does not own its
 * fact, and a record held twice.
 */
export function mergeShards(folders: readonly ShardFolder[]): {
  manifest: ShardManifest;
  records: PromptRecord[];
} {
  if (folders.length === 0) throw new Error('nothing to merge: give the shard folders');
  const count = folders[0].manifest.shard.count;
  const byIndex = new Map<number, string>();
  for (const { path, manifest, records } of folders) {
    const { index, count: n } = manifest.shard;
    if (n !== count) {
      throw new Error(
        `${path} is shard ${index}/${n} but ${folders[0].path} is of ${count} shards: merge the ` +
          'folders of one job only',
      );
    }
    const other = byIndex.get(index);
    if (other !== undefined) throw new Error(`${other} and ${path} are both shard ${index}/${n}`);
    byIndex.set(index, path);
    if (records.length !== manifest.records) {
      throw new Error(
        `${path} holds ${records.length} records but its manifest says ${manifest.records}: the ` +
          'shard did not finish; run it again',
      );
    }
    for (const r of records) {
      const owner = shardIndexOf(r.fact, count);
      if (owner !== index) {
        throw new Error(
          `${path} (shard ${index}/${count}) holds a record of fact ${r.fact}, which belongs to ` +
            `shard ${owner}/${count}`,
        );
      }
    }
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    throw new Error(
      `shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${count}`).join(', ')} ` +
        `missing: merge the folders of all ${count} shards`,
    );
  }
  const records = folders.flatMap((f) => f.records).sort(compareRecords);
  for (let i = 1; i < records.length; i++) {
    if (compareRecords(records[i - 1], records[i]) === 0) {
      throw new Error(`prompt ${records[i].n} of fact ${records[i].fact} is held twice`);
    }
  }
  const facts = folders.reduce((sum, f) => sum + f.manifest.facts, 0);
  return {
    manifest: { version: 1, shard: { index: 0, count: 1 }, facts, records: records.length },
    records,
  };
}
