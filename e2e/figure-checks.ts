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

/**
 * What does not fit in the page's visible chart SVGs (all but small icons): every mark (rect,
 * circle, line, path, text) must lie inside its SVG's box, no two text labels of a legend may
 * overlap, and no chart text may be smaller than 11 px. One line per problem: none is a pass.
 */
export function chartProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    // Half a pixel for anti-aliased edges and rounding of boxes.
    const SLACK = 0.5;
    const problems: string[] = [];
    const show = (r: DOMRect) =>
      `[${Math.round(r.left)}, ${Math.round(r.top)}, ${Math.round(r.right)}, ${Math.round(r.bottom)}]`;
    const name = (e: Element) => {
      const text = e.localName === 'text' ? ` "${(e.textContent ?? '').slice(0, 40)}"` : '';
      return `${e.localName}${text}`;
    };
    const charts = [...document.querySelectorAll('svg')].filter(
      (svg) =>
        !svg.parentElement?.closest('svg') &&
        svg.checkVisibility() &&
        svg.getBoundingClientRect().width >= 100,
    );
    for (const svg of charts) {
      const box = svg.getBoundingClientRect();
      const chart =
        svg.getAttribute('aria-label') ??
        svg.closest('[data-testid]')?.getAttribute('data-testid') ??
        'an unnamed chart';
      for (const mark of svg.querySelectorAll('rect, circle, line, path, text')) {
        if (!mark.checkVisibility()) continue;
        const r = mark.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;
        if (
          r.left < box.left - SLACK ||
          r.top < box.top - SLACK ||
          r.right > box.right + SLACK ||
          r.bottom > box.bottom + SLACK
        )
          problems.push(`${chart}: ${name(mark)} at ${show(r)} leaves the box ${show(box)}`);
        if (mark.localName === 'text' && parseFloat(getComputedStyle(mark).fontSize) < 11)
          problems.push(`${chart}: ${name(mark)} is set in ${getComputedStyle(mark).fontSize}`);
      }
      const labels = [...svg.querySelectorAll('[data-role="legend"] text')]
        .filter((t) => t.checkVisibility() && (t.textContent ?? '').trim() !== '')
        .map((t) => ({ t, r: t.getBoundingClientRect() }));
      labels.forEach((a, i) =>
        labels.slice(i + 1).forEach((b) => {
          const across = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
          const down = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
          if (across > SLACK && down > SLACK)
            problems.push(`${chart}: legend labels ${name(a.t)} and ${name(b.t)} overlap`);
        }),
      );
    }
    return problems;
  });
}

/** How many chart SVGs chartProblems looks at: a check of no chart is no check. */
export const visibleCharts = (page: Page): Promise<number> =>
  page.evaluate(
    () =>
      [...document.querySelectorAll('svg')].filter(
        (svg) =>
          !svg.parentElement?.closest('svg') &&
          svg.checkVisibility() &&
          svg.getBoundingClientRect().width >= 100,
      ).length,
  );
