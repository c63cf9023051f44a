/**
 * The cluster test's sharding job: splits the bundled fact set's prompts into shards exactly as
 * `kne` will (src/cli/shard.ts, shard taken from the flags or from Slurm's or Kubernetes's
 * environment) and writes each shard's prompts to a folder; `merge` joins shard folders into the
 * single run's. It runs no model: it tests the sharding and the cluster plumbing around it.
 *
 *   node --import tsx scripts/slurm/prompt-shards.ts write --facts data/factset --out DIR \
 *        [--languages en,zh] [--shard I/N] [--shards N]
 *   node --import tsx scripts/slurm/prompt-shards.ts merge DIR... --out DIR
 *
 * A folder holds records.jsonl (one prompt a line, canonical order) and shard.json (which shard,
 * how many records), written in that order, each through a rename, so a folder with a
 * shard.json is complete.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ShardError, resolveShard } from '../../src/cli/shard';
import { loadFactSet } from '../../src/facts';
import {
  type PromptRecord,
  type ShardFolder,
  type ShardManifest,
  mergeShards,
  shardRecords,
} from './prompt-records';

async function writeAtomically(path: string, text: string): Promise<void> {
  await writeFile(`${path}.partial`, text);
  await rename(`${path}.partial`, path);
}

async function writeFolder(
  out: string,
  manifest: ShardManifest,
  records: readonly PromptRecord[],
): Promise<void> {
  await mkdir(out, { recursive: true });
  await writeAtomically(
    join(out, 'records.jsonl'),
    records.map((r) => `${JSON.stringify(r)}\n`).join(''),
  );
  await writeAtomically(join(out, 'shard.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

async function readFolder(path: string): Promise<ShardFolder> {
  let manifestText: string;
  try {
    manifestText = await readFile(join(path, 'shard.json'), 'utf8');
  } catch {
    throw new Error(`${path} has no shard.json: it is not a finished shard folder`);
  }
  const manifest = JSON.parse(manifestText) as ShardManifest;
  const text = await readFile(join(path, 'records.jsonl'), 'utf8');
  const records = text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as PromptRecord);
  return { path, manifest, records };
}

async function write(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      facts: { type: 'string' },
      out: { type: 'string' },
      languages: { type: 'string' },
      shard: { type: 'string' },
      shards: { type: 'string' },
    },
  });
  if (values.facts === undefined || values.out === undefined) {
    throw new Error('write needs --facts <fact-set folder> and --out <folder>');
  }
  const shard = resolveShard(values, process.env);
  const folder = values.facts;
  const set = await loadFactSet((path) => readFile(join(folder, path), 'utf8'), {
    languages: values.languages?.split(','),
  });
  const { manifest, records } = shardRecords(set.facts, shard);
  await writeFolder(values.out, manifest, records);
  const overridden = shard.overrides.length > 0 ? ` (overrides ${shard.overrides.join(', ')})` : '';
  console.error(
    `shard ${shard.index}/${shard.count} (${shard.source})${overridden}: ` +
      `${manifest.facts} of ${set.facts.length} facts, ${manifest.records} prompts -> ${values.out}`,
  );
}

async function merge(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { out: { type: 'string' } },
    allowPositionals: true,
  });
  if (values.out === undefined || positionals.length === 0) {
    throw new Error('merge needs the shard folders and --out <folder>');
  }
  const folders = await Promise.all(positionals.map(readFolder));
  const { manifest, records } = mergeShards(folders);
  await writeFolder(values.out, manifest, records);
  console.error(
    `merged ${folders.length} shards: ${manifest.facts} facts, ${manifest.records} prompts -> ` +
      values.out,
  );
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'write') await write(rest);
  else if (command === 'merge') await merge(rest);
  else throw new Error(`unknown command ${JSON.stringify(command)}: use write or merge`);
} catch (e) {
  const prefix = e instanceof ShardError ? 'bad shard: ' : '';
  console.error(`prompt-shards: ${prefix}${(e as Error).message}`);
  process.exitCode = 1;
}
