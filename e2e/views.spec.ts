/**
 * The views (src/views) in a real browser, mounted by a test-only harness page (e2e/harness,
 * built and served here, outside the app's build) with a fixed fixture: markers at tau, hover,
 * click, brush zoom, keyboard, exports (PNG, SVG, CSV, JSON, clipboard), a large binned map, and
 * user text with markup. Screenshots are kept under test-results for people to look at.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Download, Locator, Page, TestInfo } from '@playwright/test';
import { serveHarness, type HarnessServer } from './harness/serve';
import { mapLayout, rowY } from '../src/views/layout';
import { expect, test } from './fixtures';

test.skip(({ backend }) => backend !== 'wasm', 'the views do not depend on the backend');
// One harness build per worker: keep this file's tests together.
test.describe.configure({ mode: 'default' });
test.use({ viewport: { width: 1500, height: 1000 } });

let server: HarnessServer;
test.beforeAll(async () => {
  server = await serveHarness();
});
test.afterAll(async () => {
  await server?.close();
});

async function open(page: Page, name = 'default') {
  await page.goto(`${server.url}?case=${name}`);
  await expect(page.getByTestId('map-stage').first()).toBeVisible();
}

async function shot(target: Page | Locator, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await target.screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/** Keeps a downloaded file under test-results, attached to the report. */
async function keep(testInfo: TestInfo, name: string, bytes: Buffer) {
  const path = testInfo.outputPath(name);
  await writeFile(path, bytes);
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

const map = (page: Page, language: string) => page.getByTestId(`neuron-map-${language}`);
/** Rings drawn on a map (each is a halo circle and a stroke circle). */
const rings = async (m: Locator) => (await m.locator('[data-role="markers"] circle').count()) / 2;

/** The harness maps' layout: 640 px wide, 12 layers of 512 units. */
const LAYOUT = mapLayout(640, 12);

/** The centre of neuron (layer, unit) of a full-width 512-unit map, in page coordinates. */
async function cellCentre(stage: Locator, layer: number, unit: number) {
  const box = (await stage.boundingBox())!;
  const { plot, rowHeight } = LAYOUT;
  return {
    x: box.x + plot.x + ((unit + 0.5) * plot.w) / 512,
    y: rowY(LAYOUT, 12, layer) + rowHeight / 2 + box.y,
  };
}

async function downloaded(
  page: Page,
  click: () => Promise<void>,
): Promise<{ d: Download; bytes: Buffer }> {
  const [d] = await Promise.all([page.waitForEvent('download'), click()]);
  return { d, bytes: await readFile((await d.path())!) };
}

test('maps of two languages: knowledge neurons ringed at each tau, shared ones listed', async ({
  page,
}, testInfo) => {
  await open(page);
  // en: tau 0.3 of 0.042 keeps 0.042, 0.035, 0.028, 0.014 (not 0.012, never -0.024).
  expect(await rings(map(page, 'en'))).toBe(4);
  // zh: tau 0.2 of 0.03 keeps 0.03, 0.025, 0.02 (not 0.005).
  expect(await rings(map(page, 'zh'))).toBe(3);
  await expect(page.getByTestId('kn-list-en').locator('caption')).toHaveText(
    'en: 4 knowledge neurons',
  );
  await expect(page.getByTestId('shared-neurons')).toContainText('Shared by en and zh: 2 neurons');
  await expect(map(page, 'en')).toContainText('Attribution score (AMIG)');
  await expect(map(page, 'en')).toContainText('FFN unit (512 per layer)');
  await shot(page, testInfo, 'views-default');

  // Colours: common max by default (both legends end at 0.042), per map on request.
  const legendEnd = (language: string) =>
    map(page, language)
      .locator('svg text')
      .filter({ hasText: /^0\.0[34]2?$/ })
      .last();
  await expect(legendEnd('zh')).toHaveText('0.042');
  // The colour controls are in the toolbar's collapsed area, a keyboard-reachable disclosure.
  await expect(page.getByRole('radio', { name: 'per map' })).toBeHidden();
  await page.getByTestId('maps-more').getByText('Colours, export, notes').focus();
  await page.keyboard.press('Enter');
  await page.getByRole('radio', { name: 'per map' }).check();
  await expect(legendEnd('zh')).toHaveText('0.03');
  await expect(legendEnd('en')).toHaveText('0.042');
  await page.getByRole('radio', { name: '√ score' }).check();
  await expect(map(page, 'en')).toContainText('Score (AMIG, √ scale)');
});

test('hover shows layer, unit, score, activation and rank; click selects', async ({
  page,
}, testInfo) => {
  await open(page);
  const stage = map(page, 'en').getByTestId('map-stage');
  const c = await cellCentre(stage, 11, 42);
  await page.mouse.move(c.x, c.y);
  const tip = map(page, 'en').getByTestId('map-tooltip');
  await expect(tip).toBeVisible();
  await expect(tip).toContainText('L11 · u42');
  await expect(tip).toContainText('knowledge neuron');
  await expect(tip).toContainText('score0.042');
  await expect(tip).toContainText('rank1 of 6,144');
  await expect(tip).toContainText('activation');
  await shot(map(page, 'en'), testInfo, 'views-hover');

  await page.mouse.click(c.x, c.y);
  await expect(page.getByTestId('selected')).toHaveText('11:42');
  const panel = page.getByTestId('neuron-panel');
  await expect(panel).toContainText('Neuron L11 · u42');
  await expect(panel).toContainText('capital of Japan');
  await expect(panel).toContainText('yes, τ = 0.3');
  await expect(map(page, 'zh').locator('[data-role="selected"]')).toHaveCount(1);
  await page.mouse.move(0, 0);
  await expect(tip).toHaveCount(0);
  await shot(page, testInfo, 'views-selected');
});

test('tau re-marks the map and the list without recomputing', async ({ page }) => {
  await open(page);
  const en = map(page, 'en');
  const tau = page.getByTestId('tau-en').getByRole('spinbutton');
  await tau.fill('0.5');
  expect(await rings(en)).toBe(3);
  await expect(page.getByTestId('kn-list-en').locator('caption')).toHaveText(
    'en: 3 knowledge neurons',
  );
  await tau.fill('0.9');
  expect(await rings(en)).toBe(1);
  // The key, shortened beside the shared neurons' key on a 640 px map, says the new threshold.
  await expect(en).toContainText('knowledge neurons, score > 0.0378 (τ = 0.9): 1');
  // The slider emits too, and the zh map keeps its own tau.
  const slider = page.getByTestId('tau-en').getByRole('slider');
  await slider.focus();
  await page.keyboard.press('Home');
  await expect(tau).toHaveValue('0');
  expect(await rings(map(page, 'zh'))).toBe(3);
  await page.getByTestId('tau-en').getByRole('button', { name: 'default 0.3' }).click();
  expect(await rings(en)).toBe(4);
});

test('brushing the overview zooms both maps; reset shows all units', async ({ page }, testInfo) => {
  await open(page);
  const strip = map(page, 'en').getByTestId('overview-brush');
  const box = (await strip.boundingBox())!;
  // Units ~ 0..128: the first quarter of the strip.
  await page.mouse.move(box.x + 1, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 4, box.y + box.height / 2, { steps: 8 });
  await page.mouse.up();
  for (const language of ['en', 'zh'])
    await expect(map(page, language)).toContainText(/FFN unit \(units [01]–12\d of 512\)/);
  // In range: en 11:42, 10:77, 9:117 (not 10:301).
  expect(await rings(map(page, 'en'))).toBe(3);
  await shot(page, testInfo, 'views-zoomed');
  await map(page, 'zh').getByRole('button', { name: 'Reset zoom' }).click();
  for (const language of ['en', 'zh'])
    await expect(map(page, language)).toContainText('FFN unit (512 per layer)');
  expect(await rings(map(page, 'en'))).toBe(4);
});

test('keyboard: the cursor starts on the strongest neuron, arrows move, Enter selects', async ({
  page,
}, testInfo) => {
  await open(page);
  const en = map(page, 'en');
  const stage = en.getByTestId('map-stage');
  await page.getByTestId('tau-zh').getByRole('spinbutton').focus();
  // Tab order: after the toolbar (export buttons) comes the first map.
  await stage.focus();
  await expect(stage).toBeFocused();
  await expect(stage).toHaveAttribute(
    'aria-label',
    /en: 12 layers × 512 units, 4 knowledge neurons/,
  );
  const live = en.locator('[aria-live="polite"]');
  await expect(live).toContainText('layer 11, unit 42');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  await expect(live).toContainText('layer 10, unit 43');
  await expect(en.getByTestId('map-tooltip')).toContainText('L10 · u43');
  await page.keyboard.press('Shift+ArrowRight');
  await expect(live).toContainText('layer 10, unit 53');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('selected')).toHaveText('10:53');
  await page.keyboard.press('+');
  await expect(en).toContainText(/FFN unit \(units \d+–\d+ of 512\)/);
  await shot(en, testInfo, 'views-keyboard');
  await page.keyboard.press('0');
  await expect(en).toContainText('FFN unit (512 per layer)');
  await page.keyboard.press('End');
  await expect(live).toContainText('unit 511');
});

test('exports: PNG at 2x and not blank, SVG that parses, CSV and JSON of the scores', async ({
  page,
}, testInfo) => {
  await open(page);
  const exportEn = page.getByRole('group', { name: 'Export the en map' });

  const svg = await downloaded(page, () => exportEn.getByRole('button', { name: 'SVG' }).click());
  expect(svg.d.suggestedFilename()).toBe(
    'kne_demo-mbert-tiny_the-capital-of-france-is-paris_en.svg',
  );
  const parsed = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const root = doc.documentElement;
    return {
      error: doc.getElementsByTagName('parsererror').length,
      name: root.nodeName,
      ns: root.namespaceURI,
      width: Number(root.getAttribute('width')),
      height: Number(root.getAttribute('height')),
      cells: root.querySelectorAll('[data-role="cells"] rect').length,
      rings: root.querySelectorAll('[data-role="markers"] circle').length / 2,
      text: root.textContent,
    };
  }, svg.bytes.toString('utf8'));
  expect(parsed).toMatchObject({ error: 0, name: 'svg', ns: 'http://www.w3.org/2000/svg' });
  expect(parsed.cells).toBeGreaterThan(12);
  expect(parsed.rings).toBe(4);
  expect(parsed.text).toContain('demo-mbert-tiny · AMIG, m = 20 · τ = 0.3 (en)');
  expect(parsed.text).toContain('Fact (en): The capital of France is [MASK]. → Paris');

  const png = await downloaded(page, () => exportEn.getByRole('button', { name: 'PNG' }).click());
  expect(png.d.suggestedFilename()).toMatch(/_en\.png$/);
  expect(png.bytes.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  expect(png.bytes.readUInt32BE(16)).toBe(2 * parsed.width);
  expect(png.bytes.readUInt32BE(20)).toBe(2 * parsed.height);
  await keep(testInfo, 'export-en.png', png.bytes);
  const pixels = await page.evaluate(async (b64) => {
    const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const colours = new Set<number>();
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) {
      colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      if (data[i] + data[i + 1] + data[i + 2] < 600) ink++;
    }
    return { colours: colours.size, ink, total: data.length / 4 };
  }, png.bytes.toString('base64'));
  expect(pixels.colours).toBeGreaterThan(50);
  expect(pixels.ink / pixels.total).toBeGreaterThan(0.01);

  const csv = await downloaded(page, () => exportEn.getByRole('button', { name: 'CSV' }).click());
  const lines = csv.bytes.toString('utf8').trimEnd().split('\n');
  expect(lines[0]).toBe('layer,unit,score,activation,selected');
  expect(lines).toHaveLength(1 + 12 * 512);
  expect(lines).toContain('11,42,0.042,' + lines[1 + 11 * 512 + 42].split(',')[3] + ',true');
  expect(lines.filter((l) => l.endsWith(',true'))).toHaveLength(4);

  const json = await downloaded(page, () => exportEn.getByRole('button', { name: 'JSON' }).click());
  const data = JSON.parse(json.bytes.toString('utf8'));
  expect(data).toMatchObject({ model: 'demo-mbert-tiny', method: 'amig', steps: 20, tau: 0.3 });
  expect(data.knowledgeNeurons).toHaveLength(4);
  expect(data.scores).toHaveLength(12);
  expect(data.scores[11][42]).toBe(0.042);

  // The figure of both languages, stacked.
  await page.getByTestId('maps-more').locator('summary').click();
  const all = page.getByRole('group', { name: 'Export all maps' });
  const figure = await downloaded(page, () => all.getByRole('button', { name: 'PNG' }).click());
  expect(figure.d.suggestedFilename()).toBe(
    'kne_demo-mbert-tiny_the-capital-of-france-is-paris_all.png',
  );
  expect(figure.bytes.readUInt32BE(20)).toBe(2 * (2 * parsed.height + 20)); // two maps and a gap
  await keep(testInfo, 'export-all.png', figure.bytes);
});

test('copy image: copied when allowed, a clear message when refused', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await open(page);
  const exportEn = page.getByRole('group', { name: 'Export the en map' });
  await exportEn.getByRole('button', { name: 'Copy image' }).click();
  await expect(exportEn.getByTestId('export-message')).toHaveText('Image copied to the clipboard.');
  const types = await page.evaluate(async () => (await navigator.clipboard.read())[0].types);
  expect(types).toContain('image/png');

  await page.evaluate(() => {
    navigator.clipboard.write = () =>
      Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError'));
  });
  await exportEn.getByRole('button', { name: 'Copy image' }).click();
  await expect(exportEn.getByTestId('export-message')).toContainText(
    'The browser refused to copy the image',
  );
});

test('a large map (24 x 8192) is binned by maximum, on screen and in the export', async ({
  page,
}, testInfo) => {
  await open(page, 'large');
  const en = map(page, 'en');
  expect(await rings(en)).toBe(3);
  const stage = en.getByTestId('map-stage');
  const box = (await stage.boundingBox())!;
  // 900 px wide: one column per pixel of the plot. Hover the column of unit 5000, layer 20.
  const large = mapLayout(900, 24);
  const columns = Math.floor(large.plot.w);
  await page.mouse.move(
    box.x + large.plot.x + ((Math.floor((5000 * columns) / 8192) + 0.5) * large.plot.w) / columns,
    box.y + rowY(large, 24, 20) + large.rowHeight / 2,
  );
  const tip = en.getByTestId('map-tooltip');
  await expect(tip).toContainText('L20 · u5000');
  await expect(tip).toContainText(/strongest of units [\d,]+–[\d,]+/);
  await shot(en, testInfo, 'views-large');

  const svg = await downloaded(page, () =>
    page
      .getByRole('group', { name: 'Export the en map' })
      .getByRole('button', { name: 'SVG' })
      .click(),
  );
  const text = svg.bytes.toString('utf8');
  expect(text).toContain(
    'Units 0–8,191 in 1,024 columns: each cell is the maximum score over up to 8',
  );
  expect(svg.bytes.length).toBeLessThan(3_000_000);
  const png = await downloaded(page, () =>
    page
      .getByRole('group', { name: 'Export the en map' })
      .getByRole('button', { name: 'PNG' })
      .click(),
  );
  expect(png.bytes.readUInt32BE(16)).toBe(1600);
  await keep(testInfo, 'export-large.png', png.bytes);
});

test('text with markup shows as text and never runs', async ({ page }, testInfo) => {
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  await open(page, 'hostile');
  await expect(page.getByTestId('predictions')).toContainText(
    '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> is [MASK] & co',
  );
  await expect(page.getByTestId('neuron-panel')).toContainText('<script>window.__pwned=3</script>');
  expect(
    await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
  ).toBeUndefined();
  expect(await page.locator('img, b, u, em, i').count()).toBe(0);
  expect(await page.locator('body script').count()).toBe(0);
  expect(dialogs).toBe(0);

  const svg = await downloaded(page, () =>
    page.getByRole('button', { name: 'SVG' }).first().click(),
  );
  const result = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    return {
      error: doc.getElementsByTagName('parsererror').length,
      elements: [...new Set([...doc.querySelectorAll('*')].map((e) => e.localName))].sort(),
      text: doc.documentElement.textContent,
    };
  }, svg.bytes.toString('utf8'));
  expect(result.error).toBe(0);
  expect(result.elements).toEqual(['circle', 'g', 'line', 'path', 'rect', 'svg', 'text']);
  expect(result.text).toContain('<script>window.__pwned=2</script>');
  await shot(page, testInfo, 'views-hostile');
});
