/**
 * How an attribution runs: the settings that change its scores, their defaults and their rules,
 * in one place for the form, the share link, the result caches, the estimates, the worker and the
 * analyses. tau is not here: it only selects neurons from a finished map. How the engine
 * schedules a run (`ScheduleOptions`) changes speed and memory only, so it is not here either.
 */
import { quoted } from '../facts/text';
import type { TapMode } from '../model';
import type { ArchFamily } from '../weights/types';
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
  tapMode: ['post-activation', 'pre-activation', 'gate'],
  multiToken: ['per-token', 'reference'],
};

/**
 * The taps each family offers (docs/method.md): after the activation everywhere; the authors'
 * pre-activation tap for the GPT-2 family; a gated FFN's gate activation for the LLaMA family.
 * A gated FFN has no single pre-activation, and BERT's was never the authors' tap.
 */
export const TAP_MODES: Readonly<Record<ArchFamily, readonly TapMode[]>> = {
  bert: ['post-activation'],
  gpt2: ['post-activation', 'pre-activation'],
  llama: ['post-activation', 'gate'],
};

/** Why a tap cannot run on a model of this family, or undefined when it can. */
export function tapModeProblem(
  family: ArchFamily,
  modelType: string,
  tapMode: TapMode,
): string | undefined {
  if (TAP_MODES[family].includes(tapMode)) return undefined;
  const offered = TAP_MODES[family].join(', ');
  const why =
    tapMode === 'pre-activation' && family === 'llama'
      ? 'its gated FFN has no single pre-activation'
      : tapMode === 'gate'
        ? 'only a gated FFN (the LLaMA family) has a gate'
        : "the authors' pre-activation tap is the GPT family's";
  return `The ${tapMode} tap is not defined for ${modelType} models (${why}); choose one of: ${offered}.`;
}

/** Throws a RangeError when the settings' tap cannot run on a model of this family. */
export function checkTapMode(family: ArchFamily, modelType: string, tapMode: TapMode): void {
  const problem = tapModeProblem(family, modelType, tapMode);
  if (problem) throw new RangeError(problem);
}

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
