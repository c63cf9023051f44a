import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rng } from '../../tests/util/rng';
import {
  type Env,
  type ShardFlags,
  ShardError,
  compareKeys,
  parseShardCount,
  parseShardFlag,
  resolveShard,
  shardIndexOf,
  shardOf,
} from './shard';

/** The error a call throws (fails the test when it throws none or another kind). */
function errorOf(f: () => unknown): ShardError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ShardError);
    return e as ShardError;
  }
  throw new Error('expected a ShardError, got a result');
}

/** The variables Slurm sets in a task of `--array=min-max:step` (checked against Slurm 22.05). */
function slurmTask(id: number, min: number, max: number, step = 1): Env {
  return {
    SLURM_ARRAY_JOB_ID: '41',
    SLURM_ARRAY_TASK_ID: String(id),
    SLURM_ARRAY_TASK_MIN: String(min),
    SLURM_ARRAY_TASK_MAX: String(max),
    SLURM_ARRAY_TASK_STEP: String(step),
    SLURM_ARRAY_TASK_COUNT: String(Math.floor((max - min) / step) + 1),
  };
}

describe('parseShardFlag', () => {
  it('reads I/N', () => {
    expect(parseShardFlag('0/1')).toEqual({ index: 0, count: 1 });
    expect(parseShardFlag('2/3')).toEqual({ index: 2, count: 3 });
    expect(parseShardFlag('999/1000')).toEqual({ index: 999, count: 1000 });
  });

  it.each(['', '3', '1/', '/3', 'a/b', '1.5/3', '-1/3', '1/3/4', ' 1/3', '+1/3', '1 / 3', '0x1/3'])(
    'names a malformed spec %j and the expected form',
    (text) => {
      const e = errorOf(() => parseShardFlag(text));
      expect(e.message).toContain(`--shard ${JSON.stringify(text)}`);
      expect(e.message).toContain('I/N');
    },
  );

  it('names an index out of range and the valid range', () => {
    for (const [text, last] of [
      ['3/3', 2],
      ['7/3', 2],
      ['1/1', 0],
    ] as const) {
      const e = errorOf(() => parseShardFlag(text));
      expect(e.message).toContain(`--shard ${text} is out of range`);
      expect(e.message).toContain(`from 0 to ${last}`);
    }
  });

  it('refuses zero shards', () => {
    expect(errorOf(() => parseShardFlag('0/0')).message).toContain('at least 1');
  });

  it('refuses numbers beyond exact integers', () => {
    expect(errorOf(() => parseShardFlag('1/99999999999999999999')).message).toContain('I/N');
  });
});

describe('parseShardCount', () => {
  it('reads N and refuses 0 and non-numbers', () => {
    expect(parseShardCount('4')).toBe(4);
    expect(errorOf(() => parseShardCount('0')).message).toContain('--shards 0');
    expect(errorOf(() => parseShardCount('four')).message).toContain('--shards "four"');
    expect(errorOf(() => parseShardCount('-2')).message).toContain('--shards "-2"');
  });
});

describe('resolveShard: Slurm job arrays', () => {
  it('numbers the tasks of an array from 0 whatever its first index', () => {
    for (const [min, max] of [
      [0, 2],
      [1, 3],
      [100, 102],
    ]) {
      const got = [min, min + 1, min + 2].map((id) => resolveShard({}, slurmTask(id, min, max)));
      expect(got.map((s) => [s.index, s.count])).toEqual([
        [0, 3],
        [1, 3],
        [2, 3],
      ]);
      expect(got[0].source).toContain(`SLURM_ARRAY_TASK_ID=${min}`);
    }
  });

  it('divides by the step of an array such as --array=10-16:3', () => {
    const ids = [10, 13, 16];
    const got = ids.map((id) => resolveShard({}, slurmTask(id, 10, 16, 3)));
    expect(got.map((s) => [s.index, s.count])).toEqual([
      [0, 3],
      [1, 3],
      [2, 3],
    ]);
    // A max that the step does not reach (--array=0-10:4 runs 0, 4, 8).
    const uneven = [0, 4, 8].map((id) => resolveShard({}, { ...slurmTask(id, 0, 8, 4) }));
    expect(uneven.map((s) => s.index)).toEqual([0, 1, 2]);
  });

  it('takes a one-task array as one shard', () => {
    expect(resolveShard({}, slurmTask(5, 5, 5))).toMatchObject({ index: 0, count: 1 });
  });

  it('computes the count from MAX and STEP when COUNT is missing', () => {
    const env = { ...slurmTask(4, 0, 6, 2), SLURM_ARRAY_TASK_COUNT: undefined };
    expect(resolveShard({}, env)).toMatchObject({ index: 2, count: 4 });
  });

  it('refuses every task of an array given as a list (--array=0,2,3 or 0-4:2,7)', () => {
    // What Slurm 22.05 sets in the tasks of such arrays: a list gets STEP=1, a list of ranges the
    // step of its first. Task 2 of 0,2,3 would otherwise pass for shard 2/3 and task 3 fail.
    const arrays = [
      { ids: [0, 2, 3], min: 0, max: 3, step: 1, count: 3 },
      { ids: [1, 3, 5], min: 1, max: 5, step: 1, count: 3 },
      { ids: [0, 2, 4, 7], min: 0, max: 7, step: 2, count: 4 },
    ];
    for (const { ids, min, max, step, count } of arrays) {
      for (const id of ids) {
        const env: Env = {
          SLURM_ARRAY_TASK_ID: String(id),
          SLURM_ARRAY_TASK_MIN: String(min),
          SLURM_ARRAY_TASK_MAX: String(max),
          SLURM_ARRAY_TASK_STEP: String(step),
          SLURM_ARRAY_TASK_COUNT: String(count),
        };
        const e = errorOf(() => resolveShard({}, env));
        expect(e.message).toContain(`SLURM_ARRAY_TASK_ID=${id}`);
        expect(e.message).toContain('--array=A-B');
        expect(e.message).toContain('--shard I/N');
      }
    }
  });

  it('refuses a task id off the step or outside the array', () => {
    expect(errorOf(() => resolveShard({}, slurmTask(3, 0, 4, 2))).message).toContain(
      'SLURM_ARRAY_TASK_ID=3',
    );
    expect(
      errorOf(() => resolveShard({}, { ...slurmTask(0, 1, 3), SLURM_ARRAY_TASK_ID: '0' })).message,
    ).toContain('SLURM_ARRAY_TASK_ID=0');
    expect(
      errorOf(() => resolveShard({}, { ...slurmTask(1, 1, 3), SLURM_ARRAY_TASK_ID: '9' })).message,
    ).toContain('SLURM_ARRAY_TASK_ID=9');
  });

  it('names a missing or malformed variable', () => {
    const base = slurmTask(1, 0, 2);
    expect(
      errorOf(() => resolveShard({}, { ...base, SLURM_ARRAY_TASK_MIN: undefined })).message,
    ).toContain('SLURM_ARRAY_TASK_MIN');
    const noSize = { ...base, SLURM_ARRAY_TASK_COUNT: undefined, SLURM_ARRAY_TASK_MAX: undefined };
    const e = errorOf(() => resolveShard({}, noSize));
    expect(e.message).toContain('SLURM_ARRAY_TASK_COUNT');
    expect(e.message).toContain('SLURM_ARRAY_TASK_MAX');
    for (const name of [
      'SLURM_ARRAY_TASK_ID',
      'SLURM_ARRAY_TASK_MIN',
      'SLURM_ARRAY_TASK_MAX',
      'SLURM_ARRAY_TASK_STEP',
      'SLURM_ARRAY_TASK_COUNT',
    ]) {
      expect(errorOf(() => resolveShard({}, { ...base, [name]: '1x' })).message).toContain(
        `${name}=1x is not a whole number`,
      );
    }
    expect(
      errorOf(() => resolveShard({}, { ...base, SLURM_ARRAY_TASK_STEP: '0' })).message,
    ).toContain('SLURM_ARRAY_TASK_STEP=0');
    expect(
      errorOf(() => resolveShard({}, { ...base, SLURM_ARRAY_TASK_COUNT: '0' })).message,
    ).toContain('0 tasks');
  });

  it('accepts --shards equal to the array size and refuses another', () => {
    const env = slurmTask(2, 0, 2);
    expect(resolveShard({ shards: '3' }, env)).toMatchObject({ index: 2, count: 3 });
    const e = errorOf(() => resolveShard({ shards: '4' }, env));
    expect(e.message).toContain('--shards 4');
    expect(e.message).toContain('SLURM_ARRAY_TASK_COUNT=3');
  });

  it('treats blank variables as unset, as a plain (non-array) Slurm job has none', () => {
    expect(resolveShard({}, { SLURM_JOB_ID: '7', SLURM_ARRAY_TASK_ID: '' })).toMatchObject({
      index: 0,
      count: 1,
    });
  });
});

describe('resolveShard: Kubernetes Indexed Jobs', () => {
  it('takes the index from JOB_COMPLETION_INDEX and the count from --shards', () => {
    expect(resolveShard({ shards: '4' }, { JOB_COMPLETION_INDEX: '3' })).toMatchObject({
      index: 3,
      count: 4,
      source: 'JOB_COMPLETION_INDEX=3 with --shards 4',
    });
  });

  it('asks for --shards when it is missing', () => {
    const e = errorOf(() => resolveShard({}, { JOB_COMPLETION_INDEX: '0' }));
    expect(e.message).toContain('JOB_COMPLETION_INDEX=0');
    expect(e.message).toContain('--shards N');
    expect(e.message).toContain('spec.completions');
  });

  it('names an index out of range or malformed', () => {
    const e = errorOf(() => resolveShard({ shards: '3' }, { JOB_COMPLETION_INDEX: '3' }));
    expect(e.message).toContain('JOB_COMPLETION_INDEX=3 is out of range for --shards 3');
    expect(
      errorOf(() => resolveShard({ shards: '3' }, { JOB_COMPLETION_INDEX: 'one' })).message,
    ).toContain('JOB_COMPLETION_INDEX=one is not a whole number');
  });
});

describe('resolveShard: precedence over every combination of sources', () => {
  // Each source in a valid and an invalid form, every combination resolved and compared with
  // the rules in shard.ts's header, written here once more as a table of outcomes.
  const shardFlags = [undefined, '1/3', '3/3', '1-3'] as const;
  const shardsFlags = [undefined, '3', '4', '0'] as const;
  const slurms = {
    none: {},
    range: slurmTask(2, 0, 2),
    stepped: slurmTask(14, 10, 14, 2),
    list: {
      SLURM_ARRAY_TASK_ID: '4',
      SLURM_ARRAY_TASK_MIN: '1',
      SLURM_ARRAY_TASK_MAX: '5',
      SLURM_ARRAY_TASK_STEP: '1',
      SLURM_ARRAY_TASK_COUNT: '3',
    },
  } as const;
  const k8ss = [undefined, '2', '3', 'x'] as const;

  type Outcome = { shard: [number, number]; overrides?: string[] } | { error: string[] };

  function expected(
    shard: (typeof shardFlags)[number],
    shards: (typeof shardsFlags)[number],
    slurm: keyof typeof slurms,
    k8s: (typeof k8ss)[number],
  ): Outcome {
    if (shards === '0') return { error: ['--shards 0'] };
    if (shard === '1-3') return { error: ['--shard "1-3"', 'I/N'] };
    if (shard === '3/3') return { error: ['--shard 3/3 is out of range'] };
    if (shard === '1/3') {
      if (shards === '4') return { error: ['--shard 1/3', '--shards 4'] };
      const overrides = [
        ...(slurm === 'none' ? [] : [`SLURM_ARRAY_TASK_ID=${slurms[slurm].SLURM_ARRAY_TASK_ID}`]),
        ...(k8s === undefined ? [] : [`JOB_COMPLETION_INDEX=${k8s}`]),
      ];
      return { shard: [1, 3], overrides };
    }
    if (slurm !== 'none' && k8s !== undefined) {
      return { error: ['SLURM_ARRAY_TASK_ID=', `JOB_COMPLETION_INDEX=${k8s}`] };
    }
    if (slurm === 'list') return { error: ['SLURM_ARRAY_TASK_ID=4', '--array=A-B'] };
    if (slurm !== 'none') {
      if (shards === '4') return { error: ['--shards 4', 'SLURM_ARRAY_TASK_COUNT=3'] };
      return { shard: [2, 3] };
    }
    if (k8s === 'x') return { error: ['JOB_COMPLETION_INDEX=x'] };
    if (k8s !== undefined) {
      if (shards === undefined) return { error: [`JOB_COMPLETION_INDEX=${k8s}`, '--shards N'] };
      const count = Number(shards);
      if (Number(k8s) >= count) {
        return { error: [`JOB_COMPLETION_INDEX=${k8s} is out of range for --shards ${shards}`] };
      }
      return { shard: [Number(k8s), count] };
    }
    if (shards !== undefined) return { error: [`--shards ${shards}`, `--shard I/${shards}`] };
    return { shard: [0, 1] };
  }

  const combos = shardFlags.flatMap((shard) =>
    shardsFlags.flatMap((shards) =>
      (Object.keys(slurms) as (keyof typeof slurms)[]).flatMap((slurm) =>
        k8ss.map((k8s) => ({ shard, shards, slurm, k8s })),
      ),
    ),
  );

  it(`resolves all ${combos.length} combinations as the rules say`, () => {
    let errors = 0;
    for (const { shard, shards, slurm, k8s } of combos) {
      const flags: ShardFlags = { shard, shards };
      const env: Env = { ...slurms[slurm], JOB_COMPLETION_INDEX: k8s, HOME: '/root' };
      const want = expected(shard, shards, slurm, k8s);
      const label = JSON.stringify({ shard, shards, slurm, k8s });
      if ('error' in want) {
        errors++;
        const e = errorOf(() => resolveShard(flags, env));
        for (const part of want.error) expect(e.message, label).toContain(part);
      } else {
        const got = resolveShard(flags, env);
        expect([got.index, got.count], label).toEqual(want.shard);
        if (want.overrides) expect(got.overrides, label).toEqual(want.overrides);
      }
    }
    // Both outcomes are exercised, so neither branch of the table is vacuous.
    expect(errors).toBeGreaterThan(0);
    expect(errors).toBeLessThan(combos.length);
  });
});

/** Random keys: ASCII, accented and CJK characters, some sharing prefixes. */
function randomKeys(rand: () => number, n: number): string[] {
  const alphabet = ['a', 'b', 'Z', '0', '-', ' ', 'é', '北', '京', '😀'];
  const keys = new Set<string>();
  while (keys.size < n) {
    const length = 1 + Math.floor(rand() * 12);
    let key = '';
    for (let i = 0; i < length; i++) key += alphabet[Math.floor(rand() * alphabet.length)];
    keys.add(key);
  }
  return [...keys];
}

function shuffled<T>(rand: () => number, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('shardOf', () => {
  const byKey = (item: { key: string }) => item.key;

  it('splits random item sets into disjoint, complete, canonically ordered shards', () => {
    const rand = rng(12);
    for (let trial = 0; trial < 200; trial++) {
      const n = Math.floor(rand() * 60);
      const count = 1 + Math.floor(rand() * 9);
      const items = randomKeys(rand, n).map((key, i) => ({ key, listed: i }));
      const shards = Array.from({ length: count }, (_, index) =>
        shardOf(items, { index, count }, byKey),
      );
      const seen = shards.flat().map(byKey);
      expect(new Set(seen).size, 'disjoint').toBe(seen.length);
      expect([...seen].sort(compareKeys), 'complete').toEqual(items.map(byKey).sort(compareKeys));
      for (const shard of shards) {
        const keys = shard.map(byKey);
        expect(keys, 'canonical order').toEqual([...keys].sort(compareKeys));
      }
    }
  });

  it('gives the same shards whatever order the items are listed in', () => {
    const rand = rng(7);
    for (let trial = 0; trial < 100; trial++) {
      const items = randomKeys(rand, 1 + Math.floor(rand() * 50)).map((key) => ({ key }));
      const count = 1 + Math.floor(rand() * 6);
      const reordered = shuffled(rand, items);
      for (let index = 0; index < count; index++) {
        expect(shardOf(reordered, { index, count }, byKey)).toEqual(
          shardOf(items, { index, count }, byKey),
        );
      }
    }
  });

  it('keeps every item in its shard when more items are added', () => {
    const rand = rng(3);
    const before = randomKeys(rand, 200);
    const added = randomKeys(rand, 400).filter((k) => !before.includes(k));
    const count = 5;
    const owners = (keys: string[]) => {
      const owner = new Map<string, number>();
      for (let index = 0; index < count; index++) {
        for (const item of shardOf(
          keys.map((key) => ({ key })),
          { index, count },
          byKey,
        )) {
          owner.set(item.key, index);
        }
      }
      return owner;
    };
    const was = owners(before);
    const now = owners(shuffled(rand, [...before, ...added]));
    for (const key of before) expect(now.get(key), key).toBe(was.get(key));
  });

  it('assigns by the first 4 bytes of SHA-256 of the UTF-8 key, big-endian, mod N', async () => {
    // An independent SHA-256 (WebCrypto) checks the documented rule that other tools rely on.
    for (const key of ['cb1d1ce6-2647-52f8-862f-1d4cc7dbbf53', '北京', '', 'a'.repeat(300)]) {
      const digest = new Uint8Array(
        await webcrypto.subtle.digest('SHA-256', new TextEncoder().encode(key)),
      );
      const word = new DataView(digest.buffer).getUint32(0, false);
      for (const count of [1, 2, 3, 7, 1000]) expect(shardIndexOf(key, count)).toBe(word % count);
    }
  });

  it('balances large sets to within a few standard deviations', () => {
    const keys = randomKeys(rng(5), 6000);
    const count = 3;
    const sizes = Array.from({ length: count }, () => 0);
    for (const key of keys) sizes[shardIndexOf(key, count)]++;
    const mean = keys.length / count;
    const sd = Math.sqrt(keys.length * (1 / count) * (1 - 1 / count));
    for (const size of sizes) expect(Math.abs(size - mean)).toBeLessThan(5 * sd);
  });

  it('refuses duplicate keys and shards out of range, naming them', () => {
    const items = [{ key: 'P36/France' }, { key: 'P36/Spain' }, { key: 'P36/France' }];
    expect(errorOf(() => shardOf(items, { index: 0, count: 2 }, byKey)).message).toContain(
      '"P36/France"',
    );
    const e = errorOf(() => shardOf([{ key: 'a' }], { index: 2, count: 2 }, byKey));
    expect(e.message).toContain('shard 2/2 is out of range');
    expect(errorOf(() => shardIndexOf('a', 0)).message).toContain('at least 1');
  });
});
