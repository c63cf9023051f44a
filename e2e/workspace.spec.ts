/**
 * The small things of the workspace (issue #13, "Too small, too far"): the bundled-fact picker in
 * name order with a search, an undo for "Remove all facts", and a "Link copied." that goes away.
 * No attribution runs here.
 */
import { expect, test } from './fixtures';

test.skip(({ backend }) => backend !== 'wasm', 'nothing here depends on the backend');

test('the bundled facts are in name order and found by subject or object in any language', async ({
  page,
}) => {
  await page.goto('/?backend=wasm');
  await page.getByTestId('more-factset').locator('summary').click();
  await page.getByTestId('factset-relation').selectOption('P36');
  const options = page.getByTestId('factset-fact').locator('option');
  const labels = await options.allTextContents();
  expect(labels.length).toBeGreaterThan(10);
  expect(labels).toEqual([...labels].sort((a, b) => a.localeCompare(b, 'en')));

  await page.getByTestId('factset-search').fill('巴黎');
  await expect(options).toHaveText(['France → Paris']);
  await page.getByTestId('factset-search').fill('no such place');
  await expect(options).toHaveCount(0);
  await expect(page.getByTestId('factset-add')).toBeDisabled();
  await page.getByTestId('factset-search').fill('ber');
  await expect(options).toContainText(['Germany → Berlin']);
  await page.getByTestId('factset-fact').selectOption({ label: 'Germany → Berlin' });
  await page.getByTestId('factset-add').click();
  await expect(page.getByTestId('fact-list').locator('li.fact')).toHaveCount(1);
  await expect(page.getByTestId('fact-list')).toContainText('德国的首都是[MASK]。');
});

test('"Remove all facts" can be undone', async ({ page }) => {
  await page.goto('/?backend=wasm');
  await page.getByTestId('more-factset').locator('summary').click();
  await page.getByTestId('factset-relation').selectOption('P36');
  for (const label of ['France → Paris', 'Japan → Tokyo']) {
    await page.getByTestId('factset-fact').selectOption({ label });
    await page.getByTestId('factset-add').click();
  }
  const facts = page.getByTestId('fact-list').locator('li.fact');
  await expect(facts).toHaveCount(2);
  await page.getByRole('button', { name: 'Remove all facts' }).click();
  await expect(facts).toHaveCount(0);
  await expect(page.getByTestId('facts-removed')).toHaveText('Removed 2 facts. Undo');
  await page.getByTestId('undo-remove-all').click();
  await expect(facts).toHaveCount(2);
  await expect(page.getByTestId('fact-list')).toContainText('The capital of Japan is [MASK] .');
  await expect(page.getByTestId('facts-removed')).toHaveCount(0);
});

test('"Link copied." goes away by itself', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  // The page's clock is paused once the link is made, so the test sees the message before it
  // clears, however slowly this machine runs, and then moves time on by the 4 s it lasts.
  await page.clock.install();
  await page.goto('/?backend=wasm');
  const share = page.getByTestId('share-panel');
  await expect(page.getByTestId('share-url')).not.toHaveValue('');
  await page.clock.pauseAt(Date.now() + 1000);
  await share.getByRole('button', { name: 'Copy link' }).click();
  const status = share.getByRole('status');
  await expect(status).toHaveText('Link copied.');
  await page.clock.runFor(3900);
  await expect(status).toHaveText('Link copied.');
  await page.clock.runFor(200);
  await expect(status).toHaveText('');
});
