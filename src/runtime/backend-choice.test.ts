import { describe, expect, it } from 'vitest';
import {
  decideBackend,
  describeAdapter,
  ortBuild,
  parseRuntimeRequest,
  wasmThreads,
} from './backend-choice';

describe('parseRuntimeRequest', () => {
  it('defaults to auto, no build asked for, logging errors only', () => {
    const defaults = { backend: 'auto', logLevel: 'error', warnings: [] };
    expect(parseRuntimeRequest('')).toEqual(defaults);
    expect(parseRuntimeRequest('?backend=')).toEqual(defaults);
    expect(parseRuntimeRequest('?other=1')).toEqual(defaults);
  });

  it('reads ?backend=, ?ort= and ?ortlog=, case-insensitively', () => {
    expect(parseRuntimeRequest('?backend=wasm')).toEqual({
      backend: 'wasm',
      logLevel: 'error',
      warnings: [],
    });
    expect(parseRuntimeRequest('?backend=WebGPU&ort=JSEP')).toMatchObject({
      backend: 'webgpu',
      engine: 'jsep',
      warnings: [],
    });
    expect(parseRuntimeRequest('backend=auto&ort=native')).toMatchObject({
      backend: 'auto',
      engine: 'native',
    });
    expect(parseRuntimeRequest('?ortlog=Verbose')).toMatchObject({
      logLevel: 'verbose',
      warnings: [],
    });
  });

  it('ignores unknown values with a warning', () => {
    const r = parseRuntimeRequest('?backend=webgl&ort=cuda&ortlog=loud');
    expect(r.backend).toBe('auto');
    expect(r.engine).toBeUndefined();
    expect(r.logLevel).toBe('error');
    expect(r.warnings).toEqual([
      'ignored ?backend=webgl (expected auto, webgpu, wasm)',
      'ignored ?ort=cuda (expected native, jsep)',
      'ignored ?ortlog=loud (expected verbose, info, warning, error, fatal)',
    ]);
  });
});

describe('ortBuild', () => {
  it('runs WASM on the build without WebGPU and WebGPU on the native engine, unless ?ort= names one', () => {
    expect(ortBuild('wasm')).toBe('wasm');
    expect(ortBuild('webgpu')).toBe('native');
    expect(ortBuild('wasm', 'jsep')).toBe('jsep');
    expect(ortBuild('wasm', 'native')).toBe('native');
    expect(ortBuild('webgpu', 'jsep')).toBe('jsep');
  });
});

describe('decideBackend', () => {
  const none = { api: false, adapter: false, fallbackAdapter: false };
  const noAdapter = { api: true, adapter: false, fallbackAdapter: false };
  const software = { api: true, adapter: true, fallbackAdapter: true };
  const hardware = { api: true, adapter: true, fallbackAdapter: false };

  it('always uses WASM when asked', () => {
    for (const probe of [none, noAdapter, software, hardware]) {
      expect(decideBackend('wasm', probe)).toEqual({ backend: 'wasm' });
    }
  });

  it('auto uses WebGPU only on a hardware adapter', () => {
    expect(decideBackend('auto', hardware)).toEqual({ backend: 'webgpu' });
    expect(decideBackend('auto', software)).toEqual({
      backend: 'wasm',
      fallbackReason: 'WebGPU: only a software adapter (slower than WASM)',
    });
    expect(decideBackend('auto', noAdapter)).toEqual({
      backend: 'wasm',
      fallbackReason: 'WebGPU: no adapter',
    });
    expect(decideBackend('auto', none)).toEqual({
      backend: 'wasm',
      fallbackReason: 'WebGPU: not offered by this browser',
    });
  });

  it('a forced webgpu takes any adapter and falls back with a reason when there is none', () => {
    expect(decideBackend('webgpu', hardware)).toEqual({ backend: 'webgpu' });
    expect(decideBackend('webgpu', software)).toEqual({ backend: 'webgpu' });
    expect(decideBackend('webgpu', noAdapter)).toEqual({
      backend: 'wasm',
      fallbackReason: 'WebGPU: no adapter',
    });
  });
});

describe('wasmThreads', () => {
  it('is 1 without cross-origin isolation', () => {
    expect(wasmThreads(false, 16)).toBe(1);
  });
  it('is min(4, cores) with it', () => {
    expect(wasmThreads(true, 2)).toBe(2);
    expect(wasmThreads(true, 4)).toBe(4);
    expect(wasmThreads(true, 32)).toBe(4);
    expect(wasmThreads(true, undefined)).toBe(1);
    expect(wasmThreads(true, 0)).toBe(1);
  });
  it('is what ?threads= asks for where the page is isolated', () => {
    expect(wasmThreads(true, 2, 1)).toBe(1);
    expect(wasmThreads(true, 2, 8)).toBe(8);
    expect(wasmThreads(false, 2, 8)).toBe(1);
    expect(parseRuntimeRequest('?threads=1').threads).toBe(1);
    expect(parseRuntimeRequest('?threads=').threads).toBeUndefined();
    for (const bad of ['0', '17', '1.5', 'two']) {
      const request = parseRuntimeRequest(`?threads=${bad}`);
      expect(request.threads).toBeUndefined();
      expect(request.warnings).toEqual([
        `ignored ?threads=${bad} (expected a whole number from 1 to 16)`,
      ]);
    }
  });
});

describe('describeAdapter', () => {
  it('names a software adapter', () => {
    expect(
      describeAdapter(
        { vendor: 'google', architecture: 'swiftshader', device: '', description: '' },
        true,
        false,
      ),
    ).toBe('google swiftshader (software fallback, no shader-f16)');
  });
  it('names a hardware adapter and drops repeated fields', () => {
    expect(
      describeAdapter(
        { vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA' },
        false,
        true,
      ),
    ).toBe('nvidia ampere (shader-f16)');
  });
  it('copes with an empty info', () => {
    expect(describeAdapter({}, false, false)).toBe('unknown adapter (no shader-f16)');
  });
});
