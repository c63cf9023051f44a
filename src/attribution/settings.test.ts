import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  STEPS,
  TAP_MODES,
  checkTapMode,
  resolveSettings,
  settingsKey,
  tapModeProblem,
} from './settings';

describe('attribution settings', () => {
  it('fill in the defaults and give a method without a path one step', () => {
    expect(resolveSettings()).toEqual(DEFAULT_SETTINGS);
    expect(resolveSettings({ steps: 7 })).toEqual({ ...DEFAULT_SETTINGS, steps: 7 });
    expect(resolveSettings({ method: 'grad-x-act', steps: 7 }).steps).toBe(1);
    expect(resolveSettings({ method: 'ig', steps: undefined }).steps).toBe(DEFAULT_SETTINGS.steps);
  });

  it('reject values out of range with a RangeError naming the setting', () => {
    for (const steps of [0, STEPS.max + 1, 2.5, NaN])
      expect(() => resolveSettings({ steps })).toThrow(
        new RangeError(`steps must be a whole number from 1 to 200, got ${steps}`),
      );
    expect(resolveSettings({ steps: STEPS.max }).steps).toBe(STEPS.max);
    expect(() => resolveSettings({ method: 'eval' as never })).toThrow(/method must be one of/);
    expect(() => resolveSettings({ tapMode: 'middle' as never })).toThrow(/tapMode/);
  });

  it('offer each family its taps and refuse the others, naming the tap and the choices', () => {
    expect(TAP_MODES.llama).toEqual(['post-activation', 'gate']);
    expect(tapModeProblem('llama', 'qwen2', 'gate')).toBeUndefined();
    expect(tapModeProblem('gpt2', 'gpt2', 'pre-activation')).toBeUndefined();
    expect(() => checkTapMode('llama', 'qwen2', 'pre-activation')).toThrow(
      new RangeError(
        'The pre-activation tap is not defined for qwen2 models (its gated FFN has no single ' +
          'pre-activation); choose one of: post-activation, gate.',
      ),
    );
    expect(tapModeProblem('gpt2', 'gpt2', 'gate')).toMatch(/only a gated FFN .* has a gate/);
    expect(tapModeProblem('bert', 'bert', 'pre-activation')).toMatch(
      /choose one of: post-activation\.$/,
    );
    for (const family of ['bert', 'gpt2', 'llama'] as const)
      expect(TAP_MODES[family]).toContain(DEFAULT_SETTINGS.tapMode);
  });

  it('key equal runs alike and different runs apart', () => {
    expect(settingsKey({})).toBe(settingsKey(DEFAULT_SETTINGS));
    expect(settingsKey({ method: 'grad-x-act', steps: 7 })).toBe(
      settingsKey({ method: 'grad-x-act', steps: 1 }),
    );
    expect(settingsKey({ steps: 7 })).not.toBe(settingsKey({}));
    expect(settingsKey({ score: 'difference' })).not.toBe(settingsKey({}));
    expect(settingsKey({ tapMode: 'gate' })).not.toBe(settingsKey({}));
    // A finished result keys like the settings it ran with; its other fields do not count.
    const result = { ...DEFAULT_SETTINGS, prompt: 'x [MASK]', object: 'y', layers: 2 };
    expect(settingsKey(result)).toBe(settingsKey({}));
  });
});
