/**
 * Two tabs of the app in one browser share its IndexedDB stores (the analyses' results, the
 * result cache, the uploads): a dataset run in one while the other reloads, then the other
 * reuses every stored item and shows the same figures. Whatever the order in which the two
 * tabs' work interleaves on a given machine, the checks hold: they are on what is stored.
 */
import type { Page } from '@playwright/test';
import { DEFAULT_ANALYSIS } from '../src/app/analysis-state';
import { shareUrl } from '../src/app/share';
import type { ExplorerState } from '../src/app/state';
import { DEFAULT_SETTINGS } from '../src/attribution/settings';
import { expectModelReady } from './explorer-helpers';
import { csvOf } from './figure-checks';
import { expect, test } from './fixtures';

test.skip(({ backend }) => backend !== 'wasm', 'the analyses run on WASM');

const ITEMS = 12; // six capitals of the bundled fact set, in English and Chinese

const STATE: ExplorerState = {
  model: { kind: 'bundled', name: 'demo-bert' },
  facts: [],
  settings: { ...DEFAULT_SETTINGS, steps: 4 },
  tau: {},
  view: {},
  analysis: {
    ...DEFAULT_ANALYSIS,
    tab: 'dataset',
    dataset: {
      ...DEFAULT_ANALYSIS.dataset,
      source: { kind: 'factset', relations: ['P36'], perRelation: ITEMS / 2 },
    },
  },
};

// A tab opening while the other runs a dataset on the same cores can take minutes on a busy
// machine: a limit, never waited out.
const SLOW = { timeout: 240_000 };

/** Waits until the page's engine has started and loaded the model. */
async function modelReady(page: Page): Promise<void> {
  await expect(page.getByTestId('model-status')).toHaveAttribute(
    'data-phase',
    /^(ready|error)$/,
    SLOW,
  );
  await expectModelReady(page, 'demo-bert');
}

async function open(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await modelReady(page);
}

const panel = (page: Page) => page.getByRole('tabpanel');
const estimate = (page: Page) => panel(page).getByTestId('analysis-estimate');
const layersCsv = (page: Page) =>
  csvOf(
    page,
    panel(page)
      .getByTestId('layer-distribution-view')
      .getByRole('group', { name: 'Export the layer distributions' }),
  );

test('a dataset run in one tab while another reloads: the other reuses all of it, same figures', async ({
  page,
  context,
}) => {
  test.setTimeout(900_000);
  const url = (await shareUrl(STATE, 'http://127.0.0.1/?backend=wasm')).replace(
    'http://127.0.0.1',
    '',
  );
  await open(page, url);
  await expect(estimate(page)).toHaveAttribute('data-items', String(ITEMS), SLOW);
  await expect(estimate(page)).toHaveAttribute('data-stored', '0');
  await panel(page).getByTestId('run-dataset').click();
  const progress = panel(page).getByTestId('analysis-progress');
  await expect
    .poll(async () => Number(await progress.getAttribute('data-done')))
    .toBeGreaterThanOrEqual(1);

  // The other tab opens the same link while the run stores items, and reloads.
  const other = await context.newPage();
  await open(other, url);
  await expect(estimate(other)).toHaveAttribute('data-items', String(ITEMS), SLOW);
  await other.reload();
  await modelReady(other);
  await expect(estimate(other)).toHaveAttribute('data-items', String(ITEMS), SLOW);
  const storedThen = Number(await estimate(other).getAttribute('data-stored'));
  expect(storedThen).toBeGreaterThanOrEqual(1);
  expect(storedThen).toBeLessThanOrEqual(ITEMS);

  // The run finishes in the first tab, having computed every item itself.
  const summary = panel(page).getByTestId('dataset-summary');
  await expect(summary).toHaveAttribute('data-items', String(ITEMS), { timeout: 600_000 });
  await expect(summary).toHaveAttribute('data-reused', '0');
  const first = await layersCsv(page);
  expect(first[0]).toBe('relation,series,language,layer,neurons');
  expect(first.length).toBeGreaterThan(1);

  // The other tab, reloaded, finds all of it stored; its run computes nothing.
  await other.reload();
  await modelReady(other);
  await expect(estimate(other)).toHaveAttribute('data-stored', String(ITEMS));
  await panel(other).getByTestId('run-dataset').click();
  const otherSummary = panel(other).getByTestId('dataset-summary');
  await expect(otherSummary).toHaveAttribute('data-items', String(ITEMS));
  await expect(otherSummary).toHaveAttribute('data-reused', String(ITEMS));
  expect(await layersCsv(other)).toEqual(first);

  // Neither tab's working state was overwritten by the other's.
  for (const p of [page, other])
    await expect(p.getByRole('tab', { name: 'Dataset runs', exact: true })).toHaveAttribute(
      'aria-selected',
      'true',
    );
});
