/**
 * onnxruntime-web's WASM backend inside Node, behind the browser's own WebRuntime class: the
 * browser's kernels and input/output copies without the browser (workers, messaging, the tab).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as OrtModule from 'onnxruntime-web';
import { WebRuntime } from '../../src/runtime/web';

export async function createNodeWasmRuntime(opts: { threads: number; build?: string }) {
  const ort = (await import(
    opts.build === 'node' ? 'onnxruntime-web' : 'onnxruntime-web/webgpu'
  )) as typeof OrtModule;
  if (opts.build !== 'node')
    // The browser build fetches its .wasm by URL, which Node's fetch cannot do for files.
    ort.env.wasm.wasmBinary = readFileSync(
      fileURLToPath(import.meta.resolve('onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm')),
    );
  ort.env.wasm.numThreads = opts.threads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  return new WebRuntime(
    ort,
    {
      backend: 'wasm',
      requested: 'wasm',
      build: opts.build === 'node' ? 'wasm' : 'native',
      ortVersion: ort.env.versions.web ?? ort.env.versions.common,
      crossOriginIsolated: true,
      threads: opts.threads,
    },
    undefined,
  );
}
