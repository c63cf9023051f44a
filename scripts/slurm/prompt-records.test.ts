import { describe, expect, it } from 'vitest';
import type { Fact } from '../../src/facts';
import { shardIndexOf } from '../../src/cli/shard';
import { type ShardFolder, mergeShards, shardRecords } from './prompt-records';

/** Facts with two prompts each (en, zh), ids in no particular order. */
const facts: Fact[] = Array.from({ length: 40 }, (_, i) => ({
  id: `fact-${(i * 7919) % 101}`,
  relation: 'P36',
  prompts: [
    { language: 'en', text: `The capital of C${i} is [MASK] .`, object: `K${i}` },
    { language: 'zh', text: `C${i}的首都是[MASK]。`, object: `K${i}` },
  ],
}));

function folders(count: number): ShardFolder[] {
  return Array.from({ length: count }, (_, index) => ({
    path: `out/task-${index}`,
    ...shardRecords(facts, { index, count }),
  }));
}

describe('shardRecords and mergeShards', () => {
  it('merges the shards of any count into the single run, folders in any order', () => {
    const single = shardRecords(facts, { index: 0, count: 1 });
    expect(single.records).toHaveLength(80);
    for (const count of [1, 2, 3, 5]) {
      const merged = mergeShards(folders(count).reverse());
      expect(merged).toEqual(single);
    }
  });

  it('puts every record in the shard that owns its fact', () => {
    for (const f of folders(3)) {
      for (const r of f.records) expect(shardIndexOf(r.fact, 3)).toBe(f.manifest.shard.index);
    }
  });

  it('refuses a missing shard, a repeated one and mixed shard counts, naming them', () => {
    const three = folders(3);
    expect(() => mergeShards([three[0], three[2]])).toThrow('shard 1/3 missing');
    expect(() => mergeShards([...three, { ...three[1], path: 'again' }])).toThrow(
      'out/task-1 and again are both shard 1/3',
    );
    expect(() => mergeShards([three[0], folders(2)[1]])).toThrow('out/task-1 is shard 1/2');
    expect(() => mergeShards([])).toThrow('nothing to merge');
  });

  it('refuses a folder cut short and a record in the wrong shard', () => {
    const [a, b, c] = folders(3);
    expect(() => mergeShards([a, { ...b, records: b.records.slice(1) }, c])).toThrow(
      'did not finish',
    );
    const stray = { ...c.records[0] };
    const moved = { ...a, records: [...a.records, stray], manifest: { ...a.manifest } };
    moved.manifest.records++;
    expect(() => mergeShards([moved, b, c])).toThrow(
      `fact ${stray.fact}, which belongs to shard 2/3`,
    );
  });

  it('refuses a record held twice', () => {
    const [only] = folders(1);
    const doubled = {
      ...only,
      records: [...only.records, only.records[5]],
      manifest: { ...only.manifest, records: only.records.length + 1 },
    };
    expect(() => mergeShards([doubled])).toThrow(
      `prompt 1 of fact ${only.records[5].fact} is held twice`,
    );
  });
});
