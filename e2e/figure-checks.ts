/**
 * Checks on a figure's exports, shared by the view and app specs: the SVG parses as a standalone
 * <svg> with a size and nothing a user typed became markup; the PNG is twice that size and not
 * blank; the CSV's lines.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Locator, Page, TestInfo } from '@playwright/test';
import { expect } from './fixtures';

export async function download(page: Page, menu: Locator, button: string) {
  const [d] = await Promise.all([
    page.waitForEvent('download'),
    menu.getByRole('button', { name: button, exact: true }).click(),
  ]);
  return { name: d.suggestedFilename(), bytes: await readFile((await d.path())!) };
}

/**
 * Exports a figure as SVG and PNG and checks both (see the top of this file); keeps the PNG
 * under the test's output for people to look at.
 */
export async function checkFigureExports(
  page: Page,
  menu: Locator,
  testInfo: TestInfo,
  name: string,
) {
  const svg = await download(page, menu, 'SVG');
  expect(svg.name).toMatch(/^kne_.+\.svg$/);
  const parsed = await page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const root = doc.documentElement;
    return {
      error: doc.getElementsByTagName('parsererror').length,
      name: root.localName,
      ns: root.namespaceURI,
      width: Number(root.getAttribute('width')),
      height: Number(root.getAttribute('height')),
      injected: doc.querySelectorAll('script, img, foreignObject, iframe').length,
      text: root.textContent ?? '',
    };
  }, svg.bytes.toString('utf8'));
  expect(parsed).toMatchObject({
    error: 0,
    name: 'svg',
    ns: 'http://www.w3.org/2000/svg',
    injected: 0,
  });
  expect(parsed.width).toBeGreaterThan(100);
  expect(parsed.height).toBeGreaterThan(100);

  const png = await download(page, menu, 'PNG');
  expect(png.name).toMatch(/\.png$/);
  expect(png.bytes.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  expect(png.bytes.readUInt32BE(16)).toBe(2 * parsed.width);
  expect(png.bytes.readUInt32BE(20)).toBe(2 * parsed.height);
  const pixels = await page.evaluate(async (b64) => {
    const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let inked = 0;
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] < 240 || data[i + 1] < 240 || data[i + 2] < 240) inked++;
      if (colours.size < 64) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
    return { share: inked / (data.length / 4), colours: colours.size };
  }, png.bytes.toString('base64'));
  expect(pixels.share).toBeGreaterThan(0.01);
  expect(pixels.colours).toBeGreaterThan(8);
  const path = testInfo.outputPath(`export-${name}.png`);
  await writeFile(path, png.bytes);
  await testInfo.attach(`export-${name}.png`, { path, contentType: 'image/png' });
  return parsed;
}

export async function csvOf(page: Page, menu: Locator) {
  const csv = await download(page, menu, 'CSV');
  expect(csv.name).toMatch(/\.csv$/);
  return csv.bytes.toString('utf8').trimEnd().split('\n');
}
