/**
 * The analysis views (src/views/analysis) in a real browser, on a test-only harness page
 * (e2e/harness/analysis.html) fed with results the worker services computed on a planted model
 * in this process (e2e/analysis-fixture.ts): what each view shows of the planted truth, its
 * interactions, its exports (PNG at 2x and not blank, SVG that parses, CSV), user text with
 * markup, and the IndexedDB result store in a Web Worker. Screenshots of every view are kept
 * under test-results for people to look at.
 */
import type { Locator, Page, TestInfo } from '@playwright/test';
import { type AnalysisFixture, buildAnalysisFixture } from './analysis-fixture';
import { HOSTILE } from './harness/analysis-hostile';
import { serveAnalysisHarness } from './harness/analysis-serve';
import { toWire } from './harness/analysis-wire';
import type { HarnessServer } from './harness/serve';
import { checkFigureExports, csvOf } from './figure-checks';
import { expect, test } from './fixtures';

test.skip(({ backend }) => backend !== 'wasm', 'the views do not depend on the backend');
// One harness build and one fixture per worker: keep this file's tests together.
test.describe.configure({ mode: 'default' });
test.use({ viewport: { width: 1400, height: 1000 } });

let server: HarnessServer;
let fixture: AnalysisFixture;
let wire: string;
test.beforeAll(async () => {
  [server, fixture] = await Promise.all([serveAnalysisHarness(), buildAnalysisFixture()]);
  wire = toWire(fixture);
});
test.afterAll(async () => {
  await server?.close();
});

async function open(page: Page, name: string, testId: string) {
  await page.addInitScript((text) => {
    window.__KNE_ANALYSIS__ = text;
  }, wire);
  await page.goto(`${server.url}?case=${name}`);
  const view = page.getByTestId(testId).first();
  await expect(view).toBeVisible();
  return view;
}

async function shot(target: Page | Locator, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await target.screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

const panel = (page: Page) => page.locator('section.panel').first();
const echoed = async (page: Page, id: 'selected' | 'view-state') =>
  (await page.getByTestId(id).textContent()) ?? '';

test('overlap: the planted shared unit is the LIKN; regions list and select neurons', async ({
  page,
}, testInfo) => {
  const view = await open(page, 'overlap', 'overlap-view');
  const figure = view.locator('.kn-analysis-figure svg');
  // france-capital: 1:3 shared, 2:5 en-only, 0:7 zh-only.
  for (const [region, count] of [
    ['["en"]', '1'],
    ['["zh"]', '1'],
    ['["en","zh"]', '1'],
  ])
    await expect(figure.locator(`[data-region='${region}'] text`)).toHaveText(count);
  const neurons = page.getByTestId('region-neurons');
  await expect(neurons).toContainText('en ∩ zh (LIKN): 1 neuron');
  await expect(neurons.getByRole('button')).toHaveText(['L1 · u3']);
  await shot(panel(page), testInfo, 'overlap-venn');

  await figure.locator(`[data-region='["en"]']`).click();
  await expect(neurons).toContainText('en only: 1 neuron');
  expect(JSON.parse(await echoed(page, 'view-state'))).toEqual({
    region: ['en'],
    layout: 'auto',
  });
  await neurons.getByRole('button', { name: 'Select layer 2, unit 5' }).click();
  expect(await echoed(page, 'selected')).toBe('2:5');

  await view.getByRole('radio', { name: 'UpSet' }).check();
  await expect(figure.locator('[data-region]')).toHaveCount(3);
  await shot(panel(page), testInfo, 'overlap-upset');

  const menu = view.getByRole('group', { name: 'Export the overlap' });
  await checkFigureExports(page, menu, testInfo, 'overlap');
  expect(await csvOf(page, menu)).toEqual([
    'region,languages,layer,unit',
    'en ∩ zh (LIKN),en zh,1,3',
    'en only,en,2,5',
    'zh only,zh,0,7',
  ]);
});

test('overlap of three languages (Venn) and five (UpSet)', async ({ page }, testInfo) => {
  const three = await open(page, 'overlap3', 'overlap-view');
  await expect(three.locator('.kn-analysis-figure svg [data-region]')).toHaveCount(7);
  await expect(page.getByTestId('region-neurons')).toContainText('en ∩ zh ∩ fr (LIKN)');
  await shot(panel(page), testInfo, 'overlap-venn3');

  const five = await open(page, 'overlap5', 'overlap-view');
  // More than three languages: no Venn to choose, an UpSet column per non-empty region.
  await expect(five.getByRole('radio')).toHaveCount(0);
  await expect(five.locator('.kn-analysis-figure svg [data-region]')).toHaveCount(
    fixture.overlap5.intersections.length,
  );
  await expect(page.getByTestId('region-neurons')).toContainText(
    'all 5 languages (LIKN): 1 neuron',
  );
  await shot(panel(page), testInfo, 'overlap-upset5');
});

test('layer distributions of KN, LIKN and DKN, per relation, counts and shares', async ({
  page,
}, testInfo) => {
  const view = await open(page, 'distribution', 'layer-distribution-view');
  const figure = view.locator('.kn-analysis-figure svg');
  await expect(figure).toContainText('Knowledge neurons (KN) per layer, by language · 26 in all');
  await expect(figure).toContainText('LIKN) per layer · 10 from 6 facts');
  await shot(panel(page), testInfo, 'layers-all');

  await view.getByLabel('Relation', { exact: true }).selectOption({ label: 'color (4 facts)' });
  await view.getByRole('radio', { name: 'share of total' }).check();
  await expect(figure).toContainText('relation color');
  expect(JSON.parse(await echoed(page, 'view-state'))).toEqual({
    scope: { relation: 'color' },
    measure: 'share',
  });
  await shot(panel(page), testInfo, 'layers-color-share');

  const menu = view.getByRole('group', { name: 'Export the layer distributions' });
  await checkFigureExports(page, menu, testInfo, 'layers');
  const lines = await csvOf(page, menu);
  expect(lines[0]).toBe('relation,series,language,layer,neurons');
  // The overall LIKN per layer, from the planted truth (shared units of every fact).
  expect(lines.filter((l) => l.startsWith('*,LIKN,'))).toEqual(
    fixture.dataset.aggregates.overall.likn.map((c, layer) => `*,LIKN,en zh,${layer},${c}`),
  );
});

test('intervention lab: choose a set, before/after per language, effect bars', async ({
  page,
}, testInfo) => {
  const view = await open(page, 'lab', 'lab-view');
  // Suppressing the LIKN (1:3) of france-capital loses the answer in both languages.
  const columns = page.getByTestId('before-after').locator('.kn-lab-prompt');
  await expect(columns).toHaveCount(2);
  await expect(columns.first()).toContainText('P(Paris) 99.6% → 0.6%');
  await expect(columns.nth(1)).toContainText('token 2 of 2');
  await shot(panel(page), testInfo, 'lab-fact');

  const chooser = page.getByTestId('neuron-set-chooser');
  await chooser.getByRole('radio', { name: /KN of/ }).check();
  await expect(page.getByTestId('chosen-neurons').getByRole('button')).toHaveText([
    'L1 · u3',
    'L2 · u5',
  ]);
  const input = chooser.getByLabel(/Hand-picked neurons/);
  await chooser.getByRole('radio', { name: /hand-picked/ }).check();
  await input.fill('3:99, hello');
  await expect(chooser.getByRole('alert')).toContainText('3:99 is outside the model');
  await expect(chooser.getByRole('alert')).toContainText('“hello” is not a neuron');
  await input.fill('L2·u5, 0:7');
  await expect(chooser.getByRole('alert')).toHaveCount(0);
  expect(JSON.parse(await echoed(page, 'view-state')).choice).toEqual({
    kind: 'custom',
    neurons: [
      { layer: 0, unit: 7 },
      { layer: 2, unit: 5 },
    ],
  });
  await chooser.getByRole('radio', { name: /LIKN/ }).check();
  await view.getByRole('button', { name: 'Run suppress and enhance' }).click();
  await expect(page.getByTestId('runs')).toHaveText('{"kind":"likn"}');
  // The relation-wide result: every fact with a LIKN (hot-opposite has none).
  await expect(page.getByTestId('lab-result-title')).toHaveText(
    'LIKN · 5 facts · 1 without such neurons (not run)',
  );
  const figure = view.locator('.kn-analysis-figure svg');
  await expect(figure).toContainText('Suppress (×0) · measured on en prompts');
  await view.getByRole('radio', { name: /reference/ }).check();
  await expect(figure).toContainText('Reference aggregation');
  await view.getByRole('radio', { name: 'enhance (×2)' }).check();
  await expect(page.getByTestId('before-after')).toContainText('Enhancing (×2)');
  await shot(panel(page), testInfo, 'lab-relations');

  const menu = view.getByRole('group', { name: 'Export the intervention effects' });
  await checkFigureExports(page, menu, testInfo, 'lab');
  const lines = await csvOf(page, menu);
  expect(lines[0]).toBe(
    'fact,relation,set,intervention,neurons,language,prompts,prompt_fact,prompt,object,' +
      'p_before,p_after,relative_change,top_before,top_after',
  );
  expect(
    lines.some((l) => l.startsWith('france-capital,capital,LIKN,suppress,1:3,en,related,')),
  ).toBe(true);
});

test('degenerate: the planted copies as pairs and a verified cluster; matrix and graph', async ({
  page,
}, testInfo) => {
  const view = await open(page, 'degenerate', 'degenerate-view');
  const graph = page.getByTestId('degenerate-graph').locator('svg');
  // sea-color: four copies, one per layer (unit 10); every pair of them is degenerate.
  await expect(graph.locator('[data-neuron]')).toHaveCount(4);
  const matrix = page.getByTestId('suppression-matrix').locator('svg');
  await expect(matrix).toContainText('L3 · u10');
  const groups = page.getByTestId('degenerate-groups');
  await expect(groups.locator('tbody tr')).toHaveCount(7);
  await expect(groups.locator('tbody tr').last()).toContainText('clustering');
  await shot(panel(page), testInfo, 'degenerate');

  await groups.getByRole('button', { name: 'group 7' }).click();
  expect(JSON.parse(await echoed(page, 'view-state'))).toEqual({ edges: 'both', group: 6 });
  await expect(graph).toContainText('group 7');
  await graph.locator('[data-neuron="0:10"]').click();
  expect(await echoed(page, 'selected')).toBe('0:10');
  await view.getByRole('radio', { name: 'pairs', exact: true }).check();
  await shot(panel(page), testInfo, 'degenerate-pairs-group');

  await checkFigureExports(
    page,
    view.getByRole('group', { name: 'Export the degenerate graph' }),
    testInfo,
    'degenerate-graph',
  );
  const menu = view.getByRole('group', { name: 'Export the suppression matrix' });
  await checkFigureExports(page, menu, testInfo, 'degenerate-matrix');
  const lines = await csvOf(page, menu);
  expect(lines[0]).toBe('layer_a,unit_a,layer_b,unit_b,p_suppressed,p0,degenerate_pair');
  // 4 singles and 6 pairs, every pair degenerate.
  expect(lines.length).toBe(11);
  expect(lines.filter((l) => l.endsWith(',true')).length).toBe(6);
});

test('fact checking: confusion matrices side by side, F1 bars, the positive class stated', async ({
  page,
}, testInfo) => {
  const view = await open(page, 'factcheck', 'factcheck-view');
  await expect(view.locator('.kn-analysis-figure svg').first()).toContainText(
    'Positive class: the statement is true',
  );
  await expect(page.getByTestId('factcheck-table').locator('caption')).toHaveText(
    'Precision, recall and F1 · positive class: the statement is true',
  );
  const { overall } = fixture.factCheck;
  const row = page.getByTestId('factcheck-table').locator('tbody tr').nth(1);
  await expect(row.locator('td').nth(2)).toHaveText(String(overall.baseline.confusion.tp));
  await view.getByLabel('Confusion matrices for').selectOption({ label: 'color (4 facts)' });
  await expect(page.getByTestId('relation-dkn')).toContainText('D_r of color');
  await shot(panel(page), testInfo, 'factcheck');

  const menu = view.getByRole('group', { name: 'Export the confusion matrices' });
  await checkFigureExports(page, menu, testInfo, 'factcheck-confusion');
  await checkFigureExports(
    page,
    view.getByRole('group', { name: 'Export the F1 bars' }),
    testInfo,
    'factcheck-f1',
  );
  const lines = await csvOf(page, menu);
  expect(lines[0]).toBe('relation,method,positive_class,tp,fp,fn,tn,precision,recall,f1,accuracy');
  expect(lines[1].startsWith('*,dkn,the statement is true,')).toBe(true);
});

test('selection frequency: planted counts, hover, click, and a binned 24 x 8192 map', async ({
  page,
}, testInfo) => {
  await open(page, 'frequency', 'frequency-view');
  const stage = page.getByTestId('frequency-stage');
  const box = (await stage.locator('svg').boundingBox())!;
  // Layout of the map (src/views/layout.ts) at 720 px: plot x 56, y 66, 20 px rows, 16 units.
  const unitW = (720 - 56 - 16) / 16;
  const at = { x: box.x + 56 + (3 + 0.5) * unitW, y: box.y + 66 + (3 - 1 + 0.5) * 20 };
  await page.mouse.move(at.x, at.y);
  await expect(page.getByTestId('frequency-readout')).toHaveText(
    'L1 · u3: selected for 1 of 6 facts',
  );
  await page.mouse.click(at.x, at.y);
  expect(await echoed(page, 'selected')).toBe('1:3');
  await shot(panel(page), testInfo, 'frequency');

  const large = await open(page, 'frequency-large', 'frequency-view');
  await expect(page.getByTestId('frequency-top').locator('tbody tr').first()).toContainText(
    'L20 · u5000180 of 400',
  );
  await large.getByRole('radio', { name: '√ count' }).check();
  await expect(large.locator('.kn-analysis-figure svg')).toContainText('√ scale');
  await shot(panel(page), testInfo, 'frequency-large-sqrt');
  const menu = large.getByRole('group', { name: 'Export the selection frequency' });
  await checkFigureExports(page, menu, testInfo, 'frequency-large');
  const lines = await csvOf(page, menu);
  expect(lines[1]).toBe('en,20,5000,180,400');
});

test('user text with markup stays text in every view and every export', async ({
  page,
}, testInfo) => {
  await open(page, 'hostile', 'overlap-view');
  await expect(page.getByTestId('lab-view')).toBeVisible();
  await expect(page.getByTestId('frequency-view')).toBeVisible();
  expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await page.locator('main img, main script, main b, main i').count()).toBe(0);
  // The markup shows as its characters: in the figures, the lists, the pickers.
  await expect(page.getByTestId('overlap-view')).toContainText(HOSTILE);
  await expect(page.getByTestId('before-after')).toContainText(HOSTILE);
  await expect(page.getByTestId('factcheck-table')).toContainText(HOSTILE);
  await shot(page, testInfo, 'hostile');
  const svg = await checkFigureExports(
    page,
    page.getByRole('group', { name: 'Export the overlap' }),
    testInfo,
    'hostile-overlap',
  );
  expect(svg.text).toContain('<i>model</i>');
  const lines = await csvOf(page, page.getByRole('group', { name: 'Export the F1 bars' }));
  // The relation id has quotes, so its field is quoted with the quotes doubled (RFC 4180).
  expect(lines.some((l) => l.startsWith(`"${HOSTILE.replace(/"/g, '""')}",dkn,`))).toBe(true);
  expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
});

test('the IndexedDB result store works in a Web Worker and keeps results across a reload', async ({
  page,
}) => {
  await open(page, 'idb', 'idb-ready');
  const step = (name: string) =>
    page.evaluate((s) => window.__idbStep!(s), name) as Promise<{
      ok: boolean;
      value?: unknown;
      error?: string;
    }>;
  expect(await step('write')).toEqual({ ok: true, value: { ok: true } });
  await page.reload();
  await expect(page.getByTestId('idb-ready')).toBeVisible();
  expect(await step('read')).toEqual({
    ok: true,
    value: {
      typed: true,
      scores: [1.5, -2, 3],
      nested: 1,
      overwritten: { n: 6 },
      missing: true,
      // Sorted by key; another model ('m2') and kind ('dkn') are not under the prefix.
      kn: ['kn/v1/m/abc/%E4%B8%AD/zh', 'kn/v1/m/abc/fact-1/en', 'kn/v1/m/abc/fact-2/zh'],
      all: 5,
    },
  });
  expect(await step('clear')).toEqual({
    ok: true,
    value: { deleted: 4, left: ['dkn/v1/m/abc/fact-1/en'] },
  });
});
