/** Flag values as the commands take them, each checked with a message naming the flag. */
import { languageProblem } from '../facts/records';
import { UsageError } from './errors';
import type { Parsed } from './options';

/** A string flag, or undefined. */
export const text = (p: Parsed, flag: string): string | undefined =>
  typeof p.values[flag] === 'string' ? (p.values[flag] as string) : undefined;

/** A required string flag. */
export function required(p: Parsed, flag: string, command: string): string {
  const v = text(p, flag);
  if (v === undefined || v === '')
    throw new UsageError(`kne ${command} needs --${flag} (kne ${command} --help lists the flags)`);
  return v;
}

/** A whole number from `min` to `max`, or undefined when the flag is absent. */
export function wholeNumber(p: Parsed, flag: string, min: number, max: number): number | undefined {
  const v = text(p, flag);
  if (v === undefined) return undefined;
  const n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
  if (!(Number.isSafeInteger(n) && n >= min && n <= max))
    throw new UsageError(`--${flag} ${v}: give a whole number from ${min} to ${max}`);
  return n;
}

/** A comma-separated list ("en,zh"), or undefined; empty items are refused. */
export function list(p: Parsed, flag: string): string[] | undefined {
  const v = text(p, flag);
  if (v === undefined) return undefined;
  const items = v.split(',').map((s) => s.trim());
  if (items.some((s) => s === ''))
    throw new UsageError(`--${flag} ${JSON.stringify(v)}: give a list such as a,b without blanks`);
  return [...new Set(items)];
}

/** Language codes, checked as the fact parsers check them. */
export function languages(p: Parsed, flag: string): string[] | undefined {
  const items = list(p, flag);
  for (const l of items ?? []) {
    const problem = languageProblem(l);
    if (problem) throw new UsageError(`--${flag}: ${problem}`);
  }
  return items;
}

/** `--tau en=0.3,zh=0.2`: a share from 0 to 1 per language. */
export function tauMap(p: Parsed, flag: string): Record<string, number> {
  const items = list(p, flag) ?? [];
  const out: Record<string, number> = {};
  for (const item of items) {
    const [language, value, ...rest] = item.split('=');
    const t = Number(value);
    if (rest.length || !language || languageProblem(language) || !(t >= 0 && t <= 1))
      throw new UsageError(
        `--${flag} ${item}: write language=share with a share from 0 to 1, e.g. en=0.3,zh=0.2`,
      );
    out[language] = t;
  }
  return out;
}

/** --threads, or the CPUs Slurm gave the task, or undefined (all cores). */
export function threads(p: Parsed, env: Readonly<Record<string, string | undefined>>) {
  const given = wholeNumber(p, 'threads', 1, 1024);
  if (given !== undefined) return given;
  const slurm = Number(env.SLURM_CPUS_PER_TASK);
  return Number.isSafeInteger(slurm) && slurm > 0 ? slurm : undefined;
}
