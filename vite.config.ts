import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * Cross-origin isolation: lets onnxruntime-web's WASM backend use threads (SharedArrayBuffer).
 * A production host must send the same two headers: see docs/runtime.md.
 */
export const crossOriginIsolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  server: { headers: crossOriginIsolationHeaders },
  preview: { headers: crossOriginIsolationHeaders },
  // The engine worker imports onnxruntime lazily, which needs ES-module workers (code splitting).
  worker: { format: 'es' },
  // onnxruntime-web finds its .wasm next to its own module (new URL(..., import.meta.url));
  // pre-bundling would move the module away from the file in dev, so serve it as it is.
  // The scanner also starts from the workers, so their dependencies are found before the
  // first page load (otherwise dev reloads the page once when the worker first imports them).
  optimizeDeps: { exclude: ['onnxruntime-web'], entries: ['index.html', 'workers/*.worker.ts'] },
  build: {
    target: 'es2022',
    // onnxruntime's chunks are large by nature; the .wasm assets are fetched only when used.
    chunkSizeWarningLimit: 1024,
    // Building the worker inside the main build can take seconds on a loaded machine; rolldown's
    // timing warnings about it are noise.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
});
