/**
 * How an attribution runs: the settings that change its scores, their defaults and their rules,
 * in one place for the form, the share link, the result caches, the estimates, the worker and the
 * analyses. tau is not here: it only selects neurons from a finished map. How the engine
 * schedules a run (`ScheduleOptions`) changes speed and memory only, so it is not here either.
 */
import { quoted } from '../facts/text';
import type { TapMode } from '../model';
import type { MultiTokenMode } from './prompt';

export type AttributionMethod = 'amig' | 'ig' | 'grad-x-act';

/**
 * 'activation' (AMIG and Dai et al.): a x mean gradient. 'difference': standard IG,
 * (a - baseline) x mean gradient.
 */
export type ScoreMode = 'activation' | 'difference';

export interface AttributionSettings {
  method: AttributionMethod;
  /** Path points m. A method without a path (grad-x-act) always takes one: the activation. */
  steps: number;
  score: ScoreMode;
  tapMode: TapMode;
  multiToken: MultiTokenMode;
}

export const DEFAULT_SETTINGS: Readonly<AttributionSettings> = {
  method: 'amig',
  steps: 20,
  score: 'activation',
  tapMode: 'post-activation',
  multiToken: 'per-token',
};

/** The path points one may ask for, in the form, in a share link and in the engine. */
export const STEPS = { min: 1, max: 200 } as const;

const ALLOWED: { [K in Exclude<keyof AttributionSettings, 'steps'>]: AttributionSettings[K][] } = {
  method: ['amig', 'ig', 'grad-x-act'],
  score: ['activation', 'difference'],
  tapMode: ['post-activation', 'pre-activation'],
  multiToken: ['per-token', 'reference'],
};

/** Whether a method integrates along a path, and so takes `steps` points (grad-x-act does not). */
export function takesSteps(method: AttributionMethod): boolean {
  return method !== 'grad-x-act';
}

/** The five settings of `partial` (other members ignored), defaults filled in, unchecked. */
function withDefaults(partial: Partial<AttributionSettings>): AttributionSettings {
  const method = partial.method ?? DEFAULT_SETTINGS.method;
  return {
    method,
    steps: takesSteps(method) ? (partial.steps ?? DEFAULT_SETTINGS.steps) : 1,
    score: partial.score ?? DEFAULT_SETTINGS.score,
    tapMode: partial.tapMode ?? DEFAULT_SETTINGS.tapMode,
    multiToken: partial.multiToken ?? DEFAULT_SETTINGS.multiToken,
  };
}

/**
 * The settings a run uses: defaults filled in, one step for a method without a path, and every
 * value checked (a RangeError names the one that is wrong and what it may be).
 */
export function resolveSettings(partial: Partial<AttributionSettings> = {}): AttributionSettings {
  for (const key of Object.keys(ALLOWED) as (keyof typeof ALLOWED)[]) {
    const value = partial[key];
    if (value !== undefined && !(ALLOWED[key] as string[]).includes(value))
      throw new RangeError(
        `${key} must be one of ${ALLOWED[key].join(', ')}, got ${quoted(value, 40)}`,
      );
  }
  const steps = partial.steps;
  if (steps !== undefined && !(Number.isInteger(steps) && steps >= STEPS.min && steps <= STEPS.max))
    throw new RangeError(
      `steps must be a whole number from ${STEPS.min} to ${STEPS.max}, got ${typeof steps === 'number' ? steps : quoted(steps, 40)}`,
    );
  return withDefaults(partial);
}

/**
 * What identifies the scores a run gives: equal for settings that run the same attribution
 * (defaults filled in, grad-x-act at one step), different otherwise. Anything holding the five
 * settings can be keyed, a finished AttributionResult included.
 */
export function settingsKey(settings: Partial<AttributionSettings> = {}): string {
  const s = withDefaults(settings);
  return JSON.stringify([s.method, s.steps, s.score, s.tapMode, s.multiToken]);
}
