/**
 * The analysis views in the real app, computed by the real engine worker on WASM with the
 * bundled demo BERT and a few facts (issue #6): language overlap, degenerate neurons, the
 * intervention lab (one fact, then every fact of a data set), a weight edit and its revert, a
 * dataset run with its layer distributions and selection frequencies, and fact checking. Every
 * view is exported (PNG, SVG, CSV) and opened again from its share link; a dataset run is
 * reloaded mid-way and resumes. The demo models are retrained from time to time: the checks are
 * on structure, never on which neurons come out. Tests wait for states, never for time.
 */
import type { Locator, Page, TestInfo } from '@playwright/test';
import { DEFAULT_ANALYSIS, type AnalysisState } from '../src/app/analysis-state';
import { decodeState, shareUrl, stateParam } from '../src/app/share';
import { DEFAULT_SETTINGS } from '../src/attribution/settings';
import type { ExplorerState } from '../src/app/state';
import {
  DEMO_GPT2,
  expectModelReady,
  fakeHub,
  folderFiles,
  keepPage,
  runAll,
} from './explorer-helpers';
import { checkFigureExports, csvOf } from './figure-checks';
import { expect, test } from './fixtures';

test.skip(
  ({ backend }) => backend !== 'wasm',
  'the analyses run on WASM; the engine has its own WebGPU test',
);
test.use({ viewport: { width: 1400, height: 1000 } });

const CAPITAL = {
  id: 'france-capital',
  relation: 'P36',
  subject: 'France',
  prompts: [
    { language: 'en', text: 'The capital of France is [MASK] .', object: 'Paris' },
    { language: 'zh', text: '法国的首都是[MASK]。', object: '巴黎' },
  ],
  wrongObjects: { en: ['Berlin'], zh: ['柏林'] },
};
/** A second fact: the lab draws the unrelated prompts from it. */
const GERMANY = {
  id: 'germany-capital',
  relation: 'P36',
  subject: 'Germany',
  prompts: [
    { language: 'en', text: 'The capital of Germany is [MASK] .', object: 'Berlin' },
    { language: 'zh', text: '德国的首都是[MASK]。', object: '柏林' },
  ],
};

/** The explorer with demo BERT, the facts above (France shown), and this analysis state. */
function start(analysis: Partial<AnalysisState> = {}, settings = DEFAULT_SETTINGS): ExplorerState {
  return {
    model: { kind: 'bundled', name: 'demo-bert' },
    facts: [CAPITAL, GERMANY],
    settings,
    tau: {},
    view: { factId: CAPITAL.id },
    analysis: { ...DEFAULT_ANALYSIS, ...analysis },
  };
}

/** Opens a state as a link (the path and fragment of a share URL) and waits for the model. */
async function openState(page: Page, state: ExplorerState) {
  const url = await shareUrl(state, 'http://127.0.0.1/?backend=wasm');
  await page.goto(url.replace('http://127.0.0.1', ''));
  await expectModelReady(page, 'demo-bert');
}

/** The state in the page's address, once it has settled on what `ready` accepts. */
async function addressState(page: Page, ready: (s: ExplorerState) => boolean) {
  const read = async () => decodeState(stateParam(new URL(page.url()).hash) ?? '');
  await expect.poll(async () => ready(await read())).toBe(true);
  return read();
}

const tab = (page: Page, name: string) => page.getByRole('tab', { name, exact: true });
const tabPanel = (page: Page) => page.getByRole('tabpanel');

/** Opens the page's link in a new page of the same browser, which finds the stored results. */
async function reopen(page: Page): Promise<Page> {
  const other = await page.context().newPage();
  await other.goto(page.url());
  await expectModelReady(other, 'demo-bert');
  return other;
}

async function exportsOf(
  page: Page,
  view: Locator,
  menu: string,
  testInfo: TestInfo,
  name: string,
) {
  const group = view.getByRole('group', { name: menu });
  await checkFigureExports(page, group, testInfo, name);
  const lines = await csvOf(page, group);
  expect(lines.length).toBeGreaterThan(1);
  return lines;
}

test('every analysis view from the engine worker: run, export, open from its link', async ({
  page,
}, testInfo) => {
  test.setTimeout(600_000);
  // Few steps: every view is checked on structure, never on which neurons come out.
  await openState(page, start({}, { ...DEFAULT_SETTINGS, steps: 4 }));
  await runAll(page);

  // Language overlap: every prompt has its map, so it is shown without running anything.
  await tab(page, 'Language overlap').click();
  const overlap = tabPanel(page).getByTestId('overlap-view');
  await expect(overlap).toBeVisible();
  await expect(page.getByTestId('overlap-maps')).toHaveText(
    'Maps: en from the neuron map, zh from the neuron map.',
  );
  await expect(overlap.locator('.kn-analysis-figure svg [data-region]')).toHaveCount(3);
  await keepPage(page, testInfo, 'app-overlap');
  const overlapCsv = await exportsOf(page, overlap, 'Export the overlap', testInfo, 'overlap');
  expect(overlapCsv[0]).toBe('region,languages,layer,unit');
  // A region's neurons open in the neuron map.
  await overlap.locator(`[data-region='["en"]']`).click();
  const regionNeurons = page.getByTestId('region-neurons').getByRole('button');
  await overlap.getByRole('radio', { name: 'UpSet' }).check();
  if ((await regionNeurons.count()) > 0) {
    const label = await regionNeurons.first().textContent();
    await regionNeurons.first().click();
    await expect(tab(page, 'Neuron map')).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByTestId('neuron-panel').getByRole('heading')).toContainText(label!);
    await tab(page, 'Language overlap').click();
  }
  await addressState(
    page,
    (s) => s.analysis.tab === 'overlap' && s.analysis.overlap.layout === 'upset',
  );
  const overlapLink = await reopen(page);
  await expect(tabPanel(overlapLink).getByTestId('overlap-view')).toBeVisible();
  await expect(overlapLink.getByRole('radio', { name: 'UpSet' })).toBeChecked();
  await overlapLink.close();

  // Degenerate neurons of the English prompt: an estimate, then the search from its held map.
  await tab(page, 'Degenerate neurons').click();
  const panel = tabPanel(page);
  await expect(panel.getByTestId('analysis-estimate')).toHaveAttribute('data-complete', 'false');
  await panel.getByTestId('run-degenerate').click();
  const degenerate = panel.getByTestId('degenerate-view');
  await expect(degenerate).toBeVisible();
  await expect(degenerate.getByTestId('suppression-matrix').locator('svg')).toBeVisible();
  await keepPage(page, testInfo, 'app-degenerate');
  await checkFigureExports(
    page,
    degenerate.getByRole('group', { name: 'Export the degenerate graph' }),
    testInfo,
    'degenerate-graph',
  );
  const matrixCsv = await exportsOf(
    page,
    degenerate,
    'Export the suppression matrix',
    testInfo,
    'degenerate-matrix',
  );
  expect(matrixCsv[0]).toBe('layer_a,unit_a,layer_b,unit_b,p_suppressed,p0,degenerate_pair');
  await degenerate.getByRole('radio', { name: 'pairs', exact: true }).check();
  await addressState(
    page,
    (s) => s.analysis.ran.degenerate && s.analysis.degenerate.view.edges === 'pairs',
  );
  const degenerateLink = await reopen(page);
  await expect(tabPanel(degenerateLink).getByTestId('degenerate-view')).toBeVisible();
  await expect(degenerateLink.getByRole('radio', { name: 'pairs', exact: true })).toBeChecked();
  await degenerateLink.close();

  // The intervention lab on the fact: its English KN, suppressed and enhanced, in both languages.
  await tab(page, 'Intervention lab').click();
  const chooser = panel.getByTestId('neuron-set-chooser');
  await chooser.getByRole('radio', { name: /KN of/ }).check();
  await expect(panel.getByTestId('chosen-neurons').getByRole('button').first()).toBeVisible();
  await expect(panel.getByTestId('analysis-estimate')).toBeVisible();
  await panel.getByRole('button', { name: 'Run suppress and enhance' }).click();
  const lab = panel.getByTestId('lab-view');
  await expect(lab.getByTestId('lab-result-title')).toHaveText(/^KN en · 1 fact/);
  await expect(lab.getByTestId('before-after').locator('.kn-lab-prompt')).toHaveCount(2);
  await keepPage(page, testInfo, 'app-lab-fact');
  const labCsv = await exportsOf(page, lab, 'Export the intervention effects', testInfo, 'lab');
  // Related and unrelated prompts, suppressed and enhanced, in en and zh.
  expect(labCsv.length).toBe(1 + 2 * 2 * 2);
  await addressState(page, (s) => s.analysis.ran.lab && s.analysis.tab === 'lab');
  const labLink = await reopen(page);
  await expect(tabPanel(labLink).getByTestId('lab-result-title')).toHaveText(/^KN en · 1 fact/);
  await labLink.close();

  // A weight edit: erase the English KN, see both languages before and after, then revert.
  await tab(page, 'Weight edits').click();
  await panel.getByTestId('neuron-set-chooser').getByRole('radio', { name: /KN of/ }).check();
  await panel.getByTestId('apply-edit').click();
  const edit = panel.getByTestId('edit-view');
  await expect(edit).toBeVisible();
  await expect(page.getByTestId('edit-banner')).toBeVisible();
  await expect(panel.getByTestId('edit-status')).toHaveAttribute('data-applied', 'yes');
  await expect(edit.getByTestId('edit-before-after').locator('.kn-lab-prompt')).toHaveCount(2);
  await keepPage(page, testInfo, 'app-edit');
  const editCsv = await exportsOf(page, edit, 'Export the weight edit', testInfo, 'edit');
  expect(editCsv[0]).toBe(
    'fact,edit,neurons,language,prompt,target,token,p_before,p_after,top_before,top_after',
  );
  await panel.getByTestId('active-edits').getByRole('button', { name: 'Revert' }).click();
  await expect(panel.getByTestId('edit-restored')).toHaveAttribute('data-restored', 'yes');
  await expect(page.getByTestId('edit-banner')).toHaveCount(0);
  await expect(panel.getByTestId('edit-status')).toHaveAttribute('data-applied', 'no');
  await keepPage(page, testInfo, 'app-edit-reverted');
  await addressState(
    page,
    (s) => s.analysis.tab === 'edits' && s.analysis.edit.choice?.kind === 'kn',
  );
  const editLink = await reopen(page);
  await expect(
    tabPanel(editLink).getByTestId('neuron-set-chooser').getByRole('radio', { name: /KN of/ }),
  ).toBeChecked();
  await expect(tabPanel(editLink).getByTestId('apply-edit')).toBeEnabled();
  await editLink.close();

  // A dataset run over three capitals of the bundled fact set, with degenerate pairs.
  await tab(page, 'Dataset runs').click();
  await panel.getByTestId('per-relation').fill('3');
  await expect(panel.getByTestId('dataset-label')).toContainText('3 facts');
  await expect(panel.getByTestId('analysis-estimate')).toHaveAttribute('data-items', '6');
  await panel.getByTestId('run-dataset').click();
  await expect(panel.getByTestId('dataset-summary')).toHaveAttribute('data-items', '6');
  const layers = panel.getByTestId('layer-distribution-view');
  const frequency = panel.getByTestId('frequency-view');
  await expect(layers).toBeVisible();
  await expect(frequency).toBeVisible();
  await keepPage(page, testInfo, 'app-dataset');
  const layersCsv = await exportsOf(
    page,
    layers,
    'Export the layer distributions',
    testInfo,
    'layers',
  );
  expect(layersCsv[0]).toBe('relation,series,language,layer,neurons');
  await exportsOf(page, frequency, 'Export the selection frequency', testInfo, 'frequency');
  await layers.getByRole('radio', { name: 'share of total' }).check();
  await addressState(
    page,
    (s) => s.analysis.ran.dataset && s.analysis.dataset.layers.measure === 'share',
  );
  const datasetLink = await reopen(page);
  await expect(tabPanel(datasetLink).getByTestId('dataset-summary')).toHaveAttribute(
    'data-reused',
    '6',
  );
  await expect(datasetLink.getByRole('radio', { name: 'share of total' })).toBeChecked();
  await datasetLink.close();

  // The lab over every fact of the run: the per-relation effect bars.
  await tab(page, 'Intervention lab').click();
  await panel.getByRole('radio', { name: 'every fact of the data set run' }).check();
  await panel.getByTestId('neuron-set-chooser').getByRole('radio', { name: /KN of/ }).check();
  await panel.getByRole('button', { name: 'Run suppress and enhance' }).click();
  await expect(panel.getByTestId('lab-result-title')).toHaveText(/^KN en · 3 facts/);
  await expect(panel.locator('.kn-analysis-figure svg')).toContainText('P36');
  await keepPage(page, testInfo, 'app-lab-dataset');
  await exportsOf(
    page,
    panel.getByTestId('lab-view'),
    'Export the intervention effects',
    testInfo,
    'lab-dataset',
  );

  // Fact checking on the capitals: two to train on, one to test.
  await tab(page, 'Fact check').click();
  await panel.getByTestId('factcheck-relation').selectOption({ label: 'P36 (3 facts)' });
  await expect(panel.getByTestId('analysis-estimate')).toBeVisible();
  await panel.getByTestId('run-factcheck').click();
  const check = panel.getByTestId('factcheck-view');
  await expect(check).toBeVisible();
  await keepPage(page, testInfo, 'app-factcheck');
  // Two training facts give demo-bert no degenerate pair: the view says so and draws no empty
  // confusion matrices (analysis-views.spec exports them on a planted model); the baseline's F1.
  await expect(check.getByTestId('factcheck-gaps')).toContainText('add facts to the relation');
  await expect(check.getByRole('group', { name: 'Export the confusion matrices' })).toHaveCount(0);
  const checkCsv = await exportsOf(page, check, 'Export the F1 bars', testInfo, 'factcheck-f1');
  expect(checkCsv[0]).toMatch(/^relation,method,positive_class,tp,fp,fn,tn/);
  await addressState(page, (s) => s.analysis.ran.factcheck && s.analysis.tab === 'factcheck');
  const checkLink = await reopen(page);
  await expect(tabPanel(checkLink).getByTestId('factcheck-view')).toBeVisible();
  await checkLink.close();
});

test('a dataset run reloaded mid-way resumes from what it stored, and says how much it reused', async ({
  page,
}, testInfo) => {
  test.setTimeout(300_000);
  const source = { kind: 'factset' as const, relations: ['P36'], perRelation: 2 };
  await openState(
    page,
    start({ tab: 'dataset', dataset: { ...DEFAULT_ANALYSIS.dataset, source } }),
  );
  const panel = tabPanel(page);
  const summary = panel.getByTestId('dataset-summary');
  // A first run stores two facts × two languages.
  await expect(panel.getByTestId('analysis-estimate')).toHaveAttribute('data-items', '4');
  await panel.getByTestId('run-dataset').click();
  await expect(summary).toHaveAttribute('data-items', '4');

  // Eight facts: the first two are stored. Reload once a new item is stored too.
  await panel.getByTestId('per-relation').fill('8');
  await expect(panel.getByTestId('analysis-estimate')).toHaveAttribute('data-stored', '4');
  await expect(panel.getByTestId('analysis-estimate')).toHaveAttribute('data-items', '16');
  await panel.getByTestId('run-dataset').click();
  const progress = panel.getByTestId('analysis-progress');
  await expect(progress).toHaveAttribute('data-phase', 'running');
  await expect(panel.getByTestId('dataset-progress')).toHaveAttribute('data-reused', '4');
  await expect
    .poll(async () => Number(await progress.getAttribute('data-done')))
    .toBeGreaterThanOrEqual(5);
  await page.reload();
  await expectModelReady(page, 'demo-bert');

  // The page comes back on the data set with what was stored: resume it.
  const resumable = panel.getByTestId('dataset-resumable');
  await expect(resumable.or(summary)).toBeVisible();
  await keepPage(page, testInfo, 'app-dataset-resumable');
  if (await resumable.isVisible()) {
    const stored = Number(await panel.getByTestId('analysis-estimate').getAttribute('data-stored'));
    expect(stored).toBeGreaterThanOrEqual(5);
    expect(stored).toBeLessThan(16);
    await expect(panel.getByTestId('run-dataset')).toHaveText(`Resume (${16 - stored} items left)`);
    await panel.getByTestId('run-dataset').click();
    await expect(summary).toHaveAttribute('data-reused', String(stored));
  }
  // (A reload after the last item was stored shows the whole run at once, every item reused.)
  await expect(summary).toHaveAttribute('data-items', '16');
  expect(Number(await summary.getAttribute('data-reused'))).toBeGreaterThanOrEqual(5);
  await expect(panel.getByTestId('layer-distribution-view')).toBeVisible();
  await keepPage(page, testInfo, 'app-dataset-resumed');
});

test('an analysis tab opened from a link before its model loads estimates once the model is there', async ({
  page,
}) => {
  // A Hub model waits for the user's consent to download: the dataset tab is open with no
  // model meanwhile, and must ask for its estimate when the model has loaded, not before.
  await fakeHub(page, { 'kne-test/tiny-gpt2': { files: folderFiles(DEMO_GPT2) } });
  const state: ExplorerState = {
    ...start({
      tab: 'dataset',
      dataset: { ...DEFAULT_ANALYSIS.dataset, source: { kind: 'explorer' } },
    }),
    model: { kind: 'hub', id: 'kne-test/tiny-gpt2' },
    facts: [{ ...GERMANY, prompts: GERMANY.prompts.slice(0, 1) }],
    view: {},
  };
  const url = await shareUrl(state, 'http://127.0.0.1/?backend=wasm');
  await page.goto(url.replace('http://127.0.0.1', ''));
  const status = page.getByTestId('model-status');
  await expect(status).toHaveAttribute('data-phase', 'waiting');
  // The engine has started (and could have answered an estimate) before the model is loaded.
  await expect(page.getByTestId('status-bar')).toHaveAttribute('data-phase', 'ready');
  await expect(tabPanel(page)).toContainText('Load a model first');
  await status.getByRole('button', { name: 'Download and load it' }).click();
  await expectModelReady(page, 'kne-test/tiny-gpt2');
  const panel = tabPanel(page);
  await expect(panel.getByTestId('analysis-estimate')).toHaveAttribute('data-items', '1');
  await expect(panel.getByRole('alert')).toHaveCount(0);
  await panel.getByTestId('run-dataset').click();
  await expect(panel.getByTestId('dataset-summary')).toHaveAttribute('data-items', '1');
});
