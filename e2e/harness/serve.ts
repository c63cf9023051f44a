/**
 * Builds the views harness with Vite into a temporary folder and serves it, for
 * e2e/views.spec.ts only: the app's vite.config.ts and its dist/ never see it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { type InlineConfig, build, preview } from 'vite';

export interface HarnessServer {
  url: string;
  close: () => Promise<void>;
}

export async function serveHarness(): Promise<HarnessServer> {
  const outDir = await mkdtemp(join(tmpdir(), 'kne-views-harness-'));
  const config: InlineConfig = {
    root: fileURLToPath(new URL('.', import.meta.url)),
    configFile: false,
    logLevel: 'warn',
    plugins: [react()],
    build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2048 },
    preview: { host: '127.0.0.1', port: 0 },
  };
  await build(config);
  const server = await preview(config);
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('the harness server has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: async () => {
      await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
      await rm(outDir, { recursive: true, force: true });
    },
  };
}
