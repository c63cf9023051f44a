/**
 * The explorer's layout at the two screen sizes of issue #13 (1440 x 900 and 1024 x 700): the
 * page never scrolls sideways, whatever tab or disclosure is open, and the tabs stay on one line;
 * after a real run every chart fits its box with legends that do not overlap; at 1440 x 900 the
 * maps are read without scrolling and a clicked neuron opens in view beside them. One page does
 * both sizes: the runs at 1440 x 900, then the window narrowed to 1024 x 700 (as a user would)
 * and every view checked again, so the figures must follow the window, not only the first
 * layout. Screenshots are kept under test-results for people to look at.
 */
import type { Locator, Page, TestInfo } from '@playwright/test';
import { expectMapsOnFirstScreen, expectModelReady, runAll } from './explorer-helpers';
import { chartProblems, visibleCharts } from './figure-checks';
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

/** Every visible chart fits its SVG box, its legend labels apart; at least one chart is shown. */
async function expectChartsFit(page: Page, where: string) {
  expect(await visibleCharts(page), where).toBeGreaterThan(0);
  expect(await chartProblems(page), where).toEqual([]);
}

/** The width of the first figure in a view. */
const figureWidth = async (view: Locator) =>
  Number(await view.locator('.kn-analysis-figure svg').first().getAttribute('width'));

async function shot(page: Page, testInfo: TestInfo, name: string, top = true) {
  if (top) await page.evaluate(() => window.scrollTo(0, 0));
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/** How far the tab list reaches past its own box (0: every tab is in view without scrolling). */
const tabsCut = (page: Page) =>
  page.evaluate(() => {
    const list = document.querySelector('[role=tablist]')!;
    return list.scrollWidth - list.clientWidth;
  });

/** The status bar's height: under 40 px it keeps one line (its details cut, not wrapped). */
const statusBarHeight = async (page: Page) =>
  (await page.getByTestId('status-bar').boundingBox())!.height;

const WIDE = { width: 1440, height: 900 };
const NARROW = { width: 1024, height: 700 };

/** The neuron map tab after a run: one line of tabs, small multiples, maps on the first screen. */
async function expectMapTabLayout(page: Page, testInfo: TestInfo, wide: boolean) {
  const size = wide ? '1440x900' : '1024x700';
  await page.getByTestId('tab-map').click();
  await expect(page.getByTestId('neuron-map-zh')).toBeVisible();
  expect(await sideways(page), `the neuron map tab at ${size}`).toBe(0);
  expect(await tabRows(page)).toBe(1);
  expect(await tabsCut(page)).toBe(0);
  // The languages' maps are small multiples: as wide as each other, on one unit axis.
  const mapBoxes = await Promise.all(
    ['en', 'zh'].map(async (l) => (await page.getByTestId(`neuron-map-${l}`).boundingBox())!),
  );
  expect(mapBoxes[0].width).toBe(mapBoxes[1].width);
  expect(mapBoxes[0].x).toBe(mapBoxes[1].x);
  expect(mapBoxes[1].y).toBeGreaterThan(mapBoxes[0].y + mapBoxes[0].height - 1);
  await shot(page, testInfo, `layout-${size}-map`);
  await expectChartsFit(page, `the neuron map tab at ${size}`);
  // The first map on the first screen, at 1440 x 900 both languages' maps, without scrolling:
  // the maps' toolbar is one row.
  await expectMapsOnFirstScreen(page, wide ? ['en', 'zh'] : ['en']);
  const toolbar = (await page.getByTestId('maps-toolbar').boundingBox())!;
  expect(toolbar.height).toBeLessThan(60);
}

/** Every analysis tab: nothing sideways, one line of tabs; the overlap's charts fit. */
async function expectTabsLayout(page: Page, testInfo: TestInfo, size: string) {
  for (const tab of ['overlap', 'degenerate', 'lab', 'edits', 'dataset', 'factcheck']) {
    await page.getByTestId(`tab-${tab}`).click();
    await expect(page.getByTestId(`tab-${tab}`)).toHaveAttribute('aria-selected', 'true');
    expect(await sideways(page), `the ${tab} tab at ${size}`).toBe(0);
    expect(await tabRows(page), `the ${tab} tab at ${size}`).toBe(1);
    if (tab === 'overlap') {
      // With both maps held the overlap needs no run: its charts show at once.
      await expect(page.getByTestId('overlap-maps')).toBeVisible();
      await shot(page, testInfo, `layout-${size}-overlap`);
      await expectChartsFit(page, `the overlap tab at ${size}`);
    }
  }
}

test('at 1440 x 900, then narrowed to 1024 x 700: nothing scrolls sideways, the tabs keep one line, the charts fit', async ({
  page,
}, testInfo) => {
  // Model loads and short runs on a shared machine: generous, never relied on.
  test.setTimeout(420_000);
  await page.setViewportSize(WIDE);
  await page.goto('/?backend=wasm');
  await expectModelReady(page);
  expect(await statusBarHeight(page), 'the status bar at 1440x900').toBeLessThan(40);
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
  await expect(page.getByTestId('tau-defaults')).toContainText('0.3 for English, 0.2 for Chinese');
  await expect(page.getByTestId('shared-neurons')).toContainText('Shared by en and zh');
  await expectMapTabLayout(page, testInfo, true);
  const stage = page.getByTestId('neuron-map-en').getByTestId('map-stage');
  // A click on the map opens the neuron beside it, in view.
  const box = (await stage.boundingBox())!;
  await stage.click({ position: { x: box.width / 2, y: box.height - 50 } });
  await expect(page.getByTestId('neuron-panel')).toBeInViewport();
  await shot(page, testInfo, 'layout-1440x900-neuron', false);
  await expectTabsLayout(page, testInfo, '1440x900');

  // The figures drawn at the main area's width, as the overlap's is: the degenerate graph, a
  // weight edit and the fact check, each after a short real run.
  const panel = page.locator('#tab-panel');
  await page.getByTestId('tab-overlap').click();
  const wideWidth = await figureWidth(panel.getByTestId('overlap-view'));
  expect(wideWidth).toBeGreaterThan(800);
  await page.getByTestId('tab-degenerate').click();
  await panel.getByTestId('run-degenerate').click();
  await expect(panel.getByTestId('degenerate-graph')).toBeVisible();
  expect(await figureWidth(panel.getByTestId('degenerate-view'))).toBe(wideWidth);
  await shot(page, testInfo, 'layout-1440x900-degenerate', false);
  await expectChartsFit(page, 'the degenerate tab');

  await page.getByTestId('tab-edits').click();
  await panel.getByTestId('neuron-set-chooser').getByRole('radio', { name: /KN of/ }).check();
  await panel.getByTestId('apply-edit').click();
  await expect(panel.getByTestId('edit-view')).toBeVisible();
  expect(await figureWidth(panel.getByTestId('edit-view'))).toBe(wideWidth);
  await expectChartsFit(page, 'the weight edit tab');
  // The fact check runs on the model as loaded.
  await panel.getByTestId('active-edits').getByRole('button', { name: 'Revert' }).click();
  await expect(panel.getByTestId('edit-restored')).toHaveAttribute('data-restored', 'yes');

  await page.getByTestId('tab-dataset').click();
  await panel.getByTestId('per-relation').fill('3');
  await page.getByTestId('tab-factcheck').click();
  await panel.getByTestId('factcheck-relation').selectOption({ label: 'P36 (3 facts)' });
  await panel.getByTestId('run-factcheck').click();
  await expect(panel.getByTestId('factcheck-view')).toBeVisible();
  // Three facts leave P36 two training facts without a degenerate pair: no D_r, so the view
  // says why and how to fix it instead of drawing empty totals.
  await expect(panel.getByTestId('factcheck-gaps')).toContainText('add facts to the relation');
  expect(await figureWidth(panel.getByTestId('factcheck-view'))).toBe(wideWidth);
  await shot(page, testInfo, 'layout-1440x900-factcheck', false);
  await expectChartsFit(page, 'the fact check tab');

  // Two models: the same fact on demo-gpt2, in a worker of its own, by relative depth.
  await page.getByTestId('tab-compare').click();
  expect(await tabRows(page), 'the compare tab').toBe(1);
  expect(await tabsCut(page), 'the compare tab').toBe(0);
  await page.getByTestId('compare-model').selectOption('demo-gpt2');
  await expect(page.getByTestId('compare-summary')).toContainText('demo-gpt2', {
    timeout: 120_000,
  });
  await page.getByTestId('compare-run').click();
  await expect(page.getByTestId('compare-progress')).toHaveAttribute('data-phase', 'finished', {
    timeout: 120_000,
  });
  const aligned = page.getByTestId('depth-aligned-maps');
  // Each language's pair of maps, each headed by its model and its number of KN.
  const heads = aligned
    .locator('text')
    .filter({ hasText: /^demo-(bert|gpt2) · 4 × 512 · \d+ KN$/ });
  await expect(heads).toHaveCount(4);
  await expect(aligned).not.toContainText('not run on this model yet');
  await expect(aligned.locator('circle').first()).toBeVisible();
  // A click on a knowledge neuron's ring picks it, as in the neuron map, and says which it is.
  const en = aligned.locator('g[data-language="en"]');
  const ring = (await en.locator('circle').first().boundingBox())!;
  const hit = en.getByTestId('compare-map-hit').first();
  const area = (await hit.boundingBox())!;
  await hit.click({
    position: { x: ring.x + ring.width / 2 - area.x, y: ring.y + ring.height / 2 - area.y },
  });
  await expect(page.getByTestId('compare-neuron')).toContainText(
    /^demo-bert · en · L\d+ · u\d+ .*; a knowledge neuron at τ/,
  );
  const depth = page.getByTestId('kn-depth-overlap');
  for (const l of ['en', 'zh', 'All languages'])
    await expect(depth).toContainText(new RegExp(`${l}[^·]*· overlap \\d+%`));
  expect(await sideways(page), 'the compare tab').toBe(0);
  await shot(page, testInfo, 'layout-1440x900-compare');
  await expectChartsFit(page, 'the compare tab');
  // A reload shows both models' maps from the result cache, without running.
  await page.reload();
  await expect(heads).toHaveCount(4, { timeout: 120_000 });
  await expect(aligned).not.toContainText('not run on this model yet');
  await expect(page.getByTestId('compare-run')).toHaveCount(0);

  // The window narrowed: every view again, the figures redrawn at the narrower main area.
  await page.setViewportSize(NARROW);
  expect(await statusBarHeight(page), 'the status bar at 1024x700').toBeLessThan(40);
  expect(await sideways(page), 'the compare tab at 1024x700').toBe(0);
  expect(await tabsCut(page), 'the compare tab at 1024x700').toBe(0);
  await shot(page, testInfo, 'layout-1024x700-compare');
  await expectChartsFit(page, 'the compare tab at 1024x700');
  await expectMapTabLayout(page, testInfo, false);
  await expectTabsLayout(page, testInfo, '1024x700');
  await page.getByTestId('tab-overlap').click();
  const narrowWidth = await figureWidth(panel.getByTestId('overlap-view'));
  expect(narrowWidth).toBeLessThan(wideWidth);
  // The degenerate search and the fact check come back from the result store, redrawn.
  for (const [tab, view] of [
    ['degenerate', 'degenerate-view'],
    ['factcheck', 'factcheck-view'],
  ]) {
    await page.getByTestId(`tab-${tab}`).click();
    await expect(panel.getByTestId(view)).toBeVisible();
    await expect.poll(() => figureWidth(panel.getByTestId(view))).toBe(narrowWidth);
    await shot(page, testInfo, `layout-1024x700-${tab}`, false);
    await expectChartsFit(page, `the ${tab} tab at 1024x700`);
  }

  // A model before and after a weight edit: demo-bert with its English KN erased, against
  // demo-bert as it is, in the second worker.
  await page.getByTestId('tab-edits').click();
  await panel
    .getByTestId('neuron-set-chooser')
    .getByRole('radio', { name: /KN of/ })
    .first()
    .check();
  await panel.getByTestId('apply-edit').click();
  await expect(page.getByTestId('edit-banner')).toBeVisible();
  await expect(panel.getByTestId('edit-view')).toBeVisible();
  expect(await figureWidth(panel.getByTestId('edit-view'))).toBe(narrowWidth);
  await expectChartsFit(page, 'the weight edit tab at 1024x700');
  await page.getByTestId('tab-compare').click();
  await page.getByTestId('compare-model').selectOption('demo-bert');
  await expect(page.getByTestId('compare-summary')).toContainText('demo-bert:', {
    timeout: 120_000,
  });
  // The unedited model's maps come from the result cache; the edited one's are run.
  await page.getByTestId('compare-run').click();
  const head = (edited: string) =>
    aligned.locator('text').filter({
      hasText: new RegExp(`^demo-bert${edited} · 4 × 512 · \\d+ KN$`),
    });
  await expect(head(' \\(edited\\)')).toHaveCount(2, { timeout: 120_000 });
  await expect(head('')).toHaveCount(2);
  await expectChartsFit(page, 'the compare tab, a weight edit');
});
