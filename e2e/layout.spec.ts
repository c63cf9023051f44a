/**
 * The explorer's layout at the two screen sizes of issue #13 (1440 x 900 and 1024 x 700): the
 * page never scrolls sideways, whatever tab or disclosure is open, and the tabs stay on one line.
 */
import type { Page } from '@playwright/test';
import { expectModelReady, runAll } from './explorer-helpers';
import { expect, test } from './fixtures';

test.skip(({ backend }) => backend !== 'wasm', 'the layout does not depend on the backend');

/** How far the page reaches past the window's right edge, in CSS pixels (0: it fits). */
const sideways = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/** The distinct top edges of the tabs: one when they sit on one line. */
const tabRows = (page: Page) =>
  page.evaluate(
    () =>
      new Set(
        [...document.querySelectorAll('[role=tab]')].map((t) =>
          Math.round(t.getBoundingClientRect().top),
        ),
      ).size,
  );

for (const viewport of [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
]) {
  test(`at ${viewport.width} x ${viewport.height} nothing scrolls sideways and the tabs keep one line`, async ({
    page,
  }) => {
    // A model load and a short run on a shared machine: generous, never relied on.
    test.setTimeout(300_000);
    await page.setViewportSize(viewport);
    await page.goto('/?backend=wasm');
    await expectModelReady(page);
    for (const more of ['more-upload', 'more-factset'])
      await page.getByTestId(more).locator('summary').click();
    await page.getByTestId('factset-relation').selectOption('P36');
    await page.getByTestId('factset-fact').selectOption({ label: 'France → Paris' });
    await page.getByTestId('factset-add').click();
    // Few steps: the layout, not the attribution, is under test.
    await page.getByTestId('setting-steps').fill('4');
    await runAll(page);
    await expect(page.getByTestId('neuron-map-zh')).toBeVisible();
    // Every finished prompt says so in one word; the defaults of tau say where they come from.
    await expect(page.getByTestId('run-progress').locator('li')).toHaveText([/: done$/, /: done$/]);
    await expect(page.getByTestId('tau-defaults')).toContainText(
      '0.3 for English, 0.2 for Chinese',
    );
    await expect(page.getByTestId('shared-neurons')).toContainText('Shared by en and zh');
    expect(await sideways(page), 'the neuron map tab').toBe(0);
    expect(await tabRows(page)).toBe(1);

    for (const tab of ['overlap', 'degenerate', 'lab', 'edits', 'dataset', 'factcheck']) {
      await page.getByTestId(`tab-${tab}`).click();
      await expect(page.getByTestId(`tab-${tab}`)).toHaveAttribute('aria-selected', 'true');
      expect(await sideways(page), `the ${tab} tab`).toBe(0);
      expect(await tabRows(page), `the ${tab} tab`).toBe(1);
    }
  });
}
