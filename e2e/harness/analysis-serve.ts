/**
 * Builds the analysis views' harness page (analysis.html, beside the views harness) with Vite
 * into a temporary folder and serves it, for e2e/analysis-views.spec.ts only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { type InlineConfig, build, preview } from 'vite';
import type { HarnessServer } from './serve';

export async function serveAnalysisHarness(): Promise<HarnessServer> {
  const root = fileURLToPath(new URL('.', import.meta.url));
  const outDir = await mkdtemp(join(tmpdir(), 'kne-analysis-harness-'));
  const config: InlineConfig = {
    root,
    configFile: false,
    logLevel: 'warn',
    plugins: [react()],
    worker: { format: 'es' },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      chunkSizeWarningLimit: 2048,
      rollupOptions: { input: join(root, 'analysis.html') },
    },
    preview: { host: '127.0.0.1', port: 0 },
  };
  await build(config);
  const server = await preview(config);
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('the harness server has no port');
  return {
    url: `http://127.0.0.1:${address.port}/analysis.html`,
    close: async () => {
      await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
      await rm(outDir, { recursive: true, force: true });
    },
  };
}
