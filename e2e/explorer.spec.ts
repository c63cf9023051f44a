/**
 * The explorer as a new user meets it (issue #5): pick a model, enter a fact in English and
 * Chinese, see what the run will cost, run it, read the neuron maps, change tau, export
 * figures, reload, share. Also the ways it can go wrong (bad uploads, prompts, Hub errors), and
 * WebGPU against WASM against onnxruntime-node on one small attribution. Tests wait for states
 * (data-phase attributes, texts), never for time.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attribute } from '../src/attribution/attribute';
import { loadModel } from '../src/model';
import { decodeState, shareUrl, stateParam } from '../src/app/share';
import { DEFAULT_ANALYSIS } from '../src/app/analysis-state';
import { DEFAULT_SETTINGS } from '../src/attribution/settings';
import type { ExplorerState } from '../src/app/state';
import { createNodeRuntime } from '../src/runtime/node';
import { NodeFolderSource } from '../src/weights/node-source';
import {
  DEMO_GPT2,
  addFact,
  canvasColors,
  downloaded,
  expectMapsOnFirstScreen,
  expectModelReady,
  fakeHub,
  folderFiles,
  keepPage,
  knowledgeNeurons,
  loadHubModel,
  modelSettled,
  pngFacts,
  readmeScreenshot,
  runAll,
  svgFacts,
} from './explorer-helpers';
import { expect, test } from './fixtures';

const CAPITAL = [
  { language: 'en', text: 'The capital of France is [MASK] .', object: 'Paris' },
  { language: 'zh', text: '法国的首都是[MASK]。', object: '巴黎' },
];

test.describe('explorer (WASM)', () => {
  test.skip(
    ({ backend }) => backend !== 'wasm',
    'the user path runs on WASM; WebGPU has its own test',
  );

  test('a new user: a fact in English and Chinese, run, maps, tau, exports, reload, share', async ({
    page,
    browser,
  }, testInfo) => {
    test.setTimeout(240_000); // two runs, a reload and a second page on a shared machine
    await page.goto('/?backend=wasm');
    await expectModelReady(page);
    await keepPage(page, testInfo, 'explorer-1-open');

    await addFact(page, CAPITAL);
    const fact = page.getByTestId('fact-list').locator('li.fact');
    await expect(fact).toHaveCount(1);
    await expect(fact.locator('li[data-language]')).toHaveCount(2);

    // Before the run: what it costs.
    const estimate = page.getByTestId('estimate');
    await expect(estimate).toContainText('2 prompts to run');
    await expect(estimate).toContainText(/block evaluations, about .+ on WASM/);
    expect(Number(await estimate.getAttribute('data-forward'))).toBeGreaterThan(0);
    await keepPage(page, testInfo, 'explorer-2-estimate');

    await runAll(page);
    await expect(page.getByTestId('run-progress').locator('li')).toHaveText([
      /· en: done$/,
      /· zh: done$/,
    ]);
    for (const language of ['en', 'zh']) {
      await expect(page.getByTestId(`neuron-map-${language}`)).toBeVisible();
      expect(await canvasColors(page, `neuron-map-${language}`)).toBeGreaterThan(4);
    }
    await expect(fact.locator('li[data-state=ready]')).toHaveCount(2);
    const before = await knowledgeNeurons(page, 'en');
    expect(before.length).toBeGreaterThan(0);

    // Predictions per language, and the strongest English neuron in detail: its score in both
    // maps and the tokens its value vector promotes and demotes (computed on the device).
    const predictions = page.getByTestId('predictions');
    await expect(predictions.getByRole('region', { name: 'Predictions, en' })).toBeVisible();
    await expect(predictions.getByRole('region', { name: 'Predictions, zh' })).toBeVisible();
    await page.getByTestId('kn-list-en').locator('tbody button').first().click();
    const panel = page.getByTestId('neuron-panel');
    await expect(panel.getByRole('heading')).toContainText(before[0]);
    await expect(panel.locator('tbody td:first-child', { hasText: /^(en|zh)$/ })).toHaveCount(2);
    await expect(panel.locator('table', { hasText: 'Promotes' }).locator('tbody tr')).toHaveCount(
      10,
    );
    await expect(panel.locator('table', { hasText: 'Demotes' }).locator('tbody tr')).toHaveCount(
      10,
    );
    await keepPage(page, testInfo, 'explorer-3-maps');

    // tau: a higher threshold keeps fewer knowledge neurons, and the link remembers it.
    await page.getByTestId('tau-en').getByRole('spinbutton').fill('0.6');
    await expect
      .poll(async () => (await knowledgeNeurons(page, 'en')).length)
      .toBeLessThan(before.length);
    const atTau = await knowledgeNeurons(page, 'en');
    await expect(page.getByTestId('tau-en').getByRole('spinbutton')).toHaveValue('0.6');

    // Exports of the English map: a 2x PNG that is not blank, and an SVG with cells.
    const exports = page.getByRole('group', { name: 'Export the en map' });
    const png = await downloaded(page, () => exports.getByRole('button', { name: 'PNG' }).click());
    expect(png.name).toMatch(/\.png$/);
    expect(png.bytes.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    const width = png.bytes.readUInt32BE(16);
    const height = png.bytes.readUInt32BE(20);
    expect(width).toBeGreaterThanOrEqual(1000); // 2x
    expect(height).toBeGreaterThan(200);
    const pixels = await pngFacts(page, png.bytes);
    expect(pixels).toMatchObject({ width, height });
    expect(pixels.colors).toBeGreaterThan(50);
    await testInfo.attach('export-en.png', { body: png.bytes, contentType: 'image/png' });

    const svg = await downloaded(page, () => exports.getByRole('button', { name: 'SVG' }).click());
    expect(svg.name).toMatch(/\.svg$/);
    const svgText = svg.bytes.toString('utf8');
    const shape = await svgFacts(page, svgText);
    expect(shape.ok).toBe(true);
    expect(shape.cells).toBeGreaterThan(50);
    expect(shape.colors).toBeGreaterThan(10);
    await testInfo.attach('export-en.svg', { body: svg.bytes, contentType: 'image/svg+xml' });

    // Reload: the same view, from the address and the result cache, without running. The
    // address follows the state once it settles: wait until it holds the new tau.
    const tauInAddress = async (p: Page) =>
      (await decodeState(stateParam(new URL(p.url()).hash) ?? '')).tau.en;
    await expect.poll(() => tauInAddress(page)).toBe(0.6);
    const link = page.url();
    const shareInput = page.getByTestId('share-url');
    await expect(shareInput).toHaveValue(link);
    await page.reload();
    await expectModelReady(page);
    await expect(page.getByTestId('all-ready')).toBeVisible();
    await expect(page.getByTestId('run')).toBeDisabled();
    await expect(page.getByTestId('run-progress')).toHaveCount(0);
    await expect(page.getByTestId('tau-en').getByRole('spinbutton')).toHaveValue('0.6');
    expect(await knowledgeNeurons(page, 'en')).toEqual(atTau);
    await keepPage(page, testInfo, 'explorer-4-reloaded');

    // The share link in a new page of the same browser: the same view, from its cache.
    const shared = await shareInput.inputValue();
    expect(shared).toBe(link);
    const second = await page.context().newPage();
    await second.goto(shared);
    await expectModelReady(second);
    await expect(second.getByTestId('all-ready')).toBeVisible();
    expect(await knowledgeNeurons(second, 'en')).toEqual(atTau);
    await second.close();

    // ... and in a browser that has never seen it: same facts and settings, run again, same map.
    const context = await browser.newContext();
    const fresh = await context.newPage();
    await fresh.goto(shared);
    await expectModelReady(fresh);
    await expect(fresh.getByTestId('fact-list').locator('li.fact')).toHaveCount(1);
    await runAll(fresh);
    await expect(fresh.getByTestId('tau-en').getByRole('spinbutton')).toHaveValue('0.6');
    expect(await knowledgeNeurons(fresh, 'en')).toEqual(atTau);
    expect(await knowledgeNeurons(fresh, 'zh')).toEqual(await knowledgeNeurons(page, 'zh'));
    await keepPage(fresh, testInfo, 'explorer-5-shared-fresh');
    await context.close();
  });

  test('a first visit runs an example by itself; once the visitor has acted, it does not', async ({
    page,
    context,
  }, testInfo) => {
    test.setTimeout(240_000); // a run, a reload and a second page on a shared machine
    // The README's screenshots come from this visit (`npm run screenshots` writes them to docs/).
    await page.setViewportSize({ width: 1440, height: 900 });
    // The plain address, nothing kept: the example is added and run without a click.
    await page.goto('/');
    await expect(page.getByTestId('example-banner')).toBeVisible();
    for (const language of ['en', 'zh'])
      await expect(page.getByTestId(`neuron-map-${language}`)).toBeVisible();
    await expect(page.getByTestId('run-progress')).toHaveAttribute('data-phase', 'finished');
    // The example was chosen for neurons its languages share: the map shows what "shared" means.
    await expect(page.getByTestId('shared-neurons')).toContainText(/Shared by en and zh: [1-9]/);
    await readmeScreenshot(page, testInfo, 'first-map');
    // Both languages' maps are on the first screen at 1440 x 900, the first one at 1024 x 700.
    await expectMapsOnFirstScreen(page, ['en', 'zh']);
    await page.setViewportSize({ width: 1024, height: 700 });
    await expectMapsOnFirstScreen(page, ['en']);
    await page.setViewportSize({ width: 1440, height: 900 });
    // A reload shows the maps from the cache, without running again.
    await page.reload();
    await expect(page.getByTestId('all-ready')).toBeVisible();
    await expect(page.getByTestId('neuron-map-en')).toBeVisible();
    await expect(page.getByTestId('run-progress')).toHaveCount(0);
    // The strongest English knowledge neuron, from its list, opens beside the maps.
    const strongest = page.getByTestId('kn-list-en').locator('tbody tr').first();
    const name = (await strongest.locator('td').first().textContent())!.trim();
    await strongest.getByRole('button').first().click();
    await page.evaluate(() => window.scrollTo(0, 0));
    await expect(page.getByTestId('neuron-panel')).toContainText(name);
    await expect(page.getByTestId('neuron-panel')).toBeInViewport();
    await readmeScreenshot(page, testInfo, 'neuron-panel');
    // What am I looking at: a sentence or two, and the method's section in place.
    const help = page.getByTestId('view-help-map');
    await help.locator('summary').click();
    await expect(help).toContainText('Ringed neurons are the knowledge neurons');
    await help.getByTestId('view-help-method').click();
    await expect(help.getByTestId('view-help-text')).toContainText('KN = {(l, i) : A(l, i) > tau');
    await page.getByTestId('tab-overlap').click();
    const overlapHelp = page.getByTestId('view-help-overlap');
    await overlapHelp.locator('summary').click();
    await expect(overlapHelp).toContainText('language-independent neurons (LIKN)');
    await readmeScreenshot(page, testInfo, 'overlap');
    await page.getByTestId('tab-map').click();
    // The visitor acts: the example goes, and a new visit starts from what they left.
    await page.getByRole('button', { name: 'Remove all facts' }).click();
    await expect(page.getByTestId('fact-list').locator('li.fact')).toHaveCount(0);
    await expect
      .poll(async () => {
        const value = stateParam(new URL(page.url()).hash);
        return value ? (await decodeState(value)).facts.length : -1;
      })
      .toBe(0);
    const again = await context.newPage();
    await again.goto('/');
    // Restored and written back: an example would be in the state by then.
    await expect
      .poll(async () => {
        const value = stateParam(new URL(again.url()).hash);
        return value ? (await decodeState(value)).facts.length : -1;
      })
      .toBe(0);
    await expect(again.getByTestId('fact-list').locator('li.fact')).toHaveCount(0);
    await expect(again.getByTestId('example-banner')).toHaveCount(0);
    await expect(again.getByTestId('run-progress')).toHaveCount(0);
  });

  test('a prompt without [MASK] is refused with the reason, and the fields keep the text', async ({
    page,
  }) => {
    await page.goto('/?backend=wasm');
    await addFact(page, [
      { language: 'en', text: 'The capital of France is Paris .', object: 'Paris' },
    ]);
    const draft = page.getByTestId('draft-0');
    await expect(draft.getByRole('alert')).toHaveText(
      'Prompt has no [MASK]: add [MASK] where the object goes.',
    );
    await expect(draft.getByTestId('draft-text')).toHaveAttribute('aria-invalid', 'true');
    await expect(draft.getByTestId('draft-text')).toHaveValue('The capital of France is Paris .');
    await expect(page.getByTestId('fact-list')).toHaveCount(0);
  });

  test('the main actions work from the keyboard', async ({ page }) => {
    await page.goto('/?backend=wasm');
    await expectModelReady(page);
    // Type a fact field by field with Tab, and add it with Enter (the form submits).
    await page.getByTestId('draft-text').focus();
    await page.keyboard.type('The capital of Spain is [MASK] .');
    await page.keyboard.press('Tab');
    await expect(page.getByTestId('draft-object')).toBeFocused();
    await page.keyboard.type('Madrid');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('fact-list').locator('li.fact')).toHaveCount(1);
    // Switch the prompt to a template with the arrow keys, as a radio group does.
    await page.getByRole('radio', { name: 'prompt with [MASK]' }).focus();
    await page.keyboard.press('ArrowDown');
    await expect(page.getByTestId('draft-template')).toBeVisible();
    // Run with Enter on the focused button.
    await expect(page.getByTestId('estimate')).toBeVisible();
    await page.getByTestId('run').focus();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('run-progress')).toHaveAttribute('data-phase', 'finished');
    await expect(page.getByTestId('neuron-map-en')).toBeVisible();
  });

  test('an upload keeps the good lines and reports every bad one with its line number', async ({
    page,
  }, testInfo) => {
    await page.goto('/?backend=wasm');
    await page.getByTestId('more-upload').locator('summary').click();
    const lines = [
      '{"sub_label": "France", "obj_label": "Paris", "template": "The capital of [X] is [Y] .", "language": "en"}',
      '{"sub_label": "Spain", "template": "The capital of [X] is [Y] ."}',
      'not json at all',
      '{"sub_label": "Italy", "obj_label": "Rome", "template": "The capital of [X] is [Y] .", "language": "en"}',
      '{"sub_label": "Peru", "obj_label": "Lima", "template": "The capital of [X] is Lima ."}',
    ];
    await page.getByTestId('fact-paste').fill(lines.join('\n'));
    await page.getByTestId('read-pasted').click();
    const report = page.getByTestId('upload-report');
    await expect(report).toContainText(
      'Added 2 facts from the pasted text (mLAMA JSONL; default language en); 3 problems',
    );
    const errors = page.getByTestId('upload-errors').locator('li');
    await expect(errors).toHaveCount(3);
    await expect(errors.nth(0)).toHaveAttribute('data-line', '2');
    await expect(errors.nth(1)).toHaveAttribute('data-line', '3');
    await expect(errors.nth(2)).toHaveAttribute('data-line', '5');
    await expect(errors.nth(0)).toContainText(/^Line 2: missing object/);
    await expect(page.getByTestId('fact-list').locator('li.fact')).toHaveCount(2);
    await expect(page.getByTestId('fact-list')).toContainText('The capital of Italy is [MASK] .');

    // A CSV file dropped on the same box goes the same way.
    const csv =
      'language,template,subject,object\nen,The capital of [X] is [Y] .,Japan,Tokyo\nen,no slots here,Chile,Santiago\n';
    const file = join(mkdtempSync(join(tmpdir(), 'kne-')), 'capitals.csv');
    writeFileSync(file, csv);
    await page.getByTestId('fact-file').setInputFiles(file);
    await expect(report).toContainText(
      'Added 1 fact from capitals.csv (CSV; default language en); 1 problem',
    );
    await expect(page.getByTestId('upload-errors').locator('li')).toHaveAttribute('data-line', '3');
    await expect(page.getByTestId('fact-list').locator('li.fact')).toHaveCount(3);
    await keepPage(page, testInfo, 'upload-errors');
  });

  test('facts from the bundled fact set come in both languages', async ({ page }) => {
    test.setTimeout(240_000); // six prompts run, and a reload, on a shared machine
    await page.goto('/?backend=wasm');
    await page.getByTestId('more-factset').locator('summary').click();
    await page.getByTestId('factset-relation').selectOption('P36');
    await page.getByTestId('factset-fact').selectOption({ label: 'France → Paris' });
    await page.getByTestId('factset-add').click();
    const fact = page.getByTestId('fact-list').locator('li.fact');
    await expect(fact.locator('li[data-language=en]')).toContainText(
      'The capital of France is [MASK] . → Paris',
    );
    await expect(fact.locator('li[data-language=zh]')).toContainText('法国的首都是[MASK]。 → 巴黎');

    // With its paraphrases: three templates per language, all run (the estimate counts them),
    // and the map can be refined across them with a share p.
    await fact.getByRole('button', { name: /^Remove/ }).click();
    // The empty list's panel starts afresh, with the picker closed.
    const picker = page.getByTestId('more-factset');
    if (!(await picker.evaluate((d) => (d as HTMLDetailsElement).open)))
      await picker.locator('summary').click();
    await page.getByTestId('factset-relation').selectOption('P36');
    await page.getByTestId('factset-fact').selectOption({ label: 'France → Paris' });
    await page.getByTestId('factset-paraphrases').check();
    await page.getByTestId('factset-add').click();
    await expect(fact).toHaveCount(1);
    await expect(fact.locator('li[data-language=en]')).toHaveCount(3);
    await expect(fact.locator('li[data-language=zh]')).toHaveCount(3);
    await expect(page.getByTestId('estimate')).toContainText('6 prompts to run');
    await expectModelReady(page);
    await runAll(page);
    const mode = page.getByTestId('paraphrase-mode');
    await expect(mode).toContainText('en: 3 prompts, zh: 3 prompts');
    const first = await knowledgeNeurons(page, 'en');
    await mode.getByLabel('paraphrase-refined').check();
    const list = page.getByTestId('kn-list-en');
    await expect(list.locator('caption')).toContainText('refined over 3 paraphrases');
    // Each kept neuron is in more than half of the three sets: 2 or 3 of them.
    const counts = await list.getByTestId('kn-stability').allTextContents();
    expect(counts.length).toBeGreaterThan(0);
    for (const c of counts) expect(c).toMatch(/^[23] of 3$/);
    // p = 0 keeps every paraphrase's neurons: at least the first paraphrase's.
    await page.getByTestId('paraphrase-p').fill('0');
    await expect
      .poll(async () => (await knowledgeNeurons(page, 'en')).length)
      .toBeGreaterThanOrEqual(first.length);
    await expect(page.getByTestId('neuron-map-en').locator('svg.kn-map-overlay')).toContainText(
      /refined.*\(?p = 0\b/,
    );
    // The neuron panel says how many paraphrases select a neuron.
    await list.locator('tbody button').first().click();
    await expect(page.getByTestId('neuron-stability').first()).toContainText(/in [123] of 3/);
    // A reload keeps the maps (cached per paraphrase) and the refined view with its p.
    const pInAddress = async () =>
      (await decodeState(stateParam(new URL(page.url()).hash) ?? '')).analysis.paraphrases;
    await expect.poll(pInAddress).toEqual({ refined: true, p: 0 });
    await page.reload();
    await expect(page.getByTestId('all-ready')).toBeVisible();
    await expect(page.getByTestId('kn-list-en').locator('caption')).toContainText(
      'refined over 3 paraphrases',
    );
    await expect(page.getByTestId('paraphrase-p')).toHaveValue('0');
  });

  test('a Hub model downloads with progress, is kept for offline use, and can be removed', async ({
    page,
  }, testInfo) => {
    let release = () => {};
    const until = new Promise<void>((r) => (release = r));
    const files = folderFiles(DEMO_GPT2);
    const requests = await fakeHub(page, {
      'kne-test/tiny-gpt2': { files },
      'kne-test/held': { files, hold: { file: 'model.safetensors', until } },
    });
    await page.goto('/?backend=wasm');
    await expectModelReady(page);

    // A download in progress shows a progress bar and can be cancelled; nothing is kept.
    await loadHubModel(page, 'kne-test/held');
    const status = page.getByTestId('model-status');
    await expect(status.getByRole('progressbar', { name: 'Loading kne-test/held' })).toBeVisible();
    await expect(status).toContainText(/Downloading \S+\.json: \d/);
    await keepPage(page, testInfo, 'hub-downloading');
    await status.getByRole('button', { name: 'Cancel' }).click();
    await expect(status).toHaveAttribute('data-phase', 'none');
    release();
    await expect(page.getByTestId('cached-models')).toHaveCount(0);

    await loadHubModel(page, 'kne-test/tiny-gpt2');
    await expectModelReady(page, 'kne-test/tiny-gpt2');
    expect(requests).toContain('GET /kne-test/tiny-gpt2/resolve/main/model.safetensors');
    const cached = page.getByTestId('cached-models');
    await expect(cached).toContainText('kne-test/tiny-gpt2');
    await expect(cached).toContainText('MB');
    await keepPage(page, testInfo, 'hub-loaded');

    // Offline: the Hub is unreachable, and a reload (the link names the Hub model) still loads it.
    await page.unroute('https://huggingface.co/**');
    await page.route('https://huggingface.co/**', (route) => route.abort('internetdisconnected'));
    await page.reload();
    await expectModelReady(page, 'kne-test/tiny-gpt2');

    await cached
      .getByRole('button', { name: 'Remove kne-test/tiny-gpt2 from this browser' })
      .click();
    await expect(page.getByTestId('cached-models')).toHaveCount(0);
    // Removed and offline: loading it again says so.
    await loadHubModel(page, 'kne-test/tiny-gpt2');
    expect(await modelSettled(page)).toBe('error');
    await expect(page.getByTestId('model-error')).toContainText('you may be offline');
  });

  test('a Hub model’s size and time are known before its download, and nothing is kept', async ({
    page,
  }) => {
    const requests = await fakeHub(page, {
      'kne-test/tiny-gpt2': { files: folderFiles(DEMO_GPT2) },
    });
    await page.goto('/?backend=wasm');
    await expectModelReady(page);
    await page.getByTestId('hub-id').fill('kne-test/tiny-gpt2');
    await page.getByRole('button', { name: 'Size and time first' }).click();
    const verdict = page.getByTestId('hub-assessment');
    await expect(verdict).toContainText(/kne-test\/tiny-gpt2: [\d,]+ M parameters, a .* download/);
    await expect(verdict).toContainText(/WASM: fits \(.*\); about .* per map\./);
    // config.json and a one-byte probe of the checkpoint; no download, nothing in the cache.
    expect(requests).not.toContain('GET /kne-test/tiny-gpt2/resolve/main/tokenizer.json');
    await expect(page.getByTestId('cached-models')).toHaveCount(0);
  });

  test('float32 weights load as 16-bit on request, the summary says so, and a reload keeps it', async ({
    page,
  }) => {
    await page.goto('/?backend=wasm');
    await expectModelReady(page, 'demo-bert');
    await expect(page.getByTestId('model-weights')).toContainText(/float32$/);
    await page.getByTestId('float32-as-16').getByRole('checkbox').check();
    await expectModelReady(page, 'demo-bert (float32 weights as 16-bit)');
    await expect(page.getByTestId('model-weights')).toContainText(
      'float32 weights rounded to 16-bit',
    );
    // The setting is part of the state (the link in the address bar): a reload keeps it.
    await expect
      .poll(async () => {
        const value = stateParam(new URL(page.url()).hash);
        return value && (await decodeState(value)).float32As16;
      })
      .toBe(true);
    await page.reload();
    await expectModelReady(page, 'demo-bert (float32 weights as 16-bit)');
    await expect(page.getByTestId('float32-as-16').getByRole('checkbox')).toBeChecked();
  });

  test('Hub errors say what is wrong: unknown id, private, unsupported, missing file, cut download', async ({
    page,
  }) => {
    const files = folderFiles(DEMO_GPT2);
    const gemma = { ...files, 'config.json': Buffer.from('{"model_type": "gemma"}') };
    await fakeHub(page, {
      'kne-test/private': { files, fail: { status: 401 } },
      'kne-test/gemma': { files: gemma },
      'kne-test/no-tokenizer': { files: folderFiles(DEMO_GPT2, ['tokenizer.json']) },
      'kne-test/cut': { files, cut: { file: 'model.safetensors', bytes: 100_000 } },
    });
    await page.goto('/?backend=wasm');
    await expectModelReady(page);
    const cases: [string, RegExp][] = [
      [
        'kne-test/missing',
        /"kne-test\/missing" was not found on the Hugging Face Hub, or it is private \(HTTP 404/,
      ],
      [
        'kne-test/private',
        /"kne-test\/private" was not found on the Hugging Face Hub, or it is private \(HTTP 401/,
      ],
      [
        'kne-test/gemma',
        /model_type "gemma" is not supported; supported model types: bert, roberta, xlm-roberta, camembert, gpt2, llama, mistral, qwen2, qwen3/,
      ],
      ['kne-test/no-tokenizer', /tokenizer\.json was not found for model "kne-test\/no-tokenizer"/],
      [
        'kne-test/cut',
        /The download of model\.safetensors of "kne-test\/cut" was cut short: 100000 of \d+ bytes/,
      ],
      ['https://huggingface.co/x', /is not a valid Hugging Face model id/],
    ];
    for (const [id, message] of cases) {
      await loadHubModel(page, id);
      expect(await modelSettled(page), id).toBe('error');
      await expect(page.getByTestId('model-error')).toHaveText(message);
    }
    // A failed download is not kept.
    await expect(page.getByTestId('cached-models')).toHaveCount(0);
  });

  test('a model folder from disk loads, and a folder that lacks a file says which', async ({
    page,
  }) => {
    await page.goto('/?backend=wasm');
    await expectModelReady(page);
    await page.getByTestId('model-folder').setInputFiles(DEMO_GPT2);
    await expectModelReady(page, 'local:demo-gpt2');

    const partial = join(mkdtempSync(join(tmpdir(), 'kne-')), 'half-model');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(partial);
    for (const [name, bytes] of Object.entries(folderFiles(DEMO_GPT2, ['tokenizer.json'])))
      writeFileSync(join(partial, name), bytes);
    await page.getByTestId('model-folder').setInputFiles(partial);
    expect(await modelSettled(page)).toBe('error');
    await expect(page.getByTestId('model-error')).toContainText(
      'tokenizer.json is not among the picked files of "local:half-model"',
    );
  });

  test('a run can be cancelled, and started again', async ({ page }) => {
    await page.goto('/?backend=wasm');
    await expectModelReady(page);
    await page.getByTestId('setting-steps').fill('200');
    await addFact(page, CAPITAL);
    await expect(page.getByTestId('estimate')).toBeVisible();
    await page.getByTestId('run').click();
    const progress = page.getByTestId('run-progress');
    await expect(progress.locator('li[data-state=running]')).toHaveCount(1);
    await page.getByTestId('cancel-run').click();
    await expect(progress).toHaveAttribute('data-phase', 'cancelled');
    await expect(progress.locator('li[data-state=cancelled]')).not.toHaveCount(0);
    await expect(page.getByTestId('run')).toBeEnabled();
    await expect(page.getByTestId('estimate')).toBeVisible(); // what is left, estimated again
  });

  test('a prompt the model cannot run is named before the run, and Run counts and starts the others', async ({
    page,
  }) => {
    const state: ExplorerState = {
      model: { kind: 'bundled', name: 'demo-gpt2' },
      facts: [
        {
          id: 'capital',
          prompts: [
            CAPITAL[0],
            // A causal model predicts from the text before [MASK]: this one has none.
            { language: 'en', text: '[MASK] is the capital of France .', object: 'Paris' },
          ],
        },
      ],
      settings: DEFAULT_SETTINGS,
      tau: {},
      view: {},
      analysis: DEFAULT_ANALYSIS,
    };
    await page.goto(
      await shareUrl(state, 'http://x/?backend=wasm').then((u) => u.replace('http://x', '')),
    );
    await expectModelReady(page, 'demo-gpt2');
    const estimate = page.getByTestId('estimate');
    await expect(estimate).toContainText('1 prompt to run');
    await expect(estimate).toContainText('1 prompt cannot run');
    const prompts = page.getByTestId('fact-list').locator('li[data-language]');
    await expect(prompts.nth(1)).toHaveAttribute('data-state', 'error');
    await expect(page.getByTestId('run')).toHaveText('Run 1 prompt');
    await runAll(page);
    await expect(page.getByTestId('run-progress').locator('li')).toHaveText([/· en: done$/]);
    await expect(prompts.nth(0)).toHaveAttribute('data-state', 'ready');
    await expect(prompts.nth(1)).toHaveAttribute('data-state', 'error');
    await expect(page.getByTestId('run')).toBeDisabled();
  });

  test('links are validated: a damaged one is reported, and text in a link stays text', async ({
    page,
  }) => {
    await page.goto('/?backend=wasm#s=zNOT-A-REAL-LINK');
    await expect(page.getByTestId('link-error')).toContainText('This link could not be opened:');
    await expect.poll(() => page.url()).not.toContain('NOT-A-REAL-LINK');

    const hostile: ExplorerState = {
      facts: [
        {
          id: '<b>x</b>',
          subject: '<img src=x onerror="window.__pwned=1">',
          prompts: [
            {
              language: 'en',
              text: '<script>window.__pwned=1</script> [MASK]',
              object: '<i>o</i>',
            },
          ],
        },
      ],
      settings: DEFAULT_SETTINGS,
      tau: {},
      view: {},
      analysis: DEFAULT_ANALYSIS,
    };
    await page.goto(
      await shareUrl(hostile, 'http://127.0.0.1/?backend=wasm').then((u) =>
        u.replace('http://127.0.0.1', ''),
      ),
    );
    await expect(page.getByTestId('fact-list')).toContainText(
      '<img src=x onerror="window.__pwned=1">',
    );
    await expect(page.getByTestId('fact-list')).toContainText(
      '<script>window.__pwned=1</script> [MASK]',
    );
    await expect(page.locator('main img, main script, main i, main b')).toHaveCount(0);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  });
});

test.describe('explorer (WebGPU)', () => {
  test.skip(({ backend }) => backend !== 'webgpu', 'needs WebGPU (the webgpu project)');

  test('attribution on WebGPU matches WASM and onnxruntime-node within float32 tolerance', async ({
    page,
    browser,
  }, testInfo) => {
    const prompt = CAPITAL[0];
    const settings = { ...DEFAULT_SETTINGS, steps: 2 };
    const state: ExplorerState = {
      model: { kind: 'bundled', name: 'demo-gpt2' },
      facts: [{ id: 'capital', prompts: [prompt] }],
      settings,
      tau: {},
      view: {},
      analysis: DEFAULT_ANALYSIS,
    };
    const scoresOn = async (backend: 'webgpu' | 'wasm') => {
      const p = backend === 'webgpu' ? page : await browser.newPage();
      await p.goto(
        await shareUrl(state, `http://x/?backend=${backend}`).then((u) =>
          u.replace('http://x', ''),
        ),
      );
      await expect(p.getByTestId('status-bar')).toHaveAttribute('data-backend', backend);
      await expectModelReady(p, 'demo-gpt2');
      await runAll(p);
      const json = await downloaded(p, () =>
        p
          .getByRole('group', { name: 'Export the en map' })
          .getByRole('button', { name: 'JSON' })
          .click(),
      );
      if (backend === 'webgpu') await keepPage(p, testInfo, 'webgpu-map');
      const data = JSON.parse(json.bytes.toString('utf8')) as {
        scores: number[][];
        probability: number;
      };
      return { scores: data.scores.flat(), probability: data.probability };
    };
    const gpu = await scoresOn('webgpu');
    const wasm = await scoresOn('wasm');

    const runtime = createNodeRuntime({ threads: 1 });
    const model = await loadModel(new NodeFolderSource(DEMO_GPT2), runtime);
    const node = await attribute(model, prompt.text, prompt.object, settings);
    const reference = Array.from(node.scores);
    await model.release();

    const scale = Math.max(...reference.map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    // Kernels that sum in another order (threads, GPU) give differences that compound through
    // the layers and the path; measured here about 3e-4 of the largest score on WebGPU and WASM
    // alike. A wrong gradient differs by orders of magnitude more than this bound.
    for (const [name, got] of [
      ['WebGPU', gpu],
      ['WASM', wasm],
    ] as const) {
      expect(got.scores, name).toHaveLength(reference.length);
      const worst = Math.max(...got.scores.map((s, i) => Math.abs(s - reference[i])));
      testInfo.annotations.push({
        type: `${name} vs onnxruntime-node`,
        description: `largest difference ${worst.toExponential(2)} = ${(worst / scale).toExponential(2)} of the largest |score|`,
      });
      expect(worst / scale, `${name}: largest difference / largest score`).toBeLessThan(1e-3);
      expect(got.probability / node.probability, name).toBeCloseTo(1, 3);
    }
  });
});
