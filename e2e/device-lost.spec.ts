/**
 * A lost GPU device (driver reset, tab in the background; here `GPUDevice.destroy()` from the
 * engine's worker through the test hooks of src/app/test-hooks.ts): the app says so, restarts
 * the engine on a new device, or on WASM when WebGPU does not come back, loads the model
 * again, keeps the facts and finished results, and says which run stopped. The device is
 * destroyed at a run's first progress report, so the run is stopped mid-way on every machine.
 */
import type { Page } from '@playwright/test';
import { DEFAULT_ANALYSIS } from '../src/app/analysis-state';
import { shareUrl } from '../src/app/share';
import type { ExplorerState } from '../src/app/state';
import { DEFAULT_SETTINGS } from '../src/attribution/settings';
import { addFact, canvasColors, expectModelReady } from './explorer-helpers';
import { expect, test } from './fixtures';

const CAPITAL = { language: 'en', text: 'The capital of France is [MASK] .', object: 'Paris' };
const GERMANY = { language: 'en', text: 'The capital of Germany is [MASK] .', object: 'Berlin' };

test.skip(({ backend }) => backend !== 'webgpu', 'needs WebGPU (the webgpu project)');
// The software adapter is slow, and slower still on a busy machine: each test starts up to three
// engines and times the model's blocks for the estimate in each. Limits only, never waited out.
test.describe.configure({ timeout: 480_000 });
const SLOW = { timeout: 240_000 };

/** Opens the app with the test hooks on and one fact, on WebGPU, with its model loaded. */
async function openWithHooks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    window.kneEnableTestHooks = true;
  });
  const state: ExplorerState = {
    model: { kind: 'bundled', name: 'demo-gpt2' },
    facts: [{ id: 'capital', prompts: [CAPITAL] }],
    settings: { ...DEFAULT_SETTINGS, steps: 2 },
    tau: {},
    view: {},
    analysis: DEFAULT_ANALYSIS,
  };
  const url = await shareUrl(state, 'http://x/?backend=webgpu');
  await page.goto(url.replace('http://x', ''));
  await expect(page.getByTestId('status-bar')).toHaveAttribute('data-backend', 'webgpu');
  await expectModelReady(page, 'demo-gpt2');
}

/**
 * Runs the prompts without a map and waits until all are done. (Not waiting for the estimate:
 * on the software adapter its first timing of the model's blocks takes minutes.)
 */
async function runAll(page: Page, prompts: number): Promise<void> {
  const run = page.getByTestId('run');
  await expect(run).toHaveText(`Run ${prompts} prompt${prompts === 1 ? '' : 's'}`);
  await run.click();
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-phase', /^(finished|cancelled)$/, SLOW);
  await expect(progress).toHaveAttribute('data-phase', 'finished');
  await expect(progress.locator('li[data-state=error]')).toHaveCount(0);
}

/** Waits until the engine runs again on `backend` with the model loaded. */
async function restartedOn(page: Page, backend: 'webgpu' | 'wasm'): Promise<void> {
  await expect(page.getByTestId('device-lost')).toHaveAttribute('data-restarted', backend, SLOW);
  await expect(page.getByTestId('status-bar')).toHaveAttribute('data-backend', backend);
  await expectModelReady(page, 'demo-gpt2');
}

test('a device lost mid-run: the run says it stopped, the engine restarts, results and facts stay', async ({
  page,
}) => {
  await openWithHooks(page);
  await runAll(page, 1);
  const facts = page.getByTestId('fact-list').locator('li.fact');
  expect(await canvasColors(page, 'neuron-map-en')).toBeGreaterThan(4);

  await addFact(page, [GERMANY]);
  await expect(facts).toHaveCount(2);
  await page.evaluate(() => window.kneTest!.loseDeviceInNextRun());
  await expect(page.getByTestId('run')).toHaveText('Run 1 prompt');
  await page.getByTestId('run').click();

  const banner = page.getByTestId('device-lost');
  await expect(banner).toContainText('The GPU device was lost (destroyed', SLOW);
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-phase', 'cancelled');
  await expect(progress.locator('li[data-state=error]')).toHaveText(
    /Stopped( while running the attribution)?: the GPU device was lost \(destroyed/,
  );

  await restartedOn(page, 'webgpu');
  await expect(banner).toContainText('The engine restarted on a new GPU device');
  // The facts and the finished map are still there; the stopped prompt runs on the new device.
  await expect(facts).toHaveCount(2);
  await expect(facts.first().locator('li[data-state=ready]')).toHaveCount(1);
  await runAll(page, 1);
  await expect(facts.locator('li[data-state=ready]')).toHaveCount(2);
  expect(await canvasColors(page, 'neuron-map-en')).toBeGreaterThan(4);

  await banner.getByRole('button', { name: 'Dismiss' }).click();
  await expect(banner).toHaveCount(0);
});

test('when WebGPU does not come back the engine restarts on WASM and goes on', async ({ page }) => {
  await openWithHooks(page);
  await runAll(page, 1);
  await page.evaluate(() => {
    window.kneTest!.noAdapterOnRestart();
    return window.kneTest!.loseDevice();
  });
  await restartedOn(page, 'wasm');
  await expect(page.getByTestId('device-lost')).toContainText(
    'The engine restarted on WASM, since WebGPU did not come back',
  );
  // The map computed on the GPU is kept, and the WASM engine runs new prompts.
  const facts = page.getByTestId('fact-list').locator('li.fact');
  await expect(facts.first().locator('li[data-state=ready]')).toHaveCount(1);
  await addFact(page, [GERMANY]);
  await runAll(page, 1);
  await expect(facts.locator('li[data-state=ready]')).toHaveCount(2);
});

test('the test hooks are off unless a test turns them on: a link cannot', async ({ page }) => {
  await page.goto('/?backend=webgpu&kneEnableTestHooks=true&testhooks=1#kneEnableTestHooks');
  await expect(page.getByTestId('status-bar')).toHaveAttribute('data-backend', 'webgpu');
  await expectModelReady(page);
  expect(await page.evaluate(() => typeof window.kneTest)).toBe('undefined');
});
