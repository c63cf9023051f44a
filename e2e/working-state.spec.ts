/**
 * Nothing a link does loses the user's work (issue #14): the working state (facts, settings,
 * views) is kept in the browser apart from the address. A link that cannot be read is reported,
 * removed from the address, and changes nothing, also after a reload; a valid link replaces the
 * work and the replaced work can be brought back; a page opened without a link goes on with the
 * browser's latest work. Tests wait for states, never for time.
 */
import type { Page } from '@playwright/test';
import { DEFAULT_ANALYSIS } from '../src/app/analysis-state';
import { shareUrl, stateParam } from '../src/app/share';
import type { ExplorerState } from '../src/app/state';
import { DEFAULT_SETTINGS } from '../src/attribution/settings';
import { addressState, openWithOneFact, settled } from './explorer-helpers';
import { expect, test } from './fixtures';

test.skip(({ backend }) => backend !== 'wasm', 'the state does not depend on the backend');

const BAD = 'zNOT-A-REAL-LINK';

const facts = (page: Page) => page.getByTestId('fact-list').locator('li.fact');

const linkTo = async (state: ExplorerState) =>
  (await shareUrl(state, 'http://127.0.0.1/?backend=wasm')).replace('http://127.0.0.1', '');

const SPAIN: ExplorerState = {
  model: { kind: 'bundled', name: 'demo-bert' },
  facts: [
    {
      id: 'spain',
      prompts: [{ language: 'en', text: 'The capital of Spain is [MASK] .', object: 'Madrid' }],
    },
  ],
  settings: DEFAULT_SETTINGS,
  tau: {},
  view: {},
  analysis: DEFAULT_ANALYSIS,
};

test('a bad link is reported, leaves the address, and loses nothing, also after a reload', async ({
  page,
}) => {
  await openWithOneFact(page);

  // The link is set in the running page.
  await page.evaluate((bad) => (window.location.hash = `s=${bad}`), BAD);
  await expect(page.getByTestId('link-error')).toContainText('This link could not be opened:');
  await expect(facts(page)).toHaveCount(1);
  await expect.poll(() => page.url()).not.toContain(BAD);
  await settled(page, 1);

  await page.reload();
  await expect(facts(page)).toHaveCount(1);
  await expect(page.getByTestId('link-error')).toHaveCount(0);

  // The bad link opened afresh (a new page of the same browser): reported, removed, and the
  // browser's latest work is there.
  const other = await page.context().newPage();
  await other.goto(`/?backend=wasm#s=${BAD}`);
  await expect(other.getByTestId('link-error')).toContainText('This link could not be opened:');
  await expect(facts(other)).toHaveCount(1);
  await expect(facts(other)).toContainText('The capital of France is [MASK] .');
  await expect.poll(() => other.url()).not.toContain(BAD);
  await other.close();
});

test('a link replaces the work, which can be brought back; a page without a link goes on with it', async ({
  page,
}) => {
  await openWithOneFact(page);

  await page.goto(await linkTo(SPAIN));
  await expect(facts(page)).toHaveCount(1);
  await expect(facts(page)).toContainText('The capital of Spain is [MASK] .');
  const replaced = page.getByTestId('link-replaced');
  await expect(replaced).toContainText('replaced your previous work (1 fact)');

  // Back: France again, and Spain is now the one offered.
  await replaced.getByTestId('go-back').click();
  await expect(facts(page)).toContainText('The capital of France is [MASK] .');
  await expect(replaced).toBeVisible();
  await settled(page, 1);
  await expect.poll(async () => (await addressState(page))?.facts[0]?.id).not.toBe('spain');

  // A reload keeps the tab's work; a new page without a link opens the browser's latest.
  await page.reload();
  await expect(facts(page)).toContainText('The capital of France is [MASK] .');
  const other = await page.context().newPage();
  await other.goto('/?backend=wasm');
  await expect(facts(other)).toContainText('The capital of France is [MASK] .');
  await expect(other.getByTestId('link-replaced')).toHaveCount(0);
  await other.close();
});

test('a link is read even when the page writes its own state before the link’s hashchange', async ({
  page,
}) => {
  // On a busy machine the page's own delayed write to the address can run between a
  // same-document navigation and its hashchange event; the event must still bring the link.
  await openWithOneFact(page);
  const link = stateParam(new URL(await linkTo(SPAIN), 'http://x').hash)!;
  await page.evaluate((value) => {
    const own = window.location.hash;
    window.location.hash = `s=${value}`;
    window.history.replaceState(window.history.state, '', own);
  }, link);
  await expect(facts(page)).toContainText('The capital of Spain is [MASK] .');
  await settled(page, 1);
  await expect.poll(async () => (await addressState(page))?.facts[0]?.id).toBe('spain');
});
