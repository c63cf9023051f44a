/**
 * A results folder of the kne command line opened in the explorer (issue 12, part 5): kne
 * attributes three capitals in English and Chinese on the demo BERT and analyses them; the folder
 * is picked, then dropped, on the Dataset tab, whose views show it without running anything, and
 * whose CSV export is the one kne analyze wrote. Tests wait for states, never for time.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ANALYSIS } from '../src/app/analysis-state';
import { shareUrl } from '../src/app/share';
import type { ExplorerState } from '../src/app/state';
import { DEFAULT_SETTINGS } from '../src/attribution/settings';
import { expectModelReady, keepPage } from './explorer-helpers';
import { csvOf } from './figure-checks';
import { expect, test } from './fixtures';

test.skip(({ backend }) => backend !== 'wasm', 'no engine work: one backend is enough');
test.use({ viewport: { width: 1400, height: 1000 } });

const work = mkdtempSync(join(tmpdir(), 'kne-e2e-folder-'));
const run = join(work, 'capitals');
const analysis = join(work, 'capitals-analysis');

test.beforeAll(() => {
  const kne = (...args: string[]) =>
    execFileSync(process.execPath, ['bin/kne.js', ...args], { stdio: 'pipe' });
  kne(
    ...['attribute', '--model', 'public/models/demo-bert', '--facts', 'factset'],
    ...['--relations', 'P36', '--per-relation', '3', '--languages', 'en,zh', '--steps', '2'],
    ...['--threads', '1', '--out', run],
  );
  kne('analyze', '--in', run, '--out', analysis);
});
test.afterAll(() => rmSync(work, { recursive: true, force: true }));

const START: ExplorerState = {
  model: { kind: 'bundled', name: 'demo-bert' },
  facts: [],
  settings: DEFAULT_SETTINGS,
  tau: {},
  view: {},
  analysis: { ...DEFAULT_ANALYSIS, tab: 'dataset' },
};

test('a kne results folder, picked or dropped, shows in the dataset views without a run', async ({
  page,
}, testInfo) => {
  test.setTimeout(300_000);
  const url = await shareUrl(START, 'http://127.0.0.1/?backend=wasm');
  await page.goto(url.replace('http://127.0.0.1', ''));
  await expectModelReady(page, 'demo-bert');
  const panel = page.getByRole('tabpanel');

  // Picked with the folder picker.
  await panel.getByTestId('results-folder-input').setInputFiles(run);
  const summary = panel.getByTestId('results-folder-summary');
  await expect(summary).toHaveAttribute('data-items', '6');
  await expect(summary).toContainText('capitals, 3 facts in en, zh');
  await expect(summary).toContainText('local:demo-bert (amig, 2 steps)');
  await expect(panel.getByTestId('results-folder-other-model')).toHaveCount(0);
  const layers = panel.getByTestId('layer-distribution-view');
  await expect(layers).toBeVisible();
  await expect(panel.getByTestId('frequency-view')).toBeVisible();
  // Nothing ran: no progress, no run of the tab's own.
  await expect(panel.getByTestId('analysis-progress')).toHaveCount(0);
  await expect(panel.getByTestId('dataset-summary')).toHaveCount(0);
  await keepPage(page, testInfo, 'results-folder');

  // Its export is the table kne analyze wrote from the same folder.
  const csv = await csvOf(
    page,
    layers.getByRole('group', { name: 'Export the layer distributions' }),
  );
  expect(csv).toEqual(readFileSync(join(analysis, 'layers.csv'), 'utf8').trimEnd().split('\n'));

  // The analysis folder is not a results folder: the message says which to open.
  await panel.getByTestId('results-folder-close').click();
  await expect(summary).toHaveCount(0);
  await panel.getByTestId('results-folder-input').setInputFiles(analysis);
  await expect(panel.getByTestId('results-folder-error')).toContainText(
    'open the results folder it analysed',
  );

  // Dropped: the folder's files dropped on the tab.
  const files = readdirSync(run)
    .filter((name) => name.endsWith('.json') || name.endsWith('.jsonl'))
    .map((name) => ({ name, text: readFileSync(join(run, name), 'utf8') }));
  const drop = await page.evaluateHandle((list) => {
    const data = new DataTransfer();
    for (const f of list) data.items.add(new File([f.text], f.name));
    return data;
  }, files);
  await panel.getByTestId('dataset-tab').dispatchEvent('drop', { dataTransfer: drop });
  await expect(summary).toHaveAttribute('data-items', '6');
  await expect(panel.getByTestId('results-folder-error')).toHaveCount(0);
});
