import { defineConfig } from 'vitest/config';

// Unit and integration tests run in Node against onnxruntime-node; the browser runtimes
// (onnxruntime-web on WASM and WebGPU) are exercised by the Playwright suite in e2e/.
export default defineConfig({
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'scripts/**/*.test.ts', 'tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
