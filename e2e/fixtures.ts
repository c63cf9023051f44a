import { test as base, expect, type Page, type TestInfo } from '@playwright/test';

export interface EngineTestOptions {
  /** The backend this project exercises; the WebGPU project launches Chromium with WebGPU on. */
  backend: 'wasm' | 'webgpu';
}

export const test = base.extend<EngineTestOptions>({
  backend: ['wasm', { option: true }],
  // (`provide` is Playwright's `use`, renamed so the React-hooks lint rule leaves it alone.)
  page: async ({ page }, provide) => {
    // Any uncaught error in the page or a worker fails the test.
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await provide(page);
    expect(errors, 'uncaught page errors').toEqual([]);
  },
});

export { expect };

/** Waits until the engine has started and the pipeline proof has finished (or failed). */
export async function waitForProof(page: Page): Promise<void> {
  const proof = page.getByTestId('proof');
  await expect(proof).toHaveAttribute('data-state', /^(ready|error)$/);
  const state = await proof.getAttribute('data-state');
  if (state === 'error') {
    throw new Error(`engine error: ${await page.getByTestId('proof-error').textContent()}`);
  }
}

/**
 * Saves a screenshot of the window (the app fills it: header, panels, status bar at the bottom)
 * under test-results and attaches it to the report.
 */
export async function keepScreenshot(
  page: Page,
  testInfo: TestInfo,
  name: string,
): Promise<string> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
  return path;
}
