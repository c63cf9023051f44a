/**
 * Helpers for the explorer's end-to-end tests: a stand-in for the Hugging Face Hub served by
 * page.route from a local model folder (the machines running the tests have no Hub), the
 * user's steps, and checks on downloaded figures.
 */
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Download, type Page, type Route, type TestInfo, expect } from '@playwright/test';
import { decodeState, stateParam } from '../src/app/share';
import type { ExplorerState } from '../src/app/state';
import { keepScreenshot } from './fixtures';

export const HUB = 'https://huggingface.co';
export const DEMO_GPT2 = fileURLToPath(new URL('../public/models/demo-gpt2', import.meta.url));

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'content-range, content-length, x-error-code, etag',
};

export interface HubModel {
  /** File name -> bytes. */
  files: Record<string, Buffer>;
  /** Answer every request with this status and Hub error code instead (e.g. 404 RepoNotFound). */
  fail?: { status: number; code?: string };
  /** Serve this many bytes of a full download of the file, while announcing its whole size. */
  cut?: { file: string; bytes: number };
  /** Hold the full download of the file until `until` resolves (then the request is aborted). */
  hold?: { file: string; until: Promise<void> };
}

export function folderFiles(folder: string, without: string[] = []): Record<string, Buffer> {
  return Object.fromEntries(
    readdirSync(folder)
      .filter((f) => !without.includes(f))
      .map((f) => [f, readFileSync(join(folder, f))]),
  );
}

/** Answers like the Hub's /resolve/ endpoint: whole files, byte ranges, 404 with error codes. */
async function answer(route: Route, model: HubModel, file: string): Promise<void> {
  const req = route.request();
  if (req.method() === 'OPTIONS')
    return route.fulfill({
      status: 204,
      headers: {
        ...CORS,
        'access-control-allow-headers': 'range',
        'access-control-allow-methods': 'GET',
      },
    });
  if (model.fail)
    return route.fulfill({
      status: model.fail.status,
      headers: { ...CORS, ...(model.fail.code ? { 'x-error-code': model.fail.code } : {}) },
      body: 'error',
    });
  const body = model.files[file];
  if (!body)
    return route.fulfill({
      status: 404,
      headers: { ...CORS, 'x-error-code': 'EntryNotFound' },
      body: 'Entry not found',
    });
  const type = file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers()['range'] ?? '');
  if (range) {
    const start = Number(range[1]);
    const end = Math.min(range[2] ? Number(range[2]) : body.length - 1, body.length - 1);
    return route.fulfill({
      status: 206,
      headers: {
        ...CORS,
        'content-type': type,
        'content-range': `bytes ${start}-${end}/${body.length}`,
      },
      body: body.subarray(start, end + 1),
    });
  }
  if (model.hold?.file === file) {
    await model.hold.until;
    return route.abort('aborted');
  }
  const cut = model.cut?.file === file ? body.subarray(0, model.cut.bytes) : body;
  return route.fulfill({ status: 200, headers: { ...CORS, 'content-type': type }, body: cut });
}

/**
 * Serves Hub models by id from memory; any other Hub URL gets the Hub's 404. Returns the
 * requests seen, so a test can tell what was downloaded.
 */
export async function fakeHub(page: Page, models: Record<string, HubModel>): Promise<string[]> {
  const seen: string[] = [];
  await page.route(`${HUB}/**`, (route) => {
    const url = new URL(route.request().url());
    seen.push(`${route.request().method()} ${url.pathname}`);
    const m = /^\/(.+?)\/resolve\/[^/]+\/(.+)$/.exec(url.pathname);
    const model = m && models[decodeURIComponent(m[1])];
    if (!m || !model)
      return answer(route, { files: {}, fail: { status: 404, code: 'RepoNotFound' } }, '');
    return answer(route, model, decodeURIComponent(m[2]));
  });
  return seen;
}

/** Waits for the model panel to settle: loaded, or failed with its message. */
export async function modelSettled(page: Page): Promise<'ready' | 'error'> {
  const status = page.getByTestId('model-status');
  await expect(status).toHaveAttribute('data-phase', /^(ready|error)$/);
  return (await status.getAttribute('data-phase')) as 'ready' | 'error';
}

export async function expectModelReady(page: Page, id?: string): Promise<void> {
  const phase = await modelSettled(page);
  if (phase === 'error')
    throw new Error(`model error: ${await page.getByTestId('model-error').textContent()}`);
  if (id) await expect(page.getByTestId('model-summary')).toContainText(id);
}

/** Loads a Hub model through the model panel. */
export async function loadHubModel(page: Page, id: string): Promise<void> {
  await page.getByTestId('hub-id').fill(id);
  await page.getByTestId('hub-id').press('Enter');
}

export interface DraftInput {
  language: string;
  text: string;
  object: string;
}

/** Types a fact into the form, one prompt per language, and adds it. */
export async function addFact(page: Page, prompts: DraftInput[]): Promise<void> {
  for (const [i, p] of prompts.entries()) {
    if (i > 0) await page.getByTestId('add-language').click();
    const draft = page.getByTestId(`draft-${i}`);
    await draft.getByTestId('draft-language').fill(p.language);
    await draft.getByTestId('draft-text').fill(p.text);
    await draft.getByTestId('draft-object').fill(p.object);
  }
  await page.getByTestId('add-fact').click();
}

/** Starts the run and waits until every prompt is done. */
export async function runAll(page: Page): Promise<void> {
  await expect(page.getByTestId('estimate')).toBeVisible();
  await page.getByTestId('run').click();
  const progress = page.getByTestId('run-progress');
  await expect(progress).toHaveAttribute('data-phase', /^(finished|cancelled)$/);
  await expect(progress).toHaveAttribute('data-phase', 'finished');
  await expect(progress.locator('li[data-state=error]')).toHaveCount(0);
}

/** The knowledge neurons a language's list shows ("L2 · u17" ...), in order. */
export async function knowledgeNeurons(page: Page, language: string): Promise<string[]> {
  const list = page.getByTestId(`kn-list-${language}`);
  const more = list.getByRole('button', { name: /^Show all/ });
  if (await more.count()) await more.click();
  return list.locator('tbody tr td:first-child').allTextContents();
}

export async function downloaded(
  page: Page,
  click: () => Promise<void>,
): Promise<{ name: string; bytes: Buffer }> {
  const [download]: [Download, void] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), bytes: readFileSync(path) };
}

/** Width, height and number of distinct colours of a PNG, decoded by the browser. */
export async function pngFacts(
  page: Page,
  png: Buffer,
): Promise<{ width: number; height: number; colors: number }> {
  return page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const colors = new Set<number>();
    for (let i = 0; i < data.length; i += 4)
      colors.add((data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3]);
    return { width: bitmap.width, height: bitmap.height, colors: colors.size };
  }, png.toString('base64'));
}

/** Whether an SVG parses, and how many filled shapes (cells) it has, by the browser's parser. */
export async function svgFacts(
  page: Page,
  svg: string,
): Promise<{ ok: boolean; cells: number; colors: number }> {
  return page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    if (doc.querySelector('parsererror') || doc.documentElement.nodeName !== 'svg')
      return { ok: false, cells: 0, colors: 0 };
    const filled = [...doc.querySelectorAll('rect, path')].filter((e) => {
      const fill = e.getAttribute('fill');
      return !!fill && fill !== 'none';
    });
    return {
      ok: true,
      cells: filled.length,
      colors: new Set(filled.map((e) => e.getAttribute('fill'))).size,
    };
  }, svg);
}

/** Distinct colours on the canvases of a map: a drawn heatmap has many, a blank one one. */
export async function canvasColors(page: Page, testId: string): Promise<number> {
  return page.getByTestId(testId).evaluate((el) => {
    const colors = new Set<number>();
    for (const canvas of el.querySelectorAll('canvas')) {
      const ctx = canvas.getContext('2d');
      if (!ctx || canvas.width === 0 || canvas.height === 0) continue;
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < data.length; i += 4)
        colors.add((data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3]);
    }
    return colors.size;
  });
}

/**
 * A screenshot of the whole page, kept under test-results and attached to the report. The
 * window is made as tall as the page first, so the status bar (sticky at the window's bottom)
 * sits at the end of the picture rather than across the middle of it.
 */
export async function keepPage(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  const size = page.viewportSize();
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  if (size)
    await page.setViewportSize({ width: size.width, height: Math.max(size.height, height) });
  await page.screenshot({ path, fullPage: true });
  if (size) await page.setViewportSize(size);
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/**
 * A screenshot of the window as the README shows it: kept with the test's results and, when
 * $KNE_SCREENSHOTS_DIR is set (`npm run screenshots`), copied there as `<name>.png`, so the
 * README's pictures are made by the suite, never by hand.
 */
export async function readmeScreenshot(
  page: Page,
  testInfo: TestInfo,
  name: string,
): Promise<void> {
  const path = await keepScreenshot(page, testInfo, name);
  const dir = process.env.KNE_SCREENSHOTS_DIR;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    copyFileSync(path, join(dir, `${name}.png`));
  }
}

/**
 * The maps of these languages lie whole on the first screen: scrolled to the top, each map from
 * its title to its export buttons is inside the window and above the status bar that stays at
 * its bottom.
 */
export async function expectMapsOnFirstScreen(page: Page, languages: string[]): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  const bar = (await page.getByTestId('status-bar').boundingBox())!;
  for (const language of languages) {
    const map = page.getByTestId(`neuron-map-${language}`);
    await expect(map).toBeInViewport({ ratio: 1 });
    const box = (await map.boundingBox())!;
    expect(box.y + box.height, `the ${language} map ends above the status bar`).toBeLessThanOrEqual(
      bar.y,
    );
  }
}

/** The state the page last wrote to its address; undefined before it wrote one. */
export async function addressState(page: Page): Promise<ExplorerState | undefined> {
  const value = stateParam(new URL(page.url()).hash);
  return value ? decodeState(value) : undefined;
}

/** Waits until the page has written a state with this many facts to its address. */
export async function settled(page: Page, count: number): Promise<void> {
  await expect.poll(async () => (await addressState(page))?.facts.length ?? -1).toBe(count);
}

/**
 * Opens the explorer on WASM with one fact, the capital of France in English, and waits until
 * the page has written it to its address: the start of the working-state tests.
 */
export async function openWithOneFact(page: Page): Promise<void> {
  await page.goto('/?backend=wasm');
  await addFact(page, [
    { language: 'en', text: 'The capital of France is [MASK] .', object: 'Paris' },
  ]);
  await expect(page.getByTestId('fact-list').locator('li.fact')).toHaveCount(1);
  await settled(page, 1);
}
