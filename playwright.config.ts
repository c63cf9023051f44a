import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH as executablePath } from './e2e/chromium';
import type { EngineTestOptions } from './e2e/fixtures';

/**
 * End-to-end tests: the built app (`vite preview`, with the COOP/COEP headers) in a real
 * Chromium (e2e/chromium.ts says which). `npm run test:e2e` builds first.
 */
const PORT = Number(process.env.E2E_PORT ?? 4317);

export default defineConfig<EngineTestOptions>({
  testDir: 'e2e',
  outputDir: 'test-results',
  // Default workers (half the cores): each test compiles ~27 MB of WASM and runs WASM threads,
  // so more parallel browsers than that only slow a small machine down.
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  // Generous limits, never relied on: tests wait for states, not for time.
  timeout: 120_000,
  expect: { timeout: 90_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: { executablePath, args: CHROMIUM_ARGS },
  },
  projects: [
    {
      name: 'wasm',
      use: { ...devices['Desktop Chrome'], backend: 'wasm' },
    },
    {
      name: 'webgpu',
      use: {
        ...devices['Desktop Chrome'],
        backend: 'webgpu',
        // Without this flag headless Chromium offers no adapter; with it, SwiftShader.
        launchOptions: { executablePath, args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'] },
      },
    },
  ],
  webServer: {
    command: `node node_modules/vite/bin/vite.js preview --port ${PORT} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${PORT}`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
