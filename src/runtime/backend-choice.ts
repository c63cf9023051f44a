/**
 * Pure decisions behind the browser runtime: which backend a URL asks for, which one is used
 * given what the browser offers, how many WASM threads, how an adapter is described. Kept free
 * of browser and onnxruntime imports so that unit tests run them in Node.
 */

/** What the page may ask for with `?backend=`. */
export type BackendRequest = 'auto' | 'webgpu' | 'wasm';

/**
 * Which WebGPU engine runs the model, chosen with `?ort=`: `native` is `onnxruntime-web/webgpu`
 * (the native WebGPU execution provider, the default), `jsep` is `onnxruntime-web` (the
 * JavaScript-kernel WebGPU engine). Both builds include the WASM CPU backend. See
 * docs/runtime.md.
 */
export type OrtEngine = 'native' | 'jsep';

/**
 * The onnxruntime-web build loaded: one of the engines above, or `wasm`,
 * `onnxruntime-web/wasm`, the build without WebGPU.
 */
export type OrtBuild = OrtEngine | 'wasm';

/**
 * The build for the backend chosen: the one `?ort=` names when it names one (to compare the
 * builds), else on WASM the build without WebGPU, whose session starts 2 to 3 times sooner
 * (its module has no WebGPU and no asyncify code; docs/runtime.md), else the native engine.
 */
export function ortBuild(backend: 'webgpu' | 'wasm', engine?: OrtEngine): OrtBuild {
  return engine ?? (backend === 'wasm' ? 'wasm' : 'native');
}

/** onnxruntime's log level, `?ortlog=` (it logs to console.error at every level). */
export type OrtLogLevel = 'verbose' | 'info' | 'warning' | 'error' | 'fatal';

/** The most WASM threads `?threads=` may ask for. */
export const MAX_THREADS = 16;

export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'webgpu', 'wasm'];
export const ORT_ENGINES: readonly OrtEngine[] = ['native', 'jsep'];
export const ORT_LOG_LEVELS: readonly OrtLogLevel[] = [
  'verbose',
  'info',
  'warning',
  'error',
  'fatal',
];

export interface RuntimeRequest {
  backend: BackendRequest;
  /** `?ort=`, when given; else the build follows the backend (ortBuild). */
  engine?: OrtEngine;
  logLevel: OrtLogLevel;
  /** `?threads=`: WASM threads asked for (1 to 16), else the default (wasmThreads). */
  threads?: number;
  /** Parameters that were present but not understood, as messages for the status bar. */
  warnings: string[];
}

/**
 * Reads `?backend=auto|webgpu|wasm`, `?ort=native|jsep`, `?ortlog=verbose|...|fatal`
 * (case-insensitive; defaults auto, the build that suits the backend, error) and `?threads=1..16` (WASM threads: on a
 * machine whose cores other programs keep busy, fewer threads than cores can be faster).
 */
export function parseRuntimeRequest(search: string): RuntimeRequest {
  const params = new URLSearchParams(search);
  const warnings: string[] = [];
  function pick<T extends string>(name: string, allowed: readonly T[], fallback: T): T;
  function pick<T extends string>(name: string, allowed: readonly T[]): T | undefined;
  function pick<T extends string>(name: string, allowed: readonly T[], fallback?: T) {
    const raw = params.get(name);
    if (raw === null || raw === '') return fallback;
    const value = raw.trim().toLowerCase();
    if ((allowed as readonly string[]).includes(value)) return value as T;
    warnings.push(`ignored ?${name}=${raw} (expected ${allowed.join(', ')})`);
    return fallback;
  }
  const backend = pick('backend', BACKEND_REQUESTS, 'auto');
  const engine = pick('ort', ORT_ENGINES);
  const request: RuntimeRequest = {
    backend,
    ...(engine ? { engine } : {}),
    logLevel: pick('ortlog', ORT_LOG_LEVELS, 'error'),
    warnings,
  };
  const threads = params.get('threads');
  if (threads !== null && threads !== '') {
    const n = Number(threads.trim());
    if (Number.isInteger(n) && n >= 1 && n <= MAX_THREADS) request.threads = n;
    else
      warnings.push(
        `ignored ?threads=${threads} (expected a whole number from 1 to ${MAX_THREADS})`,
      );
  }
  return request;
}

/** What the browser offered when asked for a WebGPU adapter. */
export interface AdapterProbe {
  /** `navigator.gpu` exists. */
  api: boolean;
  /** requestAdapter() returned an adapter. */
  adapter: boolean;
  /** The adapter is a software fallback (e.g. SwiftShader). */
  fallbackAdapter: boolean;
}

export interface BackendDecision {
  backend: 'webgpu' | 'wasm';
  /** Why WebGPU is not used although it was requested or considered (auto). */
  fallbackReason?: string;
}

/**
 * `webgpu` uses any adapter, software ones included (tests rely on that); `auto` uses WebGPU
 * only on a real (hardware) adapter, because a software adapter is far slower than WASM;
 * `wasm` always uses WASM. Without an adapter everything runs on WASM, with the reason kept.
 */
export function decideBackend(request: BackendRequest, probe: AdapterProbe): BackendDecision {
  if (request === 'wasm') return { backend: 'wasm' };
  if (!probe.api) return { backend: 'wasm', fallbackReason: 'WebGPU: not offered by this browser' };
  if (!probe.adapter) return { backend: 'wasm', fallbackReason: 'WebGPU: no adapter' };
  if (request === 'auto' && probe.fallbackAdapter) {
    return {
      backend: 'wasm',
      fallbackReason: 'WebGPU: only a software adapter (slower than WASM)',
    };
  }
  return { backend: 'webgpu' };
}

/**
 * WASM threads: where the page is cross-origin isolated (SharedArrayBuffer exists), the number
 * `?threads=` asked for, else up to 4; otherwise 1 (onnxruntime-web would silently drop to 1).
 */
export function wasmThreads(
  crossOriginIsolated: boolean,
  hardwareConcurrency: number | undefined,
  requested?: number,
): number {
  if (!crossOriginIsolated) return 1;
  if (requested !== undefined) return requested;
  const cores =
    Number.isFinite(hardwareConcurrency) && hardwareConcurrency! >= 1
      ? Math.floor(hardwareConcurrency!)
      : 1;
  return Math.min(4, cores);
}

/** The fields of GPUAdapterInfo the description uses (all optional: browsers leave some empty). */
export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}

/** E.g. "google swiftshader (software fallback, no shader-f16)" or "nvidia ampere, shader-f16". */
export function describeAdapter(
  info: AdapterInfoLike,
  fallbackAdapter: boolean,
  shaderF16: boolean,
): string {
  const parts: string[] = [];
  for (const field of [info.vendor, info.architecture, info.device, info.description]) {
    const text = field?.trim();
    if (text && !parts.some((p) => p.toLowerCase() === text.toLowerCase())) parts.push(text);
  }
  const name = parts.length > 0 ? parts.join(' ') : 'unknown adapter';
  const flags = [
    fallbackAdapter ? 'software fallback' : '',
    shaderF16 ? 'shader-f16' : 'no shader-f16',
  ];
  return `${name} (${flags.filter(Boolean).join(', ')})`;
}
