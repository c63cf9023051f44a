/**
 * Shards of a dataset-scale job: which part of the work this process does, and which work items
 * that part holds.
 *
 * Where the shard comes from, first match wins:
 *  1. `--shard I/N` (I from 0 to N-1). It overrides the environment, so one shard of an array
 *     can be redone by hand inside any allocation; the overridden variables are reported in
 *     `ResolvedShard.overrides` for the log. `--shards M` beside it must say M = N.
 *  2. A Slurm job array: SLURM_ARRAY_TASK_ID, with SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN
 *     and, for arrays with a step (`--array=0-10:2`), SLURM_ARRAY_TASK_STEP.
 *  3. A Kubernetes Indexed Job: JOB_COMPLETION_INDEX, with the count from `--shards N` (the
 *     Job's completions; Kubernetes does not put it in the environment).
 *  4. Nothing: one shard holding everything.
 * Both 2 and 3 at once, `--shards` that disagrees with the array's size, or `--shards` with no
 * index anywhere are errors that name both sides.
 */
import { createHash } from 'node:crypto';

export interface Shard {
  /** 0 to count - 1. */
  index: number;
  count: number;
}

export interface ResolvedShard extends Shard {
  /** Where the shard came from, for the log: "--shard 1/3", "SLURM_ARRAY_TASK_ID=4 ...". */
  source: string;
  /** Shard sources in the environment that `--shard` overrode (empty otherwise). */
  overrides: string[];
}

/** The command line's shard options, as typed (undefined when absent). */
export interface ShardFlags {
  shard?: string;
  shards?: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** A shard that cannot be determined; the message names the input and the fix. */
export class ShardError extends Error {
  override name = 'ShardError';
}

const WHOLE = /^[0-9]+$/;

/** A non-negative integer typed in a flag or variable, or undefined when it is not one. */
function wholeNumber(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Parses `--shard I/N`. */
export function parseShardFlag(text: string): Shard {
  const parts = text.split('/');
  const index = parts.length === 2 ? wholeNumber(parts[0]) : undefined;
  const count = parts.length === 2 ? wholeNumber(parts[1]) : undefined;
  if (index === undefined || count === undefined) {
    throw new ShardError(
      `--shard ${JSON.stringify(text)} is not of the form I/N: give the shard's index and the ` +
        'number of shards, e.g. --shard 0/4 for the first of four',
    );
  }
  if (count === 0) throw new ShardError(`--shard ${text}: the number of shards must be at least 1`);
  if (index >= count) {
    throw new ShardError(
      `--shard ${text} is out of range: with ${count} shard${count === 1 ? '' : 's'} the index ` +
        `runs from 0 to ${count - 1} (shards are numbered from 0)`,
    );
  }
  return { index, count };
}

/** Parses `--shards N`. */
export function parseShardCount(text: string): number {
  const count = wholeNumber(text);
  if (count === undefined) {
    throw new ShardError(`--shards ${JSON.stringify(text)} is not a whole number of shards`);
  }
  if (count === 0) throw new ShardError('--shards 0: the number of shards must be at least 1');
  return count;
}

/** A set, non-empty environment variable (a blank one counts as unset, as in the shells). */
function present(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function envNumber(env: Env, name: string, required: string): number | undefined {
  const text = present(env, name);
  if (text === undefined) return undefined;
  const n = wholeNumber(text);
  if (n === undefined) {
    throw new ShardError(`${name}=${text} is not a whole number (${required})`);
  }
  return n;
}

/**
 * The shard of a Slurm job-array task. The task's index among its siblings is
 * (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP: 0-2, 1-3 and 10-14:2
 * all give 0, 1, 2. That holds for ranges only. For a list (`--array=0,2,3`) Slurm sets MIN,
 * MAX, COUNT and a STEP of 1 (for `0-4:2,7`, the first range's step), so a list shows as
 * MIN + (COUNT-1) * STEP != MAX and is refused rather than mapped to missing or doubled shards.
 */
function slurmShard(env: Env, idText: string): ResolvedShard {
  const why = 'set by Slurm in a job array';
  const id = envNumber(env, 'SLURM_ARRAY_TASK_ID', why)!;
  const min = envNumber(env, 'SLURM_ARRAY_TASK_MIN', why);
  const max = envNumber(env, 'SLURM_ARRAY_TASK_MAX', why);
  const step = envNumber(env, 'SLURM_ARRAY_TASK_STEP', why) ?? 1;
  let count = envNumber(env, 'SLURM_ARRAY_TASK_COUNT', why);
  if (min === undefined) {
    throw new ShardError(
      `SLURM_ARRAY_TASK_ID=${idText} is set but SLURM_ARRAY_TASK_MIN is not, so the task's ` +
        'place in its array is unknown: pass --shard I/N',
    );
  }
  if (step === 0) throw new ShardError('SLURM_ARRAY_TASK_STEP=0: an array step must be at least 1');
  if (count === undefined && max !== undefined) count = Math.floor((max - min) / step) + 1;
  if (count === undefined) {
    throw new ShardError(
      `SLURM_ARRAY_TASK_ID=${idText} is set but neither SLURM_ARRAY_TASK_COUNT nor ` +
        'SLURM_ARRAY_TASK_MAX is, so the number of shards is unknown: pass --shard I/N',
    );
  }
  if (count < 1) {
    throw new ShardError(
      `SLURM_ARRAY_TASK_ID=${idText} is set but the SLURM_ARRAY_TASK_* variables describe ` +
        `an array of ${count} tasks: pass --shard I/N`,
    );
  }
  const described =
    `SLURM_ARRAY_TASK_ID=${id} (array ${min}-${max ?? '?'}` +
    `${step === 1 ? '' : `:${step}`}, ${count} task${count === 1 ? '' : 's'})`;
  const offset = id - min;
  const regular = max === undefined || min + (count - 1) * step === max;
  if (!regular || offset < 0 || offset % step !== 0 || offset / step >= count) {
    throw new ShardError(
      `${described} is not the ${count === 1 ? 'only task' : 'task of an evenly spaced range'} ` +
        `(SLURM_ARRAY_TASK_MIN=${min}, SLURM_ARRAY_TASK_MAX=${max ?? 'unset'}, ` +
        `SLURM_ARRAY_TASK_STEP=${step}, SLURM_ARRAY_TASK_COUNT=${count}): submit the array ` +
        'as --array=A-B or --array=A-B:S, or pass --shard I/N',
    );
  }
  return { index: offset / step, count, source: described, overrides: [] };
}

/** Resolves this process's shard from the command line's flags and the environment. */
export function resolveShard(flags: ShardFlags, env: Env): ResolvedShard {
  const shards = flags.shards === undefined ? undefined : parseShardCount(flags.shards);
  const slurmId = present(env, 'SLURM_ARRAY_TASK_ID');
  const k8sIndex = present(env, 'JOB_COMPLETION_INDEX');
  const inEnv = [
    ...(slurmId === undefined ? [] : [`SLURM_ARRAY_TASK_ID=${slurmId}`]),
    ...(k8sIndex === undefined ? [] : [`JOB_COMPLETION_INDEX=${k8sIndex}`]),
  ];

  if (flags.shard !== undefined) {
    const shard = parseShardFlag(flags.shard);
    if (shards !== undefined && shards !== shard.count) {
      throw new ShardError(
        `--shard ${flags.shard} and --shards ${flags.shards} disagree on the number of shards: ` +
          'give only one of them',
      );
    }
    return { ...shard, source: `--shard ${shard.index}/${shard.count}`, overrides: inEnv };
  }

  if (slurmId !== undefined && k8sIndex !== undefined) {
    throw new ShardError(
      `both SLURM_ARRAY_TASK_ID=${slurmId} (a Slurm job array) and ` +
        `JOB_COMPLETION_INDEX=${k8sIndex} (a Kubernetes Indexed Job) are set, so the shard is ` +
        'ambiguous: unset the one that does not belong here, or pass --shard I/N',
    );
  }

  if (slurmId !== undefined) {
    const shard = slurmShard(env, slurmId);
    if (shards !== undefined && shards !== shard.count) {
      throw new ShardError(
        `--shards ${flags.shards} disagrees with SLURM_ARRAY_TASK_COUNT=${shard.count} ` +
          '(the size of this job array): drop --shards, or submit an array of that many tasks',
      );
    }
    return shard;
  }

  if (k8sIndex !== undefined) {
    const index = wholeNumber(k8sIndex);
    if (index === undefined) {
      throw new ShardError(
        `JOB_COMPLETION_INDEX=${k8sIndex} is not a whole number (set by Kubernetes in an ` +
          'Indexed Job)',
      );
    }
    if (shards === undefined) {
      throw new ShardError(
        `JOB_COMPLETION_INDEX=${k8sIndex} is set but the number of shards is not: pass ` +
          "--shards N with N equal to the Job's spec.completions",
      );
    }
    if (index >= shards) {
      throw new ShardError(
        `JOB_COMPLETION_INDEX=${index} is out of range for --shards ${shards} (index 0 to ` +
          `${shards - 1}): make --shards equal to the Job's spec.completions`,
      );
    }
    return {
      index,
      count: shards,
      source: `JOB_COMPLETION_INDEX=${index} with --shards ${shards}`,
      overrides: [],
    };
  }

  if (shards !== undefined) {
    throw new ShardError(
      `--shards ${flags.shards} needs this process's index: run it as a task of a Slurm job ` +
        'array (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX), or ' +
        `pass --shard I/${shards} instead`,
    );
  }
  return { index: 0, count: 1, source: 'no shard given: all items', overrides: [] };
}

/**
 * The shard a work item belongs to: the first 4 bytes of SHA-256 of its key (UTF-8), read as a
 * big-endian unsigned integer, modulo the number of shards.
 *
 * A hash of the item's own key, rather than its position in a sorted list, keeps each item in the
 * same shard when items are added or removed: a fact file that grows moves no finished fact to
 * another shard, so a rerun into the same output folders still finds its finished work. The
 * price is balance: shard sizes vary by about sqrt(items / shards), which is small beside the
 * sizes of datasets worth sharding. SHA-256 (not a faster non-cryptographic hash) because it is
 * the same everywhere, so any tool can reproduce the assignment.
 */
export function shardIndexOf(key: string, count: number): number {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new ShardError(`the number of shards must be a whole number of at least 1, not ${count}`);
  }
  return createHash('sha256').update(key, 'utf8').digest().readUInt32BE(0) % count;
}

/** Code-unit order: the same on every machine and locale, unlike localeCompare. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The items that belong to `shard`, in canonical order (ascending key). The result depends only
 * on the set of items, not on the order they are listed in; the shards 0 to N-1 of the same
 * items are disjoint and together hold every item. Keys must be unique, since a record's key is
 * what a merge sorts and checks by.
 */
export function shardOf<T>(items: readonly T[], shard: Shard, key: (item: T) => string): T[] {
  if (!Number.isSafeInteger(shard.index) || shard.index < 0 || shard.index >= shard.count) {
    throw new ShardError(
      `shard ${shard.index}/${shard.count} is out of range: the index runs from 0 to ` +
        `${shard.count - 1}`,
    );
  }
  const keyed = items.map((item) => ({ item, key: key(item) }));
  keyed.sort((a, b) => compareKeys(a.key, b.key));
  for (let i = 1; i < keyed.length; i++) {
    if (keyed[i].key === keyed[i - 1].key) {
      throw new ShardError(
        `two work items have the key ${JSON.stringify(keyed[i].key)}; each item needs its own ` +
          'key (for facts: give every fact a distinct id)',
      );
    }
  }
  return keyed.filter((k) => shardIndexOf(k.key, shard.count) === shard.index).map((k) => k.item);
}
